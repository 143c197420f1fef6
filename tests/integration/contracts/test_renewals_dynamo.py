"""Renewals over the embedded DynamoDB: reminders fired by the timer sweep (once, late after an
outage), held by an open P1 case found through the cases' by_account index (never a scan), and
released in the transaction that resolves the last one — also when two resolve at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.dynamo.models import CaseItem, DeliveryItem, EventItem, TimerItem
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import open_case, record_case_event
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of
from tests.unit.services.renewals_helpers import P1_CASE, sign_contract

SIGNED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
DUE_90 = datetime(2027, 10, 2, 1, 0, tzinfo=UTC)
DUE_30 = datetime(2027, 12, 1, 1, 0, tzinfo=UTC)


def events(kind: str) -> list[Any]:
    return sorted((e for e in EventItem.scan() if e.type == kind), key=lambda e: (e.time, e.seq or 0))


@pytest.fixture
def requests() -> Iterator[list[str]]:
    """The DynamoDB operations made (names only), to show nothing scans."""
    made: list[str] = []
    client = CaseItem._get_connection().connection.client

    def record(event_name: str, **_: Any) -> None:
        made.append(event_name.rsplit(".", 1)[-1])

    client.meta.events.register("before-call.dynamodb", record)
    yield made
    client.meta.events.unregister("before-call.dynamodb", record)


def open_p1(store: DynamoUnitOfWork, rules: ActiveRules, clock: TickingClock, external_id: str) -> str:
    source = rules.rules.sources["contact-center"]
    return open_case(
        read(CaseOpening, {**P1_CASE, "external_id": external_id}, now=now_of(clock), active=rules),
        source,
        rules,
        store,
        clock,
    ).case.case_id


def resolve(store: DynamoUnitOfWork, rules: ActiveRules, clock: Any, case_id: str) -> None:
    case = store.cases.get(case_id)
    assert case is not None
    record_case_event(
        case_id,
        read(CaseEventRecording, {"type": "resolved", "by": case.owner_id}, now=now_of(clock), active=rules),
        rules,
        store,
        clock,
    )


def test_reminders_fire_once_late_after_an_outage_and_alert_the_chain(
    clean_aws: Any, example_rules: ActiveRules
) -> None:
    store = DynamoUnitOfWork()
    contract = sign_contract(store, example_rules, SIGNED)
    assert len([t for t in TimerItem.scan() if t.kind == "renewal_reminder"]) == 3
    back = DUE_30 + timedelta(hours=5)  # nothing swept since before the 90-day reminder
    for _ in range(3):  # the first run fires all three; retries find nothing
        sweep_timers(back, store, handlers(FixedRules(example_rules)))
    told = events("RenewalReminder")  # one sweep's events share its time
    assert sorted(e.data["days_before"] for e in told) == [30, 60, 90]
    assert all(e.data["late_seconds"] > 0 and e.subject == contract.subject for e in told)
    assert len(events("RenewalOpportunityCreated")) == 1
    alerts = [d for d in DeliveryItem.scan() if d.kind == "alert"]
    assert len(alerts) == 12  # 3 reminders × (u_xu, u_huang) × (email, wecom)
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None and stored.reminders == [] and len(stored.reminded) == 3


def test_an_open_p1_case_holds_the_renewal_and_its_resolution_releases_it_without_a_scan(
    clean_aws: Any, example_rules: ActiveRules, requests: list[str]
) -> None:
    store = DynamoUnitOfWork()
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=1))
    case_id = open_p1(store, example_rules, clock, "p1-a")
    requests.clear()
    sweep_timers(DUE_90, store, handlers(FixedRules(example_rules)))
    [reminder] = events("RenewalReminder")
    assert reminder.data["on_hold"] is True and reminder.data["case_ids"] == [case_id]
    [held] = events("RenewalHeld")
    assert held.data["notify"] == ["u_huang"]
    clock.now = DUE_90 + timedelta(hours=2)
    resolve(store, example_rules, clock, case_id)
    [released] = events("RenewalReleased")
    assert released.data["case_id"] == case_id
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None and not stored.on_hold
    assert "Scan" not in requests and "Query" in requests


def test_two_p1_cases_resolved_at_once_release_the_renewal_exactly_once(
    clean_aws: Any, example_rules: ActiveRules
) -> None:
    store = DynamoUnitOfWork()
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=1))
    cases = [open_p1(store, example_rules, clock, f"p1-{n}") for n in range(2)]
    sweep_timers(DUE_90, store, handlers(FixedRules(example_rules)))
    start = threading.Barrier(2)
    lock = threading.Lock()

    def at() -> datetime:
        with lock:
            return clock()

    def resolve_after_barrier(case_id: str) -> None:
        start.wait()
        resolve(store, example_rules, at, case_id)

    with ThreadPoolExecutor(2) as pool:
        for job in [pool.submit(resolve_after_barrier, c) for c in cases]:
            job.result()
    assert len(events("RenewalReleased")) == 1
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None and not stored.on_hold
