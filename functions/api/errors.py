"""Domain errors as HTTP answers: the one status map, and the contract's error body."""

from __future__ import annotations

from shared.domain import errors as e

STATUS: dict[type[e.CloseloopError], int] = {
    e.ValidationFailed: 400,
    e.BadRequest: 400,
    e.InvalidRedirect: 400,
    e.Unauthorized: 401,
    e.Forbidden: 403,
    e.SourceInactive: 403,
    e.UnknownSource: 404,
    e.LeadNotFound: 404,
    e.CaseNotFound: 404,
    e.OrderNotFound: 404,
    e.InvoiceNotFound: 404,
    e.AccountNotFound: 404,
    e.NotFound: 404,
    e.LinkNotFound: 404,
    e.LinkGone: 410,
    e.Conflict: 409,
    e.IdempotencyKeyReused: 409,
    e.InvalidTransition: 409,
    e.OverDelivery: 409,
    e.ShipmentLinesChanged: 409,
    e.PayloadTooLarge: 413,
    e.UnsupportedMediaType: 415,
    e.RulesUnavailable: 503,
    e.Busy: 503,
    # sales (CONTRACT §2.6, §2.7)
    e.DiscountOverCap: 400,
    e.NotApprover: 403,
    e.OpportunityNotFound: 404,
    e.QuoteNotFound: 404,
    e.ApprovalNotFound: 404,
    e.StageGateFailed: 409,
    e.NotYourTurn: 409,
    e.QuoteNotApproved: 409,
    e.QuoteAlreadySigned: 409,
    e.RenewalOnHold: 409,
    e.ContractNotFound: 404,
    e.AlreadyDecided: 409,
    e.NoApprover: 409,
    e.NoDiscountRule: 409,
}


def status_of(error: e.CloseloopError) -> int:
    """The status of the error's class, or of the nearest class above it that has one."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500  # an error nobody mapped is our bug, not the caller's


def error_body(error: e.CloseloopError) -> dict[str, object]:
    """CONTRACT §2: {"error": {"code", "message", "fields"?}}."""
    body: dict[str, object] = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    return {"error": body}
