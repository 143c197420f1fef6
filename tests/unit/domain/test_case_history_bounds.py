"""A case's history stays within its item: the oldest events are summarised, and the replay and
the clocks go on from the summary exactly as they would from the events themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.kernel.domain.errors import InvalidTransition
from shared.kernel.domain.events import iso
from shared.kernel.domain.stored_json import stored_size
from shared.rules.domain.active import ActiveRules
from shared.service_desk.domain import cases
from shared.service_desk.domain.case_clocks import ClockSpec, plan_alerts
from shared.service_desk.domain.cases import MAX_CASE_BYTES, Case
from shared.time.domain.calendars import Calendar

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
_ids = count()


def event(kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"ce_{next(_ids)}", "type": kind, "at": iso(at), "by": "u_he", "note": None, **extra}


def clocks(calendar: str | None) -> dict[str, dict[str, Any]]:
    def spec(name: str, kind: str, hours: str, warn: str) -> dict[str, Any]:
        steps = ("owner", "manager", "director")
        return ClockSpec(
            name, kind, 1, "v-test", Decimal(hours), calendar is not None, calendar, Decimal(warn), steps
        ).to_dict()

    return {
        "first_response": spec("first_response", "case_first_response", "2", "0.5"),
        "resolution": spec("resolution", "case_resolution", "16", "0.75"),
    }


def new_case(calendar: str | None) -> Case:
    return Case(
        case_id="cs_" + "0" * 20, source="cc", external_id="X-1", opened_at=iso(T0), priority="P2", sla=clocks(calendar)
    )


STEPS = {
    "open": ["agent_reply", "waiting_on_customer", "resolved", "note"],
    "reopened": ["agent_reply", "waiting_on_customer", "resolved", "note"],
    "waiting_on_customer": ["customer_replied", "resolved", "agent_reply", "note"],
    "resolved": ["reopened", "csat", "note"],
}


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A valid history in time order, events minutes to days apart (several at one instant too)."""
    state, responded, moment, entries = "open", False, T0, []
    for _ in range(draw(st.integers(1, 30))):
        moment += timedelta(minutes=draw(st.sampled_from([0, 1, 7, 45, 200, 900, 3000])))
        choices = STEPS[state] + ([] if responded or state == "resolved" else ["first_response"])
        kind = draw(st.sampled_from(choices))
        responded = responded or kind == "first_response"
        entries.append(event(kind, moment, **({"score": draw(st.integers(1, 5))} if kind == "csat" else {})))
        state = {"waiting_on_customer": "waiting_on_customer", "customer_replied": "open"}.get(kind, state)
        state = {"resolved": "resolved", "reopened": "reopened"}.get(kind, state)
    return entries


def seen(case: Case, calendars: dict[str, Calendar], now: datetime) -> dict[str, Any]:
    """All a user or the timer engine can tell of the case at ``now``."""
    played = case.replay()
    views = case.clocks(calendars, now)
    return {
        "state": played.state(),
        "fcr": played.first_contact_resolution,
        "clocks": {name: view.to_dict() for name, view in views.items()},
        "alerts": [(a.key, a.due) for view in views.values() for a in plan_alerts(view, calendars)],
    }


@settings(max_examples=80, deadline=None)
@given(history=histories(), calendar=st.sampled_from(["cn-office", None]), keep=st.integers(1, 4))
def test_a_summarised_case_shows_what_the_whole_history_shows(
    history: list[dict[str, Any]], calendar: str | None, keep: int, example_rules: ActiveRules
) -> None:
    calendars = example_rules.calendars
    whole, summarised = new_case(calendar), new_case(calendar)
    with mock.patch.object(cases, "KEEP_EVENTS", keep):
        for entry in history:
            whole.record(entry)  # no calendars: nothing is summarised
            summarised.record(dict(entry), calendars)
            for later in (timedelta(0), timedelta(hours=5), timedelta(days=9)):
                now = max(datetime.fromisoformat(entry["at"]), T0) + later
                assert seen(summarised, calendars, now) == seen(whole, calendars, now)
    assert len(summarised.history) <= keep
    kept = len(summarised.history)
    assert (summarised.earlier["entries"] if summarised.earlier else 0) + kept == len(history)


def test_two_thousand_long_chinese_notes_keep_the_case_within_its_item(example_rules: ActiveRules) -> None:
    case, note = new_case("cn-office"), "客户反馈发票抬头有误，需要重新开具。" * 110  # 2,000 characters
    case.record(event("first_response", T0 + timedelta(minutes=1)), example_rules.calendars)
    for n in range(2000):
        case.record(event("note", T0 + timedelta(minutes=2, seconds=n), note=note), example_rules.calendars)
    assert stored_size(case.to_dict()) <= MAX_CASE_BYTES
    assert len(case.history) < cases.KEEP_EVENTS and case.earlier is not None
    assert case.earlier["entries"] + len(case.history) == 2001
    assert case.earlier["by_type"] == {"first_response": 1, "note": 2000 - len(case.history)}
    assert case.history[-1]["note"] == note and case.history[-1]["seq"] == 2001  # the newest kept whole
    view = case.view(example_rules.calendars, T0 + timedelta(days=1))
    assert view["agent_contacts"] == 1 and view["sla"]["first_response"]["state"] == "met"
    assert view["earlier_history"]["entries"] == 2001 - len(view["history"])


def test_an_event_dated_before_the_summarised_part_is_refused_naming_at(example_rules: ActiveRules) -> None:
    case = new_case("cn-office")
    with mock.patch.object(cases, "KEEP_EVENTS", 2):
        for minute in range(1, 6):
            case.record(event("note", T0 + timedelta(minutes=minute)), example_rules.calendars)
        assert case.earlier is not None and case.earlier["last_at"] == iso(T0 + timedelta(minutes=4))
        kept = list(case.history)
        with pytest.raises(InvalidTransition) as refused:
            case.record(event("first_response", T0 + timedelta(minutes=3)), example_rules.calendars)
        assert "at" in refused.value.fields and case.history == kept
        case.record(event("first_response", T0 + timedelta(minutes=4)), example_rules.calendars)  # at the edge: fine
    assert case.replay().responded


def test_without_calendars_a_full_case_is_refused_rather_than_outgrowing_its_item() -> None:
    case, note = new_case(None), "发" * 2000
    with pytest.raises(InvalidTransition, match="the case is full"):
        for minute in range(1000):
            case.record(event("note", T0 + timedelta(minutes=minute), note=note))
    assert stored_size(case.to_dict()) <= MAX_CASE_BYTES
