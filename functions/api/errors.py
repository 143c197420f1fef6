"""Domain errors as HTTP answers: the one status map, and the contract's error body."""

from __future__ import annotations

from shared.kernel.domain import errors as e

# The status of each kind of error; a subclass answers its nearest listed class's status
# (every ``*NotFound`` is a ``NotFound``: 404; every refused state change an ``InvalidTransition``: 409).
STATUS: dict[type[e.CloseloopError], int] = {
    e.ValidationFailed: 400,  # DiscountOverCap
    e.BadRequest: 400,  # InvalidRedirect
    e.Unauthorized: 401,
    e.Forbidden: 403,  # SourceInactive, NotApprover
    e.NotFound: 404,  # UnknownSource and each aggregate's
    e.LinkGone: 410,  # an action link used or expired
    e.Conflict: 409,
    e.InvalidTransition: 409,  # OverDelivery, StageGateFailed, NotYourTurn, AlreadyDecided ...
    e.IdempotencyKeyReused: 409,
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.RulesUnavailable: 503,
    e.Busy: 503,
}


def status_for(cls: type[e.CloseloopError]) -> int:
    """The status of an error class: its own, or that of the nearest class above it that has one."""
    for parent in cls.__mro__:
        if parent in STATUS:
            return STATUS[parent]
    return 500  # an error nobody mapped is our bug, not the caller's


def every_error() -> list[type[e.CloseloopError]]:
    """Every error class the domain declares (for the description and its tests)."""
    found: list[type[e.CloseloopError]] = []
    pending = [e.CloseloopError]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                pending.append(sub)
    return found


def status_of(error: e.CloseloopError) -> int:
    return status_for(type(error))


def error_body(error: e.CloseloopError) -> dict[str, object]:
    """CONTRACT §2: {"error": {"code", "message", "fields"?}}."""
    body: dict[str, object] = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    return {"error": body}
