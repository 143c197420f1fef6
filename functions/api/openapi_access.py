"""Who may call each operation, stated on every operation of the description from the rules that
enforce it — applied to the whole ``paths`` object, so a route added anywhere states it too.

- A signed webhook (``/webhooks/<kind>/{source}``) takes only sources whose Sources ``webhooks``
  cell names ``<kind>``: ``x-closeloop-webhook`` and a ``403 forbidden``.
"""

from __future__ import annotations

from typing import Any

JSONType = dict[str, Any]
WEBHOOK_PREFIX = "/webhooks/"


def with_access(paths: dict[str, JSONType], error_responses: Any) -> dict[str, JSONType]:
    from shared.domain import errors as e
    from shared.domain.rules import DEFAULT_WEBHOOKS, WEBHOOK_KINDS

    for path, item in paths.items():
        for method, operation in item.items():
            if method == "options" or not path.startswith(WEBHOOK_PREFIX):
                continue
            kind = path.removeprefix(WEBHOOK_PREFIX).split("/", 1)[0]
            if kind not in WEBHOOK_KINDS:
                raise ValueError(f"{path}: /webhooks/<kind>/ must be one of {', '.join(WEBHOOK_KINDS)}")
            operation["x-closeloop-webhook"] = kind
            operation["description"] = (
                f"{operation.get('description', '').rstrip()} Only a source whose Sources `webhooks` cell names "
                f"`{kind}` may post here (blank = `{','.join(DEFAULT_WEBHOOKS)}`); any other → `403 forbidden`."
            ).strip()
            _add_error(operation, e.Forbidden, error_responses)
    return paths


def _add_error(operation: JSONType, error: type[Any], error_responses: Any) -> None:
    """Add one error class to an operation's documented responses (its status's code list)."""
    from functions.api.errors import STATUS

    status = str(STATUS[error])
    responses = operation.setdefault("responses", {})
    if status not in responses:
        responses[status] = error_responses((error,))[status]
        return
    schema = responses[status]["content"]["application/json"]["schema"]
    codes = schema["properties"]["error"]["properties"]["code"]["enum"]
    if error.code in codes:
        return
    codes.append(error.code)
    fresh = error_responses(tuple(_class_of(c) for c in codes))[status]
    responses[status] = fresh


def _class_of(code: str) -> type[Any]:
    from functions.api.errors import STATUS

    return next(cls for cls in STATUS if cls.code == code)
