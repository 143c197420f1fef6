"""The one error hierarchy. Each error has a stable snake_case ``code`` and a message for a
person; entry points decide what it means on their side (functions/api/errors.py maps each to
an HTTP status; batch consumers to "retry this record" or not). No HTTP here."""

from __future__ import annotations


class CloseloopError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(CloseloopError):
    code = "validation_failed"


class BadRequest(CloseloopError):
    code = "bad_request"


class InvalidRedirect(BadRequest):
    """A form's `_redirect` that a browser could follow somewhere other than an allowed origin."""

    code = "invalid_redirect"


class Unauthorized(CloseloopError):
    code = "unauthorized"


class Forbidden(CloseloopError):
    code = "forbidden"


class SourceInactive(Forbidden):
    code = "source_inactive"


class NotFound(CloseloopError):
    code = "not_found"


class UnknownSource(NotFound):
    code = "unknown_source"


class LeadNotFound(NotFound):
    code = "lead_not_found"


class CaseNotFound(NotFound):
    code = "case_not_found"


class LinkNotFound(NotFound):
    """An action link that is forged, altered or not a token at all (CONTRACT §12)."""

    code = "link_not_found"


class LinkGone(CloseloopError):
    """An action link that expired or was used: nothing more happens through it (CONTRACT §12)."""

    code = "link_gone"


class PayloadTooLarge(CloseloopError):
    code = "payload_too_large"


class UnsupportedMediaType(CloseloopError):
    code = "unsupported_media_type"


class Conflict(CloseloopError):
    """A concurrent change won; the caller may retry."""

    code = "conflict"


class InvalidTransition(CloseloopError):
    """What was asked makes no sense in the state the lead or case is in now."""

    code = "invalid_transition"


class IdempotencyKeyReused(CloseloopError):
    """The same Idempotency-Key came back with another body."""

    code = "idempotency_key_reused"


class RulesUnavailable(CloseloopError):
    code = "rules_unavailable"


class Busy(CloseloopError):
    """The store is throttling and waiting longer would outlast the request: 503 with
    Retry-After; the same request sent again later gives the same result."""

    code = "busy"

    def __init__(
        self, message: str = "busy: too many requests at once; try again shortly", retry_after: int = 2
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OrderNotFound(NotFound):
    code = "order_not_found"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


class OverDelivery(InvalidTransition):
    """A shipment would deliver more of a line than the order holds."""

    code = "over_delivery"


class ShipmentLinesChanged(InvalidTransition):
    """A shipment reported again with other lines than it was first reported with."""

    code = "shipment_lines_changed"


# ------------------------------------------------------------------ sales (CONTRACT §2.6, §2.7)


class OpportunityNotFound(NotFound):
    code = "opportunity_not_found"


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class ContractNotFound(NotFound):
    code = "contract_not_found"


class RenewalOnHold(InvalidTransition):
    """An approval of a renewal quote while the renewal is held by an open P1 case (CONTRACT §2.11)."""

    code = "renewal_on_hold"


class QuoteNotApproved(InvalidTransition):
    """An e-signed envelope for a quote that is not approved: nothing is created (CONTRACT §2.8)."""

    code = "quote_not_approved"


class QuoteAlreadySigned(InvalidTransition):
    """A completed envelope for a quote another envelope already made a contract of: a quote is
    signed once, so one sale is one order and one invoice (CONTRACT §14). ``fields`` names it."""

    code = "quote_already_signed"


class ApprovalNotFound(NotFound):
    code = "approval_not_found"


class DiscountOverCap(ValidationFailed):
    """A quote line discounted above its product's ``max_discount`` (``lines[i].discount``)."""

    code = "discount_over_cap"


class StageGateFailed(InvalidTransition):
    """A forward stage move with exit criteria unmet; ``fields`` names each and why."""

    code = "stage_gate_failed"


class NotApprover(Forbidden):
    """``by`` is neither the step's approver nor above them in the manager chain."""

    code = "not_approver"


class NotYourTurn(InvalidTransition):
    """An approval step whose earlier steps are still open."""

    code = "not_your_turn"


class AlreadyDecided(InvalidTransition):
    """An approval step already approved, rejected or cancelled."""

    code = "already_decided"


class NoApprover(InvalidTransition):
    """Nobody with a role the Discounts row names is up the quote owner's manager chain."""

    code = "no_approver"


class NoDiscountRule(InvalidTransition):
    """No Discounts row matches the quote (publishing refuses such a workbook; none published?)."""

    code = "no_discount_rule"
