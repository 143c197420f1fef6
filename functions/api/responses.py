"""JSON responses, shaped once for every route."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Response


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
