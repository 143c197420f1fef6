"""Lead first-touch SLA clocks, driven by the timer sweep at chosen instants (no sleeping).

The example rules: sql leads get a first touch within 5 business hours of the cn-office calendar
(Mon–Fri 09:00–18:00 Asia/Shanghai, lunch 12:00–13:30), warned at 75 %, breached to the manager,
escalated to the director one more full target later, reassigned after 48 business hours.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import (
    SQL_LEAD,
    FixedRules,
    TickingClock,
    capture,
    command_of,
    event_data,
    events_of,
    stored,
)

FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def with_escalation(content: Content, roles: str) -> ActiveRules:
    changed = copy.deepcopy(content)
    for row in changed["SLA"]:
        if row["kind"] == "lead_first_touch" and row["grade"] == "sql":
            row["escalate_to"] = roles
    rules = RuleSet.from_content(changed, "v9-escalate")
    return ActiveRules(rules)


def assigned_on_friday(active: ActiveRules, store: MemoryUnitOfWork) -> str:
    result = capture(SQL_LEAD, active, store, TickingClock(FRIDAY_1730 - timedelta(seconds=1)))  # ticks first
    assert result.lead.grade == "sql" and result.lead.owner_id is not None
    return result.lead.lead_id


def test_assignment_starts_a_clock_due_in_business_hours(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    clock = stored(store, lead_id).sla["first_touch"]
    # 17:30–18:00 Friday is 0.5 h; Monday 09:00–12:00 is 3 h, then 13:30 + 1.5 h = 15:00
    # (warn at 75 % = 3.75 h: Monday 13:45, after lunch)
    assert clock["due_at"] == "2026-11-23T07:00:00.000Z" and clock["warn_at"] == "2026-11-23T05:45:00.000Z"
    assert clock["state"] == "running" and clock["sla_row"] == 2 and clock["business_hours"] is True
    # 48 business hours: 0.5 h Friday, 37.5 h the next week, 7.5 h on Monday 30th, 2.5 h on Tuesday
    assert clock["reassign_at"] == "2026-12-01T03:30:00.000Z"
    kinds = sorted(t.kind for t in store.timers.pending(f"lead/{lead_id}"))
    assert kinds == ["sla_breach", "sla_reassign", "sla_warn"]


def test_warned_then_breached_to_the_manager_then_escalated_to_the_director(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    owner = stored(store, lead_id).owner_id
    fire = handlers(FixedRules(example_rules))

    sweep_timers(utc("2026-11-23T13:44:00+08:00"), store, fire)  # Monday, a minute before the warning
    assert "SlaWarning" not in events_of(store, lead_id)
    sweep_timers(utc("2026-11-23T13:45:00+08:00"), store, fire)
    assert event_data(store, lead_id, "SlaWarning")[0]["notify"] == [owner]
    sweep_timers(utc("2026-11-23T15:00:00+08:00"), store, fire)
    [breach] = event_data(store, lead_id, "SlaBreached")
    assert (breach["role"], breach["notify"]) == ("manager", ["u_liu"])  # the SMB East owner's manager
    assert stored(store, lead_id).sla["first_touch"]["breached_at"] == "2026-11-23T07:00:00.000Z"
    # one more full target (5 business hours) later: the director, Monday 15:00–18:00 + Tuesday 09:00–11:00
    sweep_timers(utc("2026-11-24T10:59:00+08:00"), store, fire)
    assert "SlaEscalated" not in events_of(store, lead_id)
    sweep_timers(utc("2026-11-24T11:00:00+08:00"), store, fire)
    [escalated] = event_data(store, lead_id, "SlaEscalated")
    assert (escalated["role"], escalated["notify"]) == ("director", ["u_chen"])
    # no third role: what is left to fire is the reassignment
    assert [t.kind for t in store.timers.pending(f"lead/{lead_id}")] == ["sla_reassign"]


def test_one_role_only_escalates_no_further(example_content: Content) -> None:
    active = with_escalation(example_content, "manager")
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(active, store)
    sweep_timers(utc("2026-11-24T12:00:00+08:00"), store, handlers(FixedRules(active)))
    assert events_of(store, lead_id).count("SlaBreached") == 1 and "SlaEscalated" not in events_of(store, lead_id)


def test_a_first_touch_in_time_is_met_and_cancels_the_timers(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    owner = stored(store, lead_id).owner_id
    clock = TickingClock(FRIDAY_1730)
    record_activity(
        lead_id,
        command_of(LeadActivity, {"type": "call", "by": owner}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    assert event_data(store, lead_id, "SlaMet")[0]["due_at"] == "2026-11-23T07:00:00.000Z"
    assert stored(store, lead_id).sla["first_touch"]["state"] == "met"
    assert store.timers.pending(f"lead/{lead_id}") == []
    sweep_timers(utc("2026-11-24T12:00:00+08:00"), store, handlers(FixedRules(example_rules)))
    assert not {"SlaWarning", "SlaBreached"} & set(events_of(store, lead_id))


def test_a_touch_after_the_breach_stops_the_clock_breached(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    sweep_timers(utc("2026-11-23T16:00:00+08:00"), store, handlers(FixedRules(example_rules)))
    owner = stored(store, lead_id).owner_id
    late = TickingClock(utc("2026-11-23T16:05:00+08:00"))
    emailed = command_of(LeadActivity, {"type": "email", "by": owner}, example_rules, late)
    record_activity(lead_id, emailed, example_rules, store, late)
    clock = stored(store, lead_id).sla["first_touch"]
    assert clock["state"] == "breached" and clock["stopped_at"] is not None
    assert "SlaMet" not in events_of(store, lead_id)


def test_a_sweep_days_late_fires_warning_and_breach_once_each(example_rules: ActiveRules) -> None:
    store = MemoryUnitOfWork()
    lead_id = assigned_on_friday(example_rules, store)
    fire = handlers(FixedRules(example_rules))
    sweep_timers(utc("2026-11-26T09:00:00+08:00"), store, fire)
    sweep_timers(utc("2026-11-26T09:01:00+08:00"), store, fire)
    kinds = events_of(store, lead_id)
    assert kinds.count("SlaWarning") == 1 and kinds.count("SlaBreached") == 1
    assert event_data(store, lead_id, "SlaBreached")[0]["late_seconds"] > 0
