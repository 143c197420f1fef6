"""Every domain error has its HTTP status in the one map of functions/api/errors.py: an error
added to the domain without a status would answer 500 for the caller's mistake."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import shared
from functions.api.errors import STATUS, error_body, every_error, status_for, status_of
from shared.kernel.domain import errors


def test_every_domain_error_has_a_status_below_500_except_unavailability() -> None:
    declared = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.CloseloopError) and cls is not errors.CloseloopError
    ]
    for module in pkgutil.walk_packages(shared.__path__, "shared."):  # an aggregate's *NotFound beside it
        if ".domain." in module.name:
            importlib.import_module(module.name)
    raised = every_error()
    assert declared and set(declared) <= set(raised)
    assert {status_for(cls) for cls in raised} <= {400, 401, 403, 404, 409, 410, 413, 415, 503}
    assert {status_of(cls("x")) for cls in raised} == {status_for(cls) for cls in raised}


def test_every_not_found_is_a_404_and_every_refused_change_a_409_through_its_kind() -> None:
    """The map lists kinds of error, not each error: a new ``*NotFound`` needs no line in it."""
    assert len(STATUS) <= 13
    for cls in every_error():
        if cls.__name__.endswith("NotFound") or cls is errors.UnknownSource:
            assert issubclass(cls, errors.NotFound) and status_for(cls) == 404, cls
    assert status_for(errors.OverDelivery) == status_for(errors.NotYourTurn) == 409


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
