"""KPI rollups under concurrency, with real threads against the embedded DynamoDB: racing events
of one lead end in the rollups their facts imply, and one event delivered to many consumers at
once is counted once."""

from __future__ import annotations

import threading
from typing import Any

from shared.kernel.services.retry import ConflictRetry
from shared.kpis.services.kpis import kpi_report, record_event
from tests.unit.services.test_kpis import NOW

WINDOW = {"from": "2026-11-01", "to": "2026-11-30"}


def run_all(jobs: list[Any]) -> list[Any]:
    results: list[Any] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def worker(i: int) -> None:
        start.wait()
        results[i] = jobs[i]()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_racing_events_of_one_lead_leave_the_rollups_their_facts_imply(clean_aws: Any) -> None:
    rules = clean_aws.rules.current().rules
    owners = ["u_wang", "u_zhang", "u_li", "u_zhao"]
    events = [
        {
            "id": "evt_cap",
            "type": "LeadCaptured",
            "time": "2026-11-10T02:00:00.000Z",
            "subject": "lead/ld_r",
            "data": {"grade": "mql"},
        }
    ]
    for n, owner in enumerate(owners * 2):
        events.append(
            {
                "id": f"evt_who_{n}",
                "type": "LeadReassigned",
                "time": f"2026-11-10T{3 + n:02d}:00:00.000Z",
                "subject": "lead/ld_r",
                "data": {"owner_id": owner},
            }
        )
    store = clean_aws.kpis
    outcomes = run_all([lambda e=e: record_event(e, store, rules, ConflictRetry()) for e in events])
    assert outcomes == ["counted"] * len(events)
    latest = owners[(len(events) - 2) % len(owners)]  # the last reassignment by time
    assert kpi_report(WINDOW, store, rules, NOW)["kpis"]["mql_to_sql_rate"]["denominator"] == 1
    for owner in owners:
        mine = kpi_report({**WINDOW, "owner_id": owner}, store, rules, NOW)["kpis"]["mql_to_sql_rate"]
        assert mine["denominator"] == (1 if owner == latest else 0), owner


def test_one_event_delivered_to_six_consumers_at_once_is_counted_once(clean_aws: Any) -> None:
    rules = clean_aws.rules.current().rules
    touch = {
        "id": "evt_same",
        "type": "LeadFirstTouched",
        "time": "2026-11-10T03:00:00.000Z",
        "subject": "lead/ld_s",
        "data": {"owner_id": "u_wang", "at": "2026-11-10T03:00:00.000Z", "assigned_at": "2026-11-10T02:00:00.000Z"},
    }
    outcomes = run_all([lambda: record_event(touch, clean_aws.kpis, rules, ConflictRetry()) for _ in range(6)])
    assert sorted(outcomes) == ["counted"] + ["duplicate"] * 5
    ft = kpi_report(WINDOW, clean_aws.kpis, rules, NOW)["kpis"]["first_touch_median_hours"]
    assert ft["denominator"] == 1
