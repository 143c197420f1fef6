"""Who may call each operation, stated on every operation of the description from the rules that
enforce it — applied to the whole ``paths`` object, so a route added anywhere states it too.

- A signed webhook (``/webhooks/<kind>/{source}``) takes only sources whose Sources ``webhooks``
  cell names ``<kind>``: ``x-closeloop-webhook`` and a ``403 forbidden``.
- A public route (shared/kernel/domain/access.py ``PUBLIC_RESOURCES``: the action links) has no
  security requirement and says what proves the caller instead (``x-closeloop-public``).
- An API-key route needs one of its scopes (shared/kernel/domain/access.py, by the path's resource):
  the security requirement lists them, ``x-closeloop-scopes`` too, and a ``403 forbidden``; where
  the body names who acts (``by``, ``owner_id``), a personal key fills it or must match it.
"""

from __future__ import annotations

from typing import Any

JSONType = dict[str, Any]
WEBHOOK_PREFIX = "/webhooks/"


def with_access(paths: dict[str, JSONType], error_responses: Any) -> dict[str, JSONType]:
    from shared.kernel.domain import errors as e
    from shared.kernel.domain.access import PUBLIC_RESOURCES, is_public, resource_of
    from shared.rules.domain.rules import DEFAULT_WEBHOOKS, WEBHOOK_KINDS

    for path, item in paths.items():
        for method, operation in item.items():
            if is_public(path):  # no key: the credential is in the path (an action link's token)
                if operation.get("security") != []:
                    raise ValueError(
                        f"{method.upper()} {path} is public (shared/kernel/domain/access.py): security: []"
                    )
                operation["x-closeloop-scopes"] = []
                operation["x-closeloop-public"] = PUBLIC_RESOURCES[resource_of(path)]
            if _needs_api_key(operation):
                _state_scopes(method.upper(), path, operation, error_responses)
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


def _needs_api_key(operation: JSONType) -> bool:
    return any("apiKey" in requirement for requirement in operation.get("security", []))


def _state_scopes(method: str, path: str, operation: JSONType, error_responses: Any) -> None:
    from functions.api.routes import actor_field, scope_of
    from shared.kernel.domain import errors as e
    from shared.kernel.domain.access import route_scopes

    scopes = list(route_scopes(method, path, scope_of(method, path)))
    operation["security"] = [{"apiKey": scopes} if "apiKey" in r else r for r in operation["security"]]
    operation["x-closeloop-scopes"] = scopes
    sentence = f"Scope: {' or '.join(f'`{s}`' for s in scopes)}; a key without it → `403 forbidden`."
    field = actor_field(method, path)
    if field:
        sentence += (
            f" A personal key (one with an `owner_id`) acts as its owner: `{field}` left out is the owner, "
            f"another person → `403 forbidden`."
        )
    operation["description"] = f"{operation.get('description', '').rstrip()} {sentence}".strip()
    _add_error(operation, e.Forbidden, error_responses)


def _add_error(operation: JSONType, error: type[Any], error_responses: Any) -> None:
    """Add one error class to an operation's documented responses (its status's code list)."""
    from functions.api.errors import status_for

    status = str(status_for(error))
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
    from functions.api.errors import every_error

    return next(cls for cls in every_error() if cls.code == code)
