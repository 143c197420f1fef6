"""An account's change read from a request (shared/messages/accounts.py: AccountChange): only the
fields given, each bad one — and each key that is not a field of an account — named in the
sentences PATCH /accounts/{id} has always answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.errors import ValidationFailed
from shared.messages.accounts import AccountChange
from shared.messages.validation import read
from shared.services.ports import ActiveRules

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
NOT_A_FIELD = "is not a field of an account (one of: company, country, credit_code, address, account_manager_id)"


def refused(payload: Any, rules: ActiveRules) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(AccountChange, payload, now=NOW, active=rules)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


def test_only_the_fields_given_change_trimmed_and_normalised(example_rules: ActiveRules) -> None:
    body = {"credit_code": "91350100m000100y43", "country": "China", "account_manager_id": " u_xu "}
    change = read(AccountChange, body, now=NOW, active=example_rules)
    assert change.changes == {"country": "CN", "credit_code": "91350100M000100Y43", "account_manager_id": "u_xu"}
    assert read(AccountChange, {}, now=NOW, active=example_rules).changes == {}


def test_every_bad_field_and_every_unknown_key_is_named_in_one_answer(example_rules: ActiveRules) -> None:
    fields = refused(
        {"company": None, "address": " ", "account_manager_id": "u_nobody", "Company": "x", "none": 1, "a.b": 2},
        example_rules,
    )
    assert fields == {
        "Company": NOT_A_FIELD,
        "a.b": NOT_A_FIELD,
        "none": NOT_A_FIELD,
        "company": "must be text",
        "address": "must not be empty",
        "account_manager_id": "'u_nobody' is not on the Owners tab",
    }
    assert refused({"company": "x" * 201, "credit_code": "123"}, example_rules) == {
        "company": "must be at most 200 characters",
        "credit_code": refused({"credit_code": "123"}, example_rules)["credit_code"],
    }


def test_at_most_ten_unknown_keys_are_named(example_rules: ActiveRules) -> None:
    fields = refused({f"k{n:02}": n for n in range(15)}, example_rules)
    assert list(fields) == [f"k{n:02}" for n in range(10)]
