"""The privacy routes (CONTRACT §12): ``POST /privacy/erase`` and ``GET /privacy/export``.

Plain functions taking the request's pieces and the container, so app.py's routes (and the route
table that replaces them) stay one line each. Scope ``privacy`` (shared/domain/access.py).
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from functions.api.responses import json_response


def erase(payload: Any, container: Any) -> Response:
    """Erase the person ``{"email"}`` or ``{"phone"}`` names: ``200 {"erased": {...}}``."""
    from shared.services.privacy import erase_person

    c = container
    result = erase_person(payload, c.rules.current(), c.uow, c.personal_records, c.clock)
    return json_response(200, result.body())


def export(params: dict[str, str], container: Any) -> Response:
    """Everything held about the person ``?email=`` or ``?phone=`` names, as one JSON document."""
    from shared.services.privacy import export_person

    c = container
    return json_response(200, export_person(dict(params), c.rules.current(), c.uow, c.personal_records, c.clock))
