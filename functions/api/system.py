"""The system routes: health, and the API's own description."""

from __future__ import annotations

from typing import Any

from chalice.app import Response


def health(active: Any) -> dict[str, Any]:
    """GET /health: up, and the rules version it answers with."""
    return {"status": "ok", "rules_version": active.version}


def openapi() -> Response:
    """GET /openapi.json: the OpenAPI 3.1 description; built on the first request, not at cold start."""
    from functions.api.openapi import document_json

    return Response(body=document_json(), status_code=200, headers={"Content-Type": "application/json; charset=utf-8"})
