"""The Case aggregate: its state machine, clocks recomputed from the history, FCR and CSAT (a long
history summarised: test_case_history_bounds.py).

The calendar is the example workbook's cn-office: Mon–Fri 09:00–18:00 Asia/Shanghai, lunch
12:00–13:30, Chinese public holidays off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.kernel.domain.errors import InvalidTransition
from shared.kernel.domain.events import iso
from shared.rules.domain.active import ActiveRules
from shared.service_desk.domain.case_clocks import ClockSpec
from shared.service_desk.domain.cases import Case
from shared.time.domain.calendars import Calendar

SHANGHAI = timedelta(hours=8)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - SHANGHAI  # type: ignore[misc]


def spec(name: str, hours: str, calendar: str | None = None, warn: str | None = None) -> dict[str, Any]:
    kind = {"first_response": "case_first_response", "resolution": "case_resolution"}[name]
    return ClockSpec(
        name, kind, 1, "v-test", Decimal(hours), calendar is not None, calendar, Decimal(warn) if warn else None, ()
    ).to_dict()


def new_case(opened: datetime, **clocks: dict[str, Any]) -> Case:
    return Case(
        case_id="cs_" + "0" * 20, source="cc", external_id="X-1", opened_at=iso(opened), priority="P2", sla=clocks
    )


_ids = count()


def event(kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"ce_{next(_ids)}", "type": kind, "at": iso(at), "by": "u_he", "note": None, **extra}


def record_all(case: Case, *events: dict[str, Any]) -> Case:
    for entry in events:
        case.record(entry)
    return case


@pytest.fixture
def calendars(example_rules: ActiveRules) -> dict[str, Calendar]:
    return example_rules.calendars


# ------------------------------------------------------------------ the state machine

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("before", "kind", "state"),
    [
        (["resolved"], "resolved", "resolved"),  # resolving a resolved case
        ([], "customer_replied", "open"),  # replying while not waiting
        (["waiting_on_customer"], "waiting_on_customer", "waiting_on_customer"),
        ([], "reopened", "open"),  # reopening what is not resolved
        (["first_response"], "first_response", "open"),  # a second first response
        (["resolved"], "agent_reply", "resolved"),
        ([], "csat", "open"),  # satisfaction with a case nobody resolved
    ],
)
def test_an_event_that_makes_no_sense_is_refused_naming_the_state_and_the_event(
    before: list[str], kind: str, state: str
) -> None:
    case = record_all(new_case(T0), *(event(k, at(i + 1)) for i, k in enumerate(before)))
    with pytest.raises(InvalidTransition) as refused:
        case.record(event(kind, at(30), score=4))
    assert kind in refused.value.message and f"is {state}" in refused.value.message
    assert refused.value.code == "invalid_transition" and len(case.history) == len(before)


def test_open_waiting_open_resolved_reopened_resolved() -> None:
    case = new_case(T0)
    states = []
    for i, kind in enumerate(["first_response", "waiting_on_customer", "customer_replied", "resolved", "reopened"]):
        case.record(event(kind, at(i + 1)))
        states.append(case.replay().status)
    assert states == ["open", "waiting_on_customer", "open", "resolved", "reopened"]


def test_a_late_event_is_judged_at_its_own_time() -> None:
    case = record_all(new_case(T0), event("resolved", at(60)))
    case.record(event("waiting_on_customer", at(10)))  # before the resolution: the case was open then
    with pytest.raises(InvalidTransition, match="is resolved"):
        case.record(event("agent_reply", at(61)))
    assert case.replay().status == "resolved"


@pytest.mark.parametrize(
    ("kinds", "fcr"),
    [
        (["first_response", "resolved"], True),
        (["first_response", "agent_reply", "resolved"], False),  # two contacts
        (["first_response", "resolved", "reopened", "resolved"], False),  # reopened
        (["resolved"], False),  # no agent contact at all
        (["first_response", "note", "waiting_on_customer", "customer_replied", "resolved"], True),
        (["first_response"], False),  # not resolved
    ],
)
def test_first_contact_resolution(kinds: list[str], fcr: bool) -> None:
    case = record_all(new_case(T0), *(event(k, at(i + 1)) for i, k in enumerate(kinds)))
    assert case.replay().first_contact_resolution is fcr


def test_csat_is_the_latest_score_after_resolution() -> None:
    case = record_all(
        new_case(T0), event("resolved", at(1)), event("csat", at(2), score=2), event("csat", at(3), score=5)
    )
    assert case.replay().csat == 5


# ------------------------------------------------------------------ clocks


def test_a_24x7_first_response_is_met_or_breached_on_the_wall_clock(calendars: dict[str, Calendar]) -> None:
    saturday_night = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # 23:00 Saturday in Shanghai
    met = new_case(saturday_night, first_response=spec("first_response", "1"))
    met.record(event("first_response", saturday_night + timedelta(minutes=59)))
    clock = met.clocks(calendars, saturday_night + timedelta(hours=5))["first_response"].to_dict()
    assert (clock["state"], clock["due_at"], clock["breached_at"]) == ("met", "2026-11-21T16:00:00.000Z", None)
    assert clock["business_hours_used"] == pytest.approx(59 / 60, abs=1e-4)

    late = new_case(saturday_night, first_response=spec("first_response", "1"))
    assert late.clocks(calendars, saturday_night + timedelta(minutes=30))["first_response"].state == "running"
    late.record(event("first_response", saturday_night + timedelta(minutes=61)))
    clock = late.clocks(calendars, saturday_night + timedelta(hours=5))["first_response"].to_dict()
    assert (clock["state"], clock["breached_at"]) == ("breached", "2026-11-21T16:00:00.000Z")


def test_resolution_pauses_while_waiting_across_a_weekend_and_lunch(calendars: dict[str, Calendar]) -> None:
    """4 business hours from Friday 16:00: 2 h on Friday; Monday 09:00–09:30 (0.5 h); waiting
    09:30–11:00; 11:00–12:00 (1 h); lunch; 13:30–14:00 → due Monday 14:00."""
    opened = shanghai(2026, 11, 20, 16, 0)
    case = new_case(opened, resolution=spec("resolution", "4", "cn-office"))
    case.record(event("waiting_on_customer", shanghai(2026, 11, 23, 9, 30)))
    paused = case.clocks(calendars, shanghai(2026, 11, 23, 10, 0))["resolution"].to_dict()
    assert (paused["state"], paused["due_at"], paused["business_hours_used"]) == ("paused", None, 2.5)
    case.record(event("customer_replied", shanghai(2026, 11, 23, 11, 0)))
    running = case.clocks(calendars, shanghai(2026, 11, 23, 11, 30))["resolution"].to_dict()
    assert running["state"] == "running" and running["due_at"] == iso(shanghai(2026, 11, 23, 14, 0))
    assert (running["paused_hours"], running["business_hours_used"]) == (1.5, 3.0)
    at_due = case.clocks(calendars, shanghai(2026, 11, 23, 14, 0))["resolution"].to_dict()
    assert (at_due["state"], at_due["breached_at"]) == ("breached", iso(shanghai(2026, 11, 23, 14, 0)))


def test_reopened_resumes_where_the_resolution_stopped(calendars: dict[str, Calendar]) -> None:
    case = new_case(T0, resolution=spec("resolution", "8"))
    case.record(event("resolved", T0 + timedelta(hours=3)))
    assert case.clocks(calendars, T0 + timedelta(days=1))["resolution"].state == "met"
    case.record(event("reopened", T0 + timedelta(hours=10)))  # 7 hours resolved: not counted
    clock = case.clocks(calendars, T0 + timedelta(hours=11))["resolution"].to_dict()
    assert clock["state"] == "running" and clock["business_hours_used"] == 4.0 and clock["paused_hours"] == 7.0
    assert clock["due_at"] == iso(T0 + timedelta(hours=15))


# ------------------------------------------------------------------ arrival order never matters

STEPS = {  # from each state, the events that make sense (csat and note too)
    "open": ["agent_reply", "waiting_on_customer", "resolved", "note"],
    "reopened": ["agent_reply", "waiting_on_customer", "resolved", "note"],
    "waiting_on_customer": ["customer_replied", "resolved", "agent_reply", "note"],
    "resolved": ["reopened", "csat", "note"],
}


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A valid history in time order: a walk through the state machine, events minutes to days apart."""
    state, responded, moment, entries = "open", False, T0, []
    for _ in range(draw(st.integers(1, 10))):
        moment += timedelta(minutes=draw(st.integers(1, 3000)))
        choices = STEPS[state] + ([] if responded or state == "resolved" else ["first_response"])
        kind = draw(st.sampled_from(choices))
        responded = responded or kind == "first_response"
        entries.append(event(kind, moment, **({"score": draw(st.integers(1, 5))} if kind == "csat" else {})))
        state = {"waiting_on_customer": "waiting_on_customer", "customer_replied": "open"}.get(kind, state)
        state = {"resolved": "resolved", "reopened": "reopened"}.get(kind, state)
    return entries


def business_clocks() -> dict[str, dict[str, Any]]:
    return {
        "first_response": spec("first_response", "2", "cn-office", "0.5"),
        "resolution": spec("resolution", "16", "cn-office", "0.75"),
    }


@settings(max_examples=60, deadline=None)
@given(history=histories(), order=st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_clocks_of_the_in_order_history(
    history: list[dict[str, Any]], order: Any, example_rules: ActiveRules
) -> None:
    calendars = example_rules.calendars
    now = T0 + timedelta(days=30)
    in_order = record_all(new_case(T0, **business_clocks()), *history)
    arrivals = list(history)
    order.shuffle(arrivals)
    shuffled, waiting = new_case(T0, **business_clocks()), arrivals
    while waiting:  # a refused event is sent again later, as the contact center would retry it
        retry = []
        for entry in waiting:
            try:
                shuffled.record(entry)
            except InvalidTransition:
                retry.append(entry)
        assert len(retry) < len(waiting), "some event can always be recorded: the earliest missing one"
        waiting = retry
    expected = {n: c.to_dict() for n, c in in_order.clocks(calendars, now).items()}
    assert {n: c.to_dict() for n, c in shuffled.clocks(calendars, now).items()} == expected
    assert shuffled.replay().first_contact_resolution == in_order.replay().first_contact_resolution
    assert shuffled.replay().csat == in_order.replay().csat
