"""record_activity: the owner's first call, email or meeting is the first touch (contract 2.4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import LeadNotFound, ValidationFailed
from shared.leads.domain.leads import Lead
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.rules.domain.active import ActiveRules
from tests.unit.services.helpers import NOW, SQL_LEAD, TickingClock, capture, command_of, event_data, events_of, stored

LATER = NOW + timedelta(hours=2)  # 10:00Z: after the activities these tests record


@pytest.fixture
def lead(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> Lead:
    result = capture(SQL_LEAD, example_rules, store, clock)
    assert result.lead.owner_id in {"u_wang", "u_zhang"}
    return result.lead


def other_than(owner_id: str | None) -> str:
    return "u_wang" if owner_id == "u_zhang" else "u_zhang"


def act(lead: Lead, rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, **payload: Any) -> dict[str, Any]:
    return record_activity(lead.lead_id, command_of(LeadActivity, payload, rules, clock), rules, store, clock)


@pytest.mark.parametrize("kind", ["call", "email", "meeting"])
def test_owners_first_touch_sets_first_touch_at(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead, kind: str
) -> None:
    clock.now = LATER  # the call at 09:30Z is recorded afterwards
    activity = act(
        lead, example_rules, store, clock, type=kind, by=lead.owner_id, at="2026-11-22T17:30:00+08:00", note="首次沟通"
    )
    assert activity["first_touch"] is True and activity["type"] == kind
    after = stored(store, lead.lead_id)
    assert after.first_touch_at == "2026-11-22T09:30:00.000Z"
    assert [a["type"] for a in after.activities] == [kind]
    assert events_of(store, lead.lead_id)[-2:] == ["LeadFirstTouched", "SlaMet"]  # touched in time
    data = event_data(store, lead.lead_id, "LeadFirstTouched")[0]
    assert (data["owner_id"], data["type"], data["assigned_at"]) == (lead.owner_id, kind, lead.assigned_at)


def test_a_note_is_not_a_touch(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead
) -> None:
    activity = act(lead, example_rules, store, clock, type="note", by=lead.owner_id, note="客户在出差")
    assert activity["first_touch"] is False
    after = stored(store, lead.lead_id)
    assert after.first_touch_at is None and len(after.activities) == 1
    assert "LeadFirstTouched" not in events_of(store, lead.lead_id)


def test_someone_elses_call_is_not_the_first_touch(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead
) -> None:
    act(lead, example_rules, store, clock, type="call", by=other_than(lead.owner_id))
    act(lead, example_rules, store, clock, type="meeting", by="u_liu")  # the manager
    after = stored(store, lead.lead_id)
    assert after.first_touch_at is None and len(after.activities) == 2
    assert "LeadFirstTouched" not in events_of(store, lead.lead_id)
    # the owner's own call afterwards still counts
    assert act(lead, example_rules, store, clock, type="call", by=lead.owner_id)["first_touch"] is True


def test_only_the_first_touch_counts(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead
) -> None:
    clock.now = LATER
    act(lead, example_rules, store, clock, type="email", by=lead.owner_id, at="2026-11-22T09:00:00Z")
    second = act(lead, example_rules, store, clock, type="call", by=lead.owner_id, at="2026-11-22T10:00:00Z")
    assert second["first_touch"] is False
    after = stored(store, lead.lead_id)
    assert after.first_touch_at == "2026-11-22T09:00:00.000Z"
    assert events_of(store, lead.lead_id).count("LeadFirstTouched") == 1
    assert len(after.activities) == 2


def test_activity_on_an_unassigned_lead_is_recorded_without_first_touch(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    nurture = capture({"email": "cold@example.com"}, example_rules, store, clock).lead
    activity = record_activity(
        nurture.lead_id,
        command_of(LeadActivity, {"type": "call", "by": "u_wang"}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    assert activity["first_touch"] is False
    assert stored(store, nurture.lead_id).first_touch_at is None


def test_unknown_lead(example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    with pytest.raises(LeadNotFound):
        record_activity(
            "ld_missing",
            command_of(LeadActivity, {"type": "call", "by": "u_wang"}, example_rules, clock),
            example_rules,
            store,
            clock,
        )


@pytest.mark.parametrize(
    ("payload", "bad"),
    [
        ({"type": "lunch", "by": "u_wang"}, {"type"}),
        ({"type": "call"}, {"by"}),
        ({"type": "call", "by": "  "}, {"by"}),
        ({"type": "call", "by": "u_wang", "at": "soon"}, {"at"}),
        ({"type": "call", "by": "u_wang", "at": 1795435200}, {"at"}),
        ({"type": "call", "by": "u_wang", "at": "2026-11-22T08:10:00Z"}, {"at"}),  # ten minutes ahead
        ({"type": "call", "by": "u_nobody"}, {"by"}),  # not on the Owners tab
        ({"type": "call", "by": "U_WANG"}, {"by"}),
        ({"type": "call", "by": "u_wang\n"}, {"by"}),
        ({"type": "call", "by": "u_\x1bwang"}, {"by"}),
        ({"type": "call", "by": "u_wang\u202e"}, {"by"}),
        ({"type": "note", "by": "u_wang", "note": "bell \x07"}, {"note"}),
        ({"type": "note", "by": "u_wang", "note": "x" * 2001}, {"note"}),
        ({}, {"type", "by"}),
    ],
)
def test_bad_activity_names_fields_and_changes_nothing(
    example_rules: ActiveRules,
    store: MemoryUnitOfWork,
    clock: TickingClock,
    lead: Lead,
    payload: dict[str, Any],
    bad: set[str],
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        record_activity(
            lead.lead_id, command_of(LeadActivity, payload, example_rules, clock), example_rules, store, clock
        )
    assert set(caught.value.fields) == bad
    assert stored(store, lead.lead_id).activities == []


def test_an_unknown_owner_and_a_future_time_are_named_in_the_answer(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        act(lead, example_rules, store, clock, type="call", by="u_ghost", at="2027-01-01T00:00:00Z")
    assert "u_ghost" in caught.value.fields["by"] and "Owners tab" in caught.value.fields["by"]
    assert "future" in caught.value.fields["at"]


def test_a_clock_a_little_ahead_and_an_inactive_owner_are_fine(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, lead: Lead
) -> None:
    assert not example_rules.rules.owners["u_zhou"].active
    ahead = act(lead, example_rules, store, clock, type="note", by="u_zhou", at="2026-11-22T08:04:00Z")
    assert ahead["at"] == "2026-11-22T08:04:00.000Z"
    multiline = act(lead, example_rules, store, clock, type="note", by=" u_wang ", note="第一行\n\t第二行")
    assert multiline["by"] == "u_wang"
    assert len(stored(store, lead.lead_id).activities) == 2
