"""What DynamoDB's refusals mean (CONTRACT §13, "faults told apart").

- a condition that failed is a lost race: read again and retry;
- throttling (on the call, or as a transaction's cancellation reason) is load: back off;
- a validation refusal (an item over 400 KB, a bad expression) is a bug: log it, never retry.
"""

from __future__ import annotations

from typing import Any

# error codes of a whole call, and cancellation reasons of one transaction item
THROTTLE_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "Throttling"}
)
THROTTLE_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"})
REFUSED_REASONS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})
# AWS's own faults ("the request may or may not have succeeded"), still there after botocore's retries
SERVER_FAULT_CODES = frozenset(
    {"InternalServerError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException"}
)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a PynamoDB or botocore error (None for anything else)."""
    code = getattr(exc, "cause_response_code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        found = response.get("Error", {}).get("Code")
        return str(found) if found else None
    cause = exc.__cause__
    return error_code(cause) if cause is not None and cause is not exc else None


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLE_CODES


def is_transient(exc: BaseException) -> bool:
    """Load or a fault of AWS's own that outlasted the retries: the caller may try again later.
    Not for a retry loop: a transaction that failed this way may have been applied."""
    return is_throttling(exc) or error_code(exc) in SERVER_FAULT_CODES


def reason_codes(exc: Any) -> list[str | None]:
    """A cancelled transaction's reason per item, in item order (None where the item was fine)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None and r.code not in (None, "None") else None for r in reasons]
