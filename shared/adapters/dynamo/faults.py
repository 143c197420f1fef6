"""What DynamoDB's refusals mean (CONTRACT §13, "faults told apart").

- a condition that failed is a lost race: read again and retry;
- throttling (on the call, or as a transaction's cancellation reason) is load: back off;
- a validation refusal (an item over 400 KB, a bad expression) is a bug: log it, never retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import tenacity

from shared.kernel.services.ports import Throttled

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


T = TypeVar("T")
READ_ATTEMPTS = 4  # a read AWS sheds or fails past the SDK's own retries, read again this often in all


def read_again(read: Callable[[], T], sleep: Callable[[float], None] | None = None) -> T:
    """``read()`` (a Query or Scan read to its end), read again when throttling or a fault of AWS's
    own outlasts the SDK's retries, after an exponential back-off with full jitter, as AWS advises:
    a read changes nothing, so asking again is safe — one shed read does not stop a sweep of every
    item. Still failing after READ_ATTEMPTS, the error goes up (the next scheduled run reads again)."""
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        wait=tenacity.wait_random_exponential(multiplier=0.05, max=1.0),
        stop=tenacity.stop_after_attempt(READ_ATTEMPTS),
        sleep=sleep or time.sleep,
        reraise=True,
    )
    return retrying(read)


def reason_codes(exc: Any) -> list[str | None]:
    """A cancelled transaction's reason per item, in item order (None where the item was fine)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [r.code if r is not None and r.code not in (None, "None") else None for r in reasons]


UNPROCESSED_ATTEMPTS = 8  # BatchGetItem rounds for the keys DynamoDB left unprocessed (throttled)


def batch_get(
    client: Any,
    request: dict[str, Any],
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[float, float], float] = random.uniform,
) -> dict[str, list[dict[str, Any]]]:
    """Every item of a BatchGetItem request (at most 100 keys), table -> raw items. The keys
    DynamoDB leaves unprocessed (it was throttled) are asked for again after an exponential
    back-off with full jitter, as AWS advises; still unprocessed after that is throttling."""
    found: dict[str, list[dict[str, Any]]] = {}
    for attempt in range(UNPROCESSED_ATTEMPTS):
        response = client.batch_get_item(RequestItems=request)
        for table, items in response.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        sleep(jitter(0, min(1.0, 0.05 * 2**attempt)))
    raise Throttled("DynamoDB left keys of a BatchGetItem unprocessed (throttled)")
