"""Every domain error has its HTTP status in the one map of functions/api/errors.py: an error
added to the domain without a status would answer 500 for the caller's mistake."""

from __future__ import annotations

import inspect

from functions.api.errors import STATUS, error_body, status_of
from shared.domain import errors


def test_every_domain_error_has_a_status_below_500_except_unavailability() -> None:
    raised = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.CloseloopError) and cls is not errors.CloseloopError
    ]
    assert raised and all(cls in STATUS for cls in raised), [c.__name__ for c in raised if c not in STATUS]
    assert {status_of(cls("x")) for cls in raised} <= {400, 401, 403, 404, 409, 410, 413, 415, 503}


def test_the_body_is_the_contract_shape() -> None:
    error = errors.ValidationFailed("1 field(s) are not valid", fields={"email": "is not an email"})
    assert error_body(error) == {
        "error": {
            "code": "validation_failed",
            "message": "1 field(s) are not valid",
            "fields": {"email": "is not an email"},
        }
    }
    assert error_body(errors.LeadNotFound("no lead")) == {"error": {"code": "lead_not_found", "message": "no lead"}}
