"""Cases over the embedded DynamoDB: the cases table through the one unit of work, dedupe under
concurrent posts, concurrent events on one case, and a P1 case's clock driven by the timer sweep
at chosen instants (never sleeping)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.container import utc_now
from shared.adapters.dynamo.models import CaseItem, EventItem, LeadKeyItem, TimerItem
from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import get_case, open_case, record_case_event
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of

THREADS = 16
CASE = {"external_id": "CC-7", "priority": "P1", "account": {"company": "Acme", "country": "CN"}}


def events_of(case_id: str, kind: str) -> list[Any]:
    return sorted(
        (e for e in EventItem.scan() if e.subject == f"case/{case_id}" and e.type == kind), key=lambda e: e.time
    )


def test_sixteen_concurrent_posts_of_one_case_make_one_case(clean_aws: Any, example_rules: ActiveRules) -> None:
    store, source = DynamoUnitOfWork(), example_rules.rules.sources["contact-center"]
    with ThreadPoolExecutor(THREADS) as pool:
        opening = read(CaseOpening, CASE, now=utc_now(), active=example_rules)
        jobs = [pool.submit(open_case, opening, source, example_rules, store, utc_now) for _ in range(THREADS)]
        results = [job.result() for job in jobs]
    assert Counter(r.status for r in results) == {"created": 1, "existing": THREADS - 1}
    assert len({r.case.case_id for r in results}) == 1 and len({r.body["owner_id"] for r in results}) == 1
    [item] = list(CaseItem.scan())
    assert item.priority == "P1" and item.status == "open" and item.version == 1
    assert [k.key for k in LeadKeyItem.scan()] == ["case#contact-center#CC-7"]
    assert len(events_of(item.case_id, "CaseOpened")) == 1
    _, loads = store.leads.next_turn("Support L2", "Support L2|support", ["u_xie", "u_yang"])
    assert loads == {results[0].body["owner_id"]: 1}  # the owner's load was taken once


def test_concurrent_events_on_one_case_are_all_kept(clean_aws: Any, example_rules: ActiveRules) -> None:
    store = DynamoUnitOfWork()
    case = open_case(
        read(CaseOpening, CASE, now=now_of(utc_now), active=example_rules),
        example_rules.rules.sources["contact-center"],
        example_rules,
        store,
        utc_now,
    ).case
    reply = read(CaseEventRecording, {"type": "agent_reply", "by": case.owner_id}, now=utc_now(), active=example_rules)
    with ThreadPoolExecutor(8) as pool:
        for job in [
            pool.submit(record_case_event, case.case_id, reply, example_rules, store, utc_now) for _ in range(8)
        ]:
            job.result()
    view = get_case(case.case_id, example_rules, store, utc_now)
    assert view["agent_contacts"] == 8 and len(view["history"]) == 8  # lost races were read again, not lost


def test_a_p1_case_breaches_at_the_right_instant_and_escalates_manager_then_director(
    clean_aws: Any, example_rules: ActiveRules
) -> None:
    store, clock = DynamoUnitOfWork(), TickingClock(datetime(2026, 11, 21, 14, 0, tzinfo=UTC))
    fire = handlers(FixedRules(example_rules))
    opened = open_case(
        read(CaseOpening, CASE, now=now_of(clock), active=example_rules),
        example_rules.rules.sources["contact-center"],
        example_rules,
        store,
        clock,
    )
    case_id, owner = opened.case.case_id, opened.body["owner_id"]
    for kind in ("first_response", "waiting_on_customer"):
        record_case_event(
            case_id,
            read(CaseEventRecording, {"type": kind, "by": owner}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert [t.kind for t in store.timers.pending(f"case/{case_id}")] == []  # paused: no timer pending
    clock.now += timedelta(hours=3)
    record_case_event(
        case_id,
        read(CaseEventRecording, {"type": "customer_replied", "by": owner}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    due = datetime(2026, 11, 22, 1, 0, 3, tzinfo=UTC)  # opened 14:00:01 + 8 h + 3 h 2 s waited
    assert get_case(case_id, example_rules, store, clock)["sla"]["resolution"]["due_at"] == "2026-11-22T01:00:03.000Z"

    sweep_timers(due - timedelta(seconds=1), store, fire)
    assert events_of(case_id, "SlaBreached") == [] and len(events_of(case_id, "SlaWarning")) == 1
    sweep_timers(due, store, fire)
    [breached] = events_of(case_id, "SlaBreached")
    assert (breached.data["role"], breached.data["notify"], breached.data["late_seconds"]) == ("manager", ["u_ma"], 0)
    sweep_timers(due + timedelta(hours=8, seconds=-1), store, fire)
    assert events_of(case_id, "SlaEscalated") == []
    sweep_timers(due + timedelta(hours=9), store, fire)  # an hour late: fires once, lateness recorded
    [escalated] = events_of(case_id, "SlaEscalated")
    assert (escalated.data["role"], escalated.data["notify"]) == ("director", ["u_chen"])
    assert escalated.data["late_seconds"] == 3600
    assert [t for t in TimerItem.scan() if t.about == f"case/{case_id}"] == []
    stored = store.cases.get(case_id)
    assert stored is not None and stored.alerted == [
        "resolution:case_sla_warn:0",
        "resolution:case_sla_breach:0",
        "resolution:case_sla_breach:1",
    ]
