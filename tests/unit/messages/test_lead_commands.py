"""A lead's commands read from a request (shared/leads/messages/leads.py): every bad field named in
CONTRACT §2's sentences — the ones sellers and marketing tools have always been sent, never
pydantic's — and a good request read into what the service takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import TIME_EXPECTED
from shared.kernel.messages.validation import read
from shared.leads.messages.leads import Behavior, Disqualification, LeadActivity
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import OpportunityActivity

NOW = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)


def refused(model: Any, payload: Any, rules: ActiveRules) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as error:
        read(model, payload, now=NOW, active=rules)
    assert str(error.value) == f"{len(error.value.fields)} field(s) are not valid"
    return error.value.fields


@pytest.mark.parametrize("model", [LeadActivity, OpportunityActivity])
def test_a_good_activity_is_read_with_its_time_and_a_trimmed_owner(model: Any, example_rules: ActiveRules) -> None:
    sent = {"type": "note", "by": " u_zhou ", "at": "2026-11-21T22:04:00+08:00", "note": " 第一行\n\t第二行", "x": 1}
    activity = read(model, sent, now=NOW, active=example_rules)  # u_zhou is inactive: still did it
    assert (activity.type, activity.by, activity.note) == ("note", "u_zhou", " 第一行\n\t第二行")
    assert activity.at == datetime(2026, 11, 21, 14, 4, tzinfo=UTC)  # a clock a little ahead is fine
    assert read(model, {"type": "call", "by": "u_wang"}, now=NOW, active=example_rules).at == NOW


@pytest.mark.parametrize("model", [LeadActivity, OpportunityActivity])
def test_every_bad_field_of_an_activity_is_named_in_one_answer(model: Any, example_rules: ActiveRules) -> None:
    assert refused(model, {}, example_rules) == {
        "type": "must be one of call, email, meeting, note",
        "by": "the owner_id of who did it is required",
    }
    assert refused(
        model, {"type": "lunch", "by": "u_ghost", "at": "2026-11-21T14:06:00Z", "note": "x" * 2001}, example_rules
    ) == {
        "type": "must be one of call, email, meeting, note",
        "by": "'u_ghost' is not an owner_id on the Owners tab",
        "at": "is in the future (now is 2026-11-21T14:00:00.000Z); an activity is recorded once it happened",
        "note": "must be text of at most 2000 characters",
    }
    assert refused(
        model, {"type": "call", "by": "u_\x1bwang", "at": 1795435200, "note": "bell \x07"}, example_rules
    ) == {
        "by": "must not contain control characters",
        "at": TIME_EXPECTED,
        "note": "must not contain control characters other than tab and line breaks",
    }
    assert refused(model, {"type": "call", "by": "u_wang\u202e", "at": "soon"}, example_rules) == {
        "by": "must not contain bidirectional override or isolate characters",
        "at": TIME_EXPECTED,
    }
    assert refused(model, {"type": "call", "by": "x" * 201, "note": 7}, example_rules) == {
        "by": "the owner_id of who did it is required",
        "note": "must be text of at most 2000 characters",
    }


def test_behaviour_names_its_lead_by_id_or_a_normalised_email() -> None:
    by_email = read(Behavior, {"email": "Zhang.Wei@Example.CN", "event": "email_open"}, now=NOW)
    assert (by_email.email, by_email.lead_id, by_email.event, by_email.at) == (
        "zhang.wei@example.cn",
        None,
        "email_open",
        None,
    )
    by_id = read(
        Behavior,
        {"lead_id": "ld_1", "email": "not an email", "event": "unsubscribe", "at": "2027-01-01T08:00:00+08:00"},
        now=NOW,
    )
    assert (by_id.email, by_id.lead_id) == (None, "ld_1")  # the id wins: the email is not looked at
    assert by_id.at == datetime(2027, 1, 1, tzinfo=UTC)  # a marketing tool's time is taken as sent


def test_every_bad_field_of_a_behaviour_is_named_in_one_answer(example_rules: ActiveRules) -> None:
    events = (
        "must be one of email_sent, email_open, email_click, page_view, whitepaper_download, "
        "webinar_attended, demo_request, unsubscribe"
    )
    assert refused(Behavior, {}, example_rules) == {"email": "email or lead_id is required", "event": events}
    assert refused(Behavior, {"email": "", "lead_id": "", "event": "purchase", "at": "yesterday"}, example_rules) == {
        "email": "email or lead_id is required",
        "event": events,
        "at": TIME_EXPECTED,
    }
    assert refused(Behavior, {"lead_id": 7, "event": "email_open", "at": True}, example_rules) == {
        "lead_id": "must be text",
        "at": TIME_EXPECTED,
    }
    assert refused(Behavior, {"email": "a\u202e@example.com", "lead_id": [], "event": "page_view"}, example_rules) == {
        "email": "must not contain bidirectional override or isolate characters",
        "lead_id": "must be text",
    }
    bad_email = refused(Behavior, {"email": "not-an-email", "event": "email_open"}, example_rules)
    assert list(bad_email) == ["email"] and "@" in bad_email["email"]  # email_validator's own words


def test_a_disqualification_is_read_trimmed(example_rules: ActiveRules) -> None:
    sent = {"reason": " student project,\n no budget ", "by": " u_zhou "}  # u_zhou is inactive: still decided
    closing = read(Disqualification, sent, now=NOW, active=example_rules)
    assert (closing.reason, closing.by) == ("student project,\n no budget", "u_zhou")


def test_every_bad_field_of_a_disqualification_is_named_in_one_answer(example_rules: ActiveRules) -> None:
    required = {
        "reason": "say why the lead is not a fit (text, required)",
        "by": "the owner_id of who disqualified the lead is required",
    }
    assert refused(Disqualification, {}, example_rules) == required
    assert refused(Disqualification, {"reason": " \n", "by": 7}, example_rules) == required
    assert refused(Disqualification, {"reason": "x" * 501, "by": "u_ghost" * 40}, example_rules) == {
        "reason": "must be at most 500 characters",
        "by": f"{('u_ghost' * 40)[:60]!r} is not an owner_id on the Owners tab",
    }
    assert refused(Disqualification, {"reason": "bell \x07", "by": "u_\x1bwang"}, example_rules) == {
        "reason": "must not contain control characters other than tab and line breaks",
        "by": "must not contain control characters",
    }
