"""Who may do what with an API key (CONTRACT §12): scopes, the scope each route needs, and the
person a key acts as.

The one declaration of route scopes is here. A route's scope comes from its *resource* — the first
segment of its path — so a route added anywhere (``GET /cases``, ``GET /accounts?segment=``) has
its scope without an edit: a GET is allowed to its resource's scope and to ``read``; any other
method to its resource's scope; a resource nobody lists is ``read`` for a GET and ``admin`` for
anything else. ``admin`` allows everything. Only exceptions are listed below.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal, get_args

from shared.kernel.domain.errors import Forbidden

Scope = Literal["leads", "service", "sales", "finance", "accounts", "read", "privacy", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
ADMIN: Scope = "admin"
READ: Scope = "read"

# resource (first path segment) → the scope of its routes
RESOURCE_SCOPES: dict[str, Scope] = {
    "leads": "leads",
    "cases": "service",
    "opportunities": "sales",
    "quotes": "sales",
    "approvals": "sales",
    "invoices": "finance",
    "orders": "finance",
    "accounts": "finance",  # reads of accounts; PATCH below
    "privacy": "privacy",
    "audit": "admin",
}
# a method of a resource whose scope differs from the resource's
METHOD_SCOPES: dict[tuple[str, str], Scope] = {("PATCH", "accounts"): "accounts"}
# resources whose GETs a `read` key may not make: personal data on request, who did what
NOT_FOR_READ: frozenset[str] = frozenset({"privacy", "audit"})

# Resources no API key opens: what proves the caller instead. An action link (``/a/{token}``,
# CONTRACT §12) is its own credential — a signed, expiring, single-use token naming its person —
# so it is public to API Gateway and the key check alike; no scope opens it or is needed.
PUBLIC_RESOURCES: dict[str, str] = {
    "a": "the action link's token (signed, expiring, single-use; it names its person)",
}

PLACEHOLDER_NAME = "placeholder"  # template.yaml's generated value: never a key (shared/adapters/secrets.py)


def resource_of(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def is_public(path: str) -> bool:
    """A route no API key opens (its own credential is in PUBLIC_RESOURCES)."""
    return resource_of(path) in PUBLIC_RESOURCES


def route_scopes(method: str, path: str, scope: Scope | None = None) -> tuple[Scope, ...]:
    """The scopes any one of which allows ``method path`` (a route template: ``/leads/{lead_id}``);
    none for a public route. ``scope``: the route's own (functions/api/routes.py), for a resource
    not listed here."""
    method, resource = method.upper(), resource_of(path)
    if resource in PUBLIC_RESOURCES:
        return ()
    own = METHOD_SCOPES.get((method, resource)) or RESOURCE_SCOPES.get(resource) or scope
    if method == "GET":
        found: tuple[Scope, ...] = (own,) if own else ()
        if resource not in NOT_FOR_READ:
            found += (READ,)
    else:
        found = (own,) if own else ()
    return tuple(dict.fromkeys((*found, ADMIN)))


@dataclass(frozen=True)
class Caller:
    """Who called with an API key: the key's name (never the key), its scopes, its person."""

    name: str
    scopes: frozenset[str]
    owner_id: str | None = None

    def allowed(self, method: str, path: str, scope: Scope | None = None) -> bool:
        return bool(self.scopes & set(route_scopes(method, path, scope)))

    def check(self, method: str, path: str, scope: Scope | None = None) -> None:
        needed = route_scopes(method, path, scope)
        if not self.allowed(method, path, scope):
            wanted = " or ".join(s for s in needed if s != ADMIN) or ADMIN
            raise Forbidden(
                f"API key {self.name!r} lacks the scope {method.upper()} {path} needs: {wanted} "
                f"(it has {', '.join(sorted(self.scopes)) or 'none'})"
            )

    def act_on(self, payload: Any, field: str | None) -> str | None:
        """Fill or check the route's actor field; the person the change is done for (or None).
        A personal key acts as its owner only; any other key may name anyone."""
        if field is None or not isinstance(payload, dict):
            return self.owner_id
        named = payload.get(field)
        if self.owner_id is None:
            return named if isinstance(named, str) and named.strip() else None
        if named is None or named == "":
            payload[field] = self.owner_id
        elif named != self.owner_id:
            raise Forbidden(
                f"API key {self.name!r} acts as {self.owner_id}; it may not act as someone else",
                fields={field: f"must be {self.owner_id} (the key's owner) or left out"},
            )
        return self.owner_id

    def actor(self, on_behalf_of: str | None = None) -> dict[str, Any]:
        """The audit's actor (CONTRACT §12): the key's name and person, never the key."""
        actor: dict[str, Any] = {"kind": "api_key", "name": self.name}
        if self.owner_id:
            actor["owner_id"] = self.owner_id
        elif on_behalf_of:
            actor["on_behalf_of"] = on_behalf_of
        return actor


@dataclass(frozen=True)
class ApiKey:
    caller: Caller
    key: str


def api_keys(secret: dict[str, Any]) -> tuple[list[ApiKey], list[str]]:
    """The keys of the api-keys secret and one line per entry that is not a key.

    ``{"name": {"key": "...", "scopes": [...], "owner_id": "u-..."?}}``; a plain ``"name": "key"``
    (the format before scopes) is an admin key. The generated placeholder is never a key."""
    keys: list[ApiKey] = []
    problems: list[str] = []
    for name, value in secret.items():
        if name == PLACEHOLDER_NAME or not value:
            continue
        if isinstance(value, str):
            keys.append(ApiKey(Caller(str(name), frozenset({ADMIN})), value))
            continue
        key, scopes, owner = (
            (value.get(k) for k in ("key", "scopes", "owner_id")) if isinstance(value, dict) else ("",) * 3
        )
        unknown = [s for s in scopes or () if s not in SCOPES] if isinstance(scopes, list) else ["(not a list)"]
        if (
            not isinstance(key, str)
            or not key
            or not scopes
            or unknown
            or (owner is not None and not isinstance(owner, str))
        ):
            problems.append(f"api key {str(name)[:60]!r}: needs a key, scopes from {', '.join(SCOPES)}, owner_id text")
            continue
        keys.append(ApiKey(Caller(str(name), frozenset(scopes), owner or None), key))
    return keys, problems


def caller_of(presented: str | None, keys: list[ApiKey]) -> Caller | None:
    """The caller whose key this is (constant-time compare against every key), else None."""
    if not presented:
        return None
    found = None
    for entry in keys:
        if hmac.compare_digest(presented.encode(), entry.key.encode()):
            found = entry.caller
    return found
