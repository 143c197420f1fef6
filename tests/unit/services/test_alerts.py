"""SLA alerts: each SlaWarning / SlaBreached / SlaEscalated becomes one delivery per person per
channel of their Owners `notify` cell, in the same change as the event; a retried sweep adds none."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.deliveries.domain.deliveries import Delivery
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import SQL_LEAD, FixedRules, TickingClock, capture, stored

FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
MONDAY_1500 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the example sql lead's first touch is due (5 h)


def rules(content: Content, locale: str = "en") -> ActiveRules:
    changed = copy.deepcopy(content)
    changed["Settings"] = [r for r in changed["Settings"] if r["key"] != "locale"] + [
        {"key": "locale", "value": locale}
    ]
    built = RuleSet.from_content(changed, f"v1-{locale}")
    return ActiveRules(built)


def deliveries(store: MemoryUnitOfWork) -> list[Delivery]:
    return store.deliveries.listing()


def breached(active: ActiveRules) -> tuple[MemoryUnitOfWork, str]:
    store = MemoryUnitOfWork()
    lead = {**SQL_LEAD, "name": "张伟", "company": "上海精密制造"}
    result = capture(lead, active, store, TickingClock(FRIDAY_1730 - timedelta(seconds=1)))
    sweep_timers(MONDAY_1500, store, handlers(FixedRules(active)))
    return store, result.lead.lead_id


def test_warning_to_the_owner_and_breach_to_the_manager_on_each_of_their_channels(example_content: Content) -> None:
    store, lead_id = breached(rules(example_content))
    owner = stored(store, lead_id).owner_id
    sent = {(d.to, d.channel, d.payload["event"]) for d in deliveries(store)}
    # the SMB East owner has wecom; their manager u_liu has email and wecom
    assert sent == {
        (owner, "wecom", "SlaWarning"),
        ("u_liu", "email", "SlaBreached"),
        ("u_liu", "wecom", "SlaBreached"),
    }
    email = next(d for d in deliveries(store) if d.channel == "email")
    assert email.address == "liu.yang@example.com" and email.about == f"lead/{lead_id}" and email.status == "pending"
    assert email.payload["title"] == "⚠️ First touch overdue"
    assert email.text.startswith("Lead 张伟 (上海精密制造)\nFirst touch due Mon 23 Nov 2026 15:00 (Asia/Shanghai")


def test_the_workbook_locale_and_the_recipients_time_zone(example_content: Content) -> None:
    content = copy.deepcopy(example_content)
    for row in content["Owners"]:
        if row["owner_id"] == "u_liu":
            row["timezone"] = "Europe/London"
    store, _ = breached(rules(content, "zh-CN"))
    email = next(d for d in deliveries(store) if d.channel == "email")
    assert email.payload["title"] == "⚠️ 首次跟进已超时"
    assert "首次跟进截止：2026-11-23 周一 07:00（Europe/London，UTC）" in email.text


def test_alerts_are_idempotent_per_timer(example_content: Content) -> None:
    """A sweep that computes the same timer's effect twice (a lost race, a retried run) names
    the same deliveries, which the unit of work then refuses to create a second time."""
    active = rules(example_content)
    store = MemoryUnitOfWork()
    result = capture(SQL_LEAD, active, store, TickingClock(FRIDAY_1730 - timedelta(seconds=1)))
    [warn] = [t for t in store.timers.pending(f"lead/{result.lead.lead_id}") if t.kind == "sla_warn"]
    fire = handlers(FixedRules(active))["sla_warn"]
    first, second = fire(warn, warn.due_at, store), fire(warn, warn.due_at, store)
    ids = [s.aggregate.subject for s in first.saves if s.aggregate.subject.startswith("delivery/")]
    assert ids and ids == [s.aggregate.subject for s in second.saves if s.aggregate.subject.startswith("delivery/")]
    store.commit(first)
    try:
        store.commit(second)
    except Exception as error:
        assert type(error).__name__ == "StaleAggregate"
    else:
        raise AssertionError("the same alert was created twice")
    assert len(deliveries(store)) == len(ids)
