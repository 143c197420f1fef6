"""The customer commands read from a request (shared/customers/messages/accounts.py): an account's change
(only the fields given; each bad one, and each key that is not a field of an account, named), the
usage and survey webhooks' reports — in the sentences they have always been answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.customers.messages.accounts import AccountChange, SurveyAnswer, UsageReport
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
CODE = "91350100M000100Y43"
NOT_A_FIELD = "is not a field of an account (one of: company, country, credit_code, address, account_manager_id)"


def refused(payload: Any, rules: ActiveRules) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(AccountChange, payload, now=NOW, active=rules)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


def refused_as(model: Any, payload: Any) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(model, payload, now=NOW)
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


def test_a_usage_report_names_every_bad_field(example_rules: ActiveRules) -> None:
    bad = {"account_id": "acme", "active_users": -1, "licensed_users": 0, "at": "yesterday"}
    assert refused_as(UsageReport, bad) == {
        "account_id": "must be an account id (ac_ and 20 hex digits)",
        "at": "must be an ISO 8601 time between 1900 and 2200",
        "active_users": "must be between 0 and 10,000,000",
        "licensed_users": "must be between 1 and 10,000,000",
    }
    assert refused_as(UsageReport, {"active_users": True, "licensed_users": 2.5}) == {
        "account_id": "give the account_id or the account's credit_code",
        "active_users": "must be a whole number",
        "licensed_users": "must be a whole number",
    }
    assert refused_as(UsageReport, {"credit_code": CODE, "active_users": None}) == {
        "active_users": "is required",
        "licensed_users": "is required",
    }
    other = {"account_id": "ac_" + "1" * 20, "credit_code": CODE, "at": "2026-11-21T15:00:00Z"}
    assert refused_as(UsageReport, {**other, "active_users": 1, "licensed_users": 2}) == {
        "credit_code": "names another account than account_id",
        "at": "is in the future (now is 2026-11-21T14:00:00.000Z)",
    }
    assert set(refused_as(UsageReport, {"credit_code": CODE[:-1] + "4", "active_users": 1, "licensed_users": 2})) == {
        "credit_code"
    }


def test_a_usage_report_by_credit_code_names_the_account_derived_from_it(example_rules: ActiveRules) -> None:
    from shared.customers.domain.accounts import account_id_for

    usage = read(UsageReport, {"credit_code": CODE.lower(), "active_users": 3, "licensed_users": 2}, now=NOW)
    assert (usage.named_account_id, usage.at) == (account_id_for(credit_code=CODE), None)
    both = {"account_id": f" {account_id_for(credit_code=CODE)} ", "credit_code": CODE}
    assert read(UsageReport, {**both, "active_users": 0, "licensed_users": 1}, now=NOW).named_account_id == (
        account_id_for(credit_code=CODE)
    )


def test_a_survey_answer_names_every_bad_field(example_rules: ActiveRules) -> None:
    assert refused_as(SurveyAnswer, {"score": True, "respondent": [], "at": "soon"}) == {
        "account_id": "give the account_id or the account's credit_code",
        "respondent": 'must be an object, {"email": "..."} or {}',
        "score": "must be a whole number from 0 to 10",
        "at": "must be an ISO 8601 time between 1900 and 2200",
    }
    named = {"account_id": "ac_" + "1" * 20}
    assert refused_as(SurveyAnswer, {**named, "respondent": None, "comment": 5}) == {
        "respondent": 'must be an object, {"email": "..."} or {}',
        "score": "is required",
        "comment": "must be text",
    }
    fields = refused_as(SurveyAnswer, {**named, "respondent": {"email": 7}, "score": 11, "comment": "x" * 2001})
    assert fields == {
        "respondent.email": "must be an email address",
        "score": "must be a whole number from 0 to 10",
        "comment": "must be at most 2000 characters",
    }


def test_a_good_survey_answer_is_read_with_its_respondent(example_rules: ActiveRules) -> None:
    named = {"account_id": "ac_" + "1" * 20, "score": 0}
    answer = read(SurveyAnswer, {**named, "respondent": {"email": "CFO@Acme.cn"}, "comment": "  好用 "}, now=NOW)
    assert (answer.email, answer.comment, answer.score, answer.at) == ("cfo@acme.cn", "好用", 0, None)
    anonymous = read(SurveyAnswer, {**named, "comment": "  "}, now=NOW)
    assert (anonymous.email, anonymous.comment) == (None, None)
