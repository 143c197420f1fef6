"""A case's commands read from a request (shared/service_desk/messages/cases.py): every bad field named in
CONTRACT §2's sentences — the ones the contact center has always been sent, never pydantic's —
and a good request read into what the service takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
GOOD = {"external_id": " CC-1 ", "priority": "p1", "account": {"company": "Acme", "country": "China"}}


def refused(model: Any, payload: Any, rules: ActiveRules) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(model, payload, now=NOW, active=rules)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


def test_a_good_opening_is_trimmed_normalised_and_keeps_the_account_as_sent(example_rules: ActiveRules) -> None:
    opening = read(CaseOpening, {**GOOD, "unknown": "ignored", "contact": {"email": "Zhang.Wei@Example.CN"}}, now=NOW)
    assert (opening.external_id, opening.priority, opening.opened_at) == ("CC-1", "P1", None)
    assert opening.account.country == "CN" and opening.account.as_sent == {"company": "Acme", "country": "China"}
    assert opening.account.stable_id.startswith("ac_") and opening.contact is not None
    assert opening.contact.email == "zhang.wei@example.cn"


def test_every_bad_field_of_an_opening_is_named_in_one_answer(example_rules: ActiveRules) -> None:
    fields = refused(
        CaseOpening,
        {
            "external_id": "  ",
            "channel": "fax",
            "subject": "a\x00b",
            "opened_at": "2026-11-21T14:06:00Z",
            "account": {"credit_code": "91350100M000100Y44", "country": "Atlantis"},
            "contact": {"email": "not an email", "phone": "1" * 41},
        },
        example_rules,
    )
    assert fields == {
        "external_id": "is required",
        "priority": "must be one of P1, P2, P3, P4",
        "channel": "must be one of phone, chat, email, web",
        "subject": "must not contain control characters",
        "opened_at": "is more than 5 minutes in the future (now is 2026-11-21T14:00:00.000Z)",
        "account.credit_code": fields["account.credit_code"],
        "account.country": fields["account.country"],
        "contact.email": fields["contact.email"],
        "contact.phone": "must be at most 40 characters",
    }
    assert fields["account.credit_code"].startswith("is not a valid unified social credit code: ")
    assert "Atlantis" in fields["account.country"] and "@" in fields["contact.email"]


@pytest.mark.parametrize(
    ("account", "sentence"),
    [
        (None, "is required: an object with account_id, credit_code, or company and country"),
        ("Acme", "is required: an object with account_id, credit_code, or company and country"),
        ({"company": "Acme"}, "needs account_id, credit_code, or company and country"),
    ],
)
def test_an_account_that_names_no_company_is_refused_as_before(
    example_rules: ActiveRules, account: Any, sentence: str
) -> None:
    payload = {**GOOD, "account": account} if account is not None else {"external_id": "x", "priority": "P2"}
    assert refused(CaseOpening, payload, example_rules) == {"account": sentence}


def test_a_year_old_case_and_a_contact_that_is_no_object(example_rules: ActiveRules) -> None:
    fields = refused(CaseOpening, {**GOOD, "opened_at": "2025-11-01T00:00:00Z", "contact": ["x"]}, example_rules)
    assert fields == {
        "opened_at": "is more than a year ago (now is 2026-11-21T14:00:00.000Z)",
        "contact": "must be an object with name, email, phone",
    }


def test_an_event_names_its_type_its_person_and_its_score(example_rules: ActiveRules) -> None:
    assert refused(CaseEventRecording, {"by": "u_nobody", "score": 3}, example_rules) == {
        "type": "must be one of " + ", ".join(CaseEventRecording.model_json_schema()["properties"]["type"]["enum"]),
        "by": "'u_nobody' is not an owner_id on the Owners tab",
        "score": "is only for csat events",
    }
    assert refused(CaseEventRecording, {"type": "csat", "by": "u_yang", "score": 6}, example_rules) == {
        "score": "must be a whole number from 1 to 5"
    }
    assert refused(CaseEventRecording, {"type": "csat", "by": "u_yang"}, example_rules) == {
        "score": "must be a whole number from 1 to 5"
    }
    rated = read(CaseEventRecording, {"type": "csat", "by": " u_yang ", "score": 5, "note": "好"}, now=NOW,
                 active=example_rules)  # fmt: skip
    assert (rated.by, rated.score, rated.note, rated.at) == ("u_yang", 5, "好", None)


def test_an_event_a_year_old_is_refused_as_an_opening_is(example_rules: ActiveRules) -> None:
    assert refused(CaseEventRecording, {"type": "first_response", "by": "u_yang", "at": "2020-01-01T00:00:00Z"},
                   example_rules) == {"at": "is more than a year ago (now is 2026-11-21T14:00:00.000Z)"}  # fmt: skip
