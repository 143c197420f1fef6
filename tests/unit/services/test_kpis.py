"""KPI rollups and definitions (CONTRACT §7) from hand-made event envelopes, over the memory store."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.kpi_memory import MemoryKpiStore
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.messages.validation import read
from shared.kernel.services.retry import ConflictRetry, no_wait
from shared.kpis.services.kpis import kpi_report, record_event
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
_ids = itertools.count(1)


def env(event_type: str, subject: str, time: str, **data: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{next(_ids):06d}",
        "type": event_type,
        "time": time,
        "subject": subject,
        "rules_version": "v1",
        "data": data,
    }


class Kpis:
    def __init__(self, rules: Any) -> None:
        self.store, self.rules = MemoryKpiStore(), rules.rules

    def record(self, *envelopes: dict[str, Any]) -> list[str]:
        return [record_event(e, self.store, self.rules, ConflictRetry(sleep=no_wait)) for e in envelopes]

    def report(self, **params: str) -> dict[str, Any]:
        return kpi_report(params, self.store, self.rules, NOW)

    def kpi(self, key: str, **params: str) -> dict[str, Any]:
        return dict(self.report(**params)["kpis"][key])


@pytest.fixture
def kpis(example_rules: Any) -> Kpis:
    return Kpis(example_rules)


def touched(lead: str, at: str, assigned_at: str, owner: str = "u_wang") -> dict[str, Any]:
    return env("LeadFirstTouched", f"lead/{lead}", at, owner_id=owner, type="call", at=at, assigned_at=assigned_at)


def test_mql_to_sql_rate_counts_the_mql_cohort_and_sql_reached_before_the_window_ends(kpis: Kpis) -> None:
    kpis.record(
        env("LeadCaptured", "lead/a", "2026-11-02T02:00:00Z", grade="sql"),  # mql and sql at once
        env("LeadCaptured", "lead/b", "2026-11-03T02:00:00Z", grade="mql"),
        env("LeadMerged", "lead/b", "2026-11-05T02:00:00Z", grade="sql"),  # reached sql in the window
        env("LeadCaptured", "lead/c", "2026-11-04T02:00:00Z", grade="mql"),
        env("LeadConverted", "lead/c", "2026-11-12T02:00:00Z"),  # sql only after the window below
        env("LeadCaptured", "lead/d", "2026-11-04T02:00:00Z", grade="nurture"),  # not mql: outside the cohort
        env("LeadRequalified", "lead/d", "2026-11-06T02:00:00Z", to="mql"),  # ... until it woke
        env("LeadCaptured", "lead/e", "2026-10-20T02:00:00Z", grade="mql"),  # cohort before the window
        env("LeadMerged", "lead/e", "2026-11-04T02:00:00Z", grade="sql"),
    )
    assert kpis.kpi("mql_to_sql_rate", **{"from": "2026-11-01", "to": "2026-11-10"}) == {
        "value": 0.5, "numerator": 2, "denominator": 4,
    }  # fmt: skip
    assert kpis.kpi("mql_to_sql_rate", **{"from": "2026-11-01", "to": "2026-11-13"})["numerator"] == 3


def test_first_touch_median_hours_and_the_timezone_day_boundary(kpis: Kpis) -> None:
    kpis.record(
        touched("a", "2026-11-10T03:00:00Z", "2026-11-10T02:00:00Z"),  # 1 h
        touched("b", "2026-11-10T05:00:00Z", "2026-11-10T02:00:00Z"),  # 3 h
        touched("c", "2026-11-10T12:00:00Z", "2026-11-10T02:00:00Z"),  # 10 h
        # 16:30 UTC on the 10th is 00:30 on the 11th in Asia/Shanghai (Settings timezone)
        touched("d", "2026-11-10T16:30:00Z", "2026-11-10T16:00:00Z"),
    )
    day10 = kpis.kpi("first_touch_median_hours", **{"from": "2026-11-10", "to": "2026-11-11"})
    assert day10["denominator"] == 3 and day10["unit"] == "hours"
    assert abs(day10["value"] - 3.0) <= 3.0 * 0.045 and day10["numerator"] >= 2
    day11 = kpis.kpi("first_touch_median_hours", **{"from": "2026-11-11", "to": "2026-11-12"})
    assert day11["denominator"] == 1 and abs(day11["value"] - 0.5) <= 0.5 * 0.045


def test_filters_by_team_and_owner_use_the_owners_tab_when_an_event_has_no_team(kpis: Kpis) -> None:
    kpis.record(
        touched("a", "2026-11-10T03:00:00Z", "2026-11-10T02:00:00Z", owner="u_wang"),  # SMB East
        touched("b", "2026-11-10T05:00:00Z", "2026-11-10T02:00:00Z", owner="u_zhang"),  # SMB East
        touched("c", "2026-11-10T06:00:00Z", "2026-11-10T02:00:00Z", owner="u_li"),  # SMB North
    )
    window = {"from": "2026-11-01", "to": "2026-11-30"}
    assert kpis.kpi("first_touch_median_hours", **window)["denominator"] == 3
    assert kpis.kpi("first_touch_median_hours", team="SMB East", **window)["denominator"] == 2
    assert kpis.kpi("first_touch_median_hours", owner_id="u_li", **window)["denominator"] == 1
    assert kpis.kpi("first_touch_median_hours", team="SMB East", owner_id="u_wang", **window)["denominator"] == 1
    assert kpis.kpi("first_touch_median_hours", team="SMB North", owner_id="u_wang", **window)["value"] is None


def test_a_redelivered_event_counts_once(kpis: Kpis) -> None:
    touch = touched("a", "2026-11-10T03:00:00Z", "2026-11-10T02:00:00Z")
    captured = env("LeadCaptured", "lead/a", "2026-11-10T01:00:00Z", grade="mql")
    assert kpis.record(touch, captured, touch, captured) == ["counted", "counted", "duplicate", "duplicate"]
    window = {"from": "2026-11-01", "to": "2026-11-30"}
    assert kpis.kpi("first_touch_median_hours", **window)["denominator"] == 1
    assert kpis.kpi("mql_to_sql_rate", **window)["denominator"] == 1
    assert kpis.record(env("ActivityRecorded", "lead/a", "2026-11-10T03:00:00Z")) == ["ignored"]


def test_a_fact_is_remembered_on_its_subject_and_needs_no_marker_of_its_own(kpis: Kpis) -> None:
    """A marker costs a transactional write per event; a fact's subject state is written anyway."""
    captured = env("LeadCaptured", "lead/m", "2026-11-10T01:00:00Z", grade="mql")
    touch = touched("m", "2026-11-10T03:00:00Z", "2026-11-10T02:00:00Z")  # an observation
    assert kpis.record(captured, touch) == ["counted", "counted"]
    assert kpis.store.seen == {touch["id"]}
    assert kpis.record(captured) == ["duplicate"]


def test_a_subject_remembers_its_latest_events_only(kpis: Kpis) -> None:
    from shared.kpis.domain.kpi_rollups import COUNTED_KEPT, event_tag

    merges = [
        env("LeadMerged", "lead/n", f"2026-11-10T01:{i % 60:02d}:00Z", grade="mql") for i in range(COUNTED_KEPT + 3)
    ]
    assert set(kpis.record(*merges)) == {"counted"}
    state = kpis.store.states["lead/n"]
    assert state.counted == tuple(event_tag(e["id"]) for e in merges[-COUNTED_KEPT:])
    assert kpis.record(merges[-1]) == ["duplicate"]
    assert kpis.kpi("mql_to_sql_rate", **{"from": "2026-11-01", "to": "2026-11-30"})["denominator"] == 1


def test_a_lead_is_attributed_to_its_latest_owner_whatever_order_events_arrive_in(kpis: Kpis) -> None:
    window = {"from": "2026-11-01", "to": "2026-11-30"}
    kpis.record(
        env("LeadReassigned", "lead/a", "2026-11-11T02:00:00Z", owner_id="u_li", team="SMB North"),
        env("LeadCaptured", "lead/a", "2026-11-10T02:00:00Z", grade="mql"),
        env("LeadAssigned", "lead/a", "2026-11-10T02:00:00Z", owner_id="u_wang", team="SMB East"),
    )
    assert kpis.kpi("mql_to_sql_rate", owner_id="u_li", **window)["denominator"] == 1
    assert kpis.kpi("mql_to_sql_rate", team="SMB East", **window)["denominator"] == 0
    assert kpis.kpi("mql_to_sql_rate", **window)["denominator"] == 1


def test_first_contact_resolution_and_a_reopened_case(kpis: Kpis) -> None:
    def resolved(case: str, at: str, fcr: bool, owner: str = "u_qian") -> dict[str, Any]:
        return env("CaseResolved", f"case/{case}", at, at=at, owner_id=owner, first_contact_resolution=fcr)

    kpis.record(
        # the case's team comes from CaseOpened, whatever the Owners tab says of its owner now
        env("CaseOpened", "case/x", "2026-11-09T01:00:00Z", owner_id="u_qian", team="Support L2"),
        resolved("x", "2026-11-10T02:00:00Z", True),
        resolved("y", "2026-11-10T02:00:00Z", False, owner="u_song"),  # Support, from the Owners tab
        resolved("z", "2026-11-10T02:00:00Z", True),
        env("CaseReopened", "case/z", "2026-11-11T02:00:00Z", at="2026-11-11T02:00:00Z"),  # no longer resolved
    )
    window = {"from": "2026-11-01", "to": "2026-11-30"}
    assert kpis.kpi("first_contact_resolution", **window) == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert kpis.kpi("first_contact_resolution", team="Support L2", **window)["denominator"] == 1
    assert kpis.kpi("first_contact_resolution", team="Support", **window) == {
        "value": 0.0,
        "numerator": 0,
        "denominator": 1,
    }
    kpis.record(resolved("z", "2026-11-12T02:00:00Z", False))  # resolved again: not at first contact
    assert kpis.kpi("first_contact_resolution", **window) == {"value": 0.3333, "numerator": 1, "denominator": 3}


def test_sla_attainment_per_kind(kpis: Kpis) -> None:
    kpis.record(
        env("SlaMet", "lead/a", "2026-11-10T03:00:00Z", kind="lead_first_touch", stopped_at="2026-11-10T03:00:00Z"),
        env("SlaMet", "lead/b", "2026-11-10T03:00:00Z", kind="lead_first_touch", owner_id="u_wang"),
        env("SlaBreached", "lead/c", "2026-11-10T05:00:00Z", kind="lead_first_touch", due_at="2026-11-10T04:00:00Z"),
        env("SlaBreached", "case/d", "2026-11-10T05:00:00Z", kind="case_first_response"),
    )
    sla = kpis.report(**{"from": "2026-11-01", "to": "2026-11-30"})["kpis"]["sla_attainment"]
    assert sla == {
        "case_first_response": {"value": 0.0, "numerator": 0, "denominator": 1},
        "lead_first_touch": {"value": 0.6667, "numerator": 2, "denominator": 3},
    }


def test_win_rates_sales_cycle_approval_and_invoice_lead_from_their_data_keys(kpis: Kpis) -> None:
    kpis.record(
        env("OpportunityWon", "opportunity/1", "2026-11-10T02:00:00Z", amount=300, created_at="2026-10-31T02:00:00Z",
            owner_id="u_li", team="SMB North"),
        env("OpportunityWon", "opportunity/2", "2026-11-10T02:00:00Z", amount="100", created_at="2026-11-06T02:00:00Z"),
        env("OpportunityLost", "opportunity/3", "2026-11-10T02:00:00Z", amount=600),
        env("QuoteApproved", "quote/1", "2026-11-10T02:00:00Z", quote_created_at="2026-11-09T20:00:00Z"),
        env("InvoiceRequested", "invoice/1", "2026-11-10T02:00:00Z",
            shipments=[{"signed_at": "2026-11-07T02:00:00Z"}, {"signed_at": "2026-11-08T02:00:00Z"}]),
    )  # fmt: skip
    report = kpis.report(**{"from": "2026-11-01", "to": "2026-11-30"})["kpis"]
    assert report["win_rate_amount"] == {"value": 0.4, "numerator": 400, "denominator": 1000}
    assert report["win_rate_count"] == {"value": 0.6667, "numerator": 2, "denominator": 3}
    assert report["sales_cycle_median_days"]["denominator"] == 2  # 10 and 4 days: mean of the two
    assert abs(report["sales_cycle_median_days"]["value"] - 7) <= 7 * 0.045
    assert abs(report["approval_median_hours"]["value"] - 6) <= 6 * 0.045
    assert abs(report["invoice_lead_days_median"]["value"] - 2) <= 2 * 0.045  # from the last signed shipment
    north = kpis.report(team="SMB North", **{"from": "2026-11-01", "to": "2026-11-30"})["kpis"]
    assert north["win_rate_count"] == {"value": 1.0, "numerator": 1, "denominator": 1}


def test_events_missing_keys_are_skipped_and_said_so(kpis: Kpis) -> None:
    kpis.record(
        env("OpportunityWon", "opportunity/1", "2026-11-10T02:00:00Z"),  # no amount, no created_at
        env("QuoteApproved", "quote/1", "2026-11-10T02:00:00Z"),
        env("InvoiceRequested", "invoice/1", "2026-11-10T02:00:00Z", shipments=[{"signed_at": "yesterday"}]),
        env("ContractSigned", "contract/1", "2026-11-10T02:00:00Z", contract_id="ct1", account_id="ac1", amount=5),
        env("LeadFirstTouched", "lead/a", "2026-11-10T02:00:00Z", at="2026-11-10T02:00:00Z",
            assigned_at="2026-11-10T05:00:00Z"),  # touched before it was assigned: bad data
    )  # fmt: skip
    report = kpis.report(**{"from": "2026-11-01", "to": "2026-11-30"})
    assert report["kpis"]["win_rate_count"]["denominator"] == 1  # counted for what it carries
    assert report["kpis"]["win_rate_amount"]["denominator"] == 0
    assert report["skipped"] == {
        "ContractSigned.start_date": 1,
        "InvoiceRequested.last_signed_at": 1,
        "LeadFirstTouched.assigned_at": 1,
        "OpportunityWon.amount": 1,
        "OpportunityWon.created_at": 1,
        "QuoteApproved.quote_created_at": 1,
    }


def contract(
    cid: str, account: str, amount: float, start: str, end: str, signed: str = "2025-12-20T02:00:00Z"
) -> dict[str, Any]:  # `amount` read as the annual value: `annual_value` absent
    return env("ContractSigned", f"contract/{cid}", signed, contract_id=cid, account_id=account, amount=amount,
               start_date=start, end_date=end, owner_id="u_huang")  # fmt: skip


def test_net_revenue_retention_of_accounts_live_at_from(kpis: Kpis) -> None:
    kpis.record(
        contract("c1", "acme", 100, "2026-01-01", "2026-12-31"),  # live through the window
        contract("c2", "acme", 50, "2026-11-05", "2027-11-04", signed="2026-11-04T02:00:00Z"),  # expansion
        contract("c3", "beta", 200, "2025-06-01", "2026-11-09"),  # churns on 11-10
        contract("c4", "gamma", 400, "2026-11-02", "2027-11-01"),  # new after from: not in the base
        contract("c5", "delta", 80, "2024-01-01", "2024-12-31"),  # ended long before
    )
    window = {"from": "2026-11-01", "to": "2026-11-30"}
    assert kpis.kpi("net_revenue_retention", **window) == {"value": 0.5, "numerator": 150, "denominator": 300}
    # a window that starts after beta churned and gamma signed: acme and gamma are the base
    later = kpis.kpi("net_revenue_retention", **{"from": "2026-11-20", "to": "2026-11-30"})
    assert later == {"value": 1.0, "numerator": 550, "denominator": 550}
    assert kpis.kpi("net_revenue_retention", team="Enterprise", **window)["denominator"] == 300
    kpis.record(contract("c1", "acme", 100, "2026-01-01", "2026-12-31"))  # the same contract again: no change
    assert kpis.kpi("net_revenue_retention", **window)["numerator"] == 150
    # a two-year contract's annual value, as the contracts domain states it, wins over its total
    two_years = contract("c6", "epsilon", 2000, "2026-01-01", "2027-12-31")
    two_years["data"]["annual_value"] = "1000.00"
    kpis.record(two_years)
    assert kpis.kpi("net_revenue_retention", **window) == {"value": 0.8846, "numerator": 1150, "denominator": 1300}


def test_a_query_reads_rollup_items_per_day_not_per_lead(kpis: Kpis) -> None:
    for n in range(300):
        kpis.record(env("LeadCaptured", f"lead/{n}", f"2026-11-{1 + n % 28:02d}T02:00:00Z", grade="mql"))
    report = kpis.report(**{"from": "2026-11-01", "to": "2026-11-29"})
    assert report["kpis"]["mql_to_sql_rate"]["denominator"] == 300
    assert report["items_read"] == 28  # one per day of the window (nothing before it)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-11-10", "to": "2026-11-10"}, "from"),
        ({"from": "2025-01-01", "to": "2026-11-10"}, "to"),
        ({"since": "7d"}, "since"),
        ({"team": "x" * 101}, "team"),
    ],
)
def test_bad_windows_and_parameters_are_refused_naming_the_field(
    kpis: Kpis, params: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        kpis.report(**params)
    assert field in refused.value.fields


def test_the_default_window_is_the_last_28_days_today_included(kpis: Kpis) -> None:
    report = kpis.report()
    assert (report["from"], report["to"], report["timezone"]) == ("2026-11-03", "2026-12-01", "Asia/Shanghai")
    assert all(report["kpis"][k]["value"] is None for k in ("mql_to_sql_rate", "first_touch_median_hours"))


def test_a_move_that_cancels_out_on_an_item_writes_nothing_to_it() -> None:
    from shared.kpis.domain.kpi_rollups import scope_key, updates_of

    moved = updates_of(
        [(("d#2026-11-10", "SMB East", "u_wang", "mql_n"), -1), (("d#2026-11-10", "SMB East", "u_zhang", "mql_n"), 1)]
    )
    assert (scope_key(None, None), "d#2026-11-10") not in moved  # all teams: -1 + 1
    assert (scope_key("SMB East", None), "d#2026-11-10") not in moved
    assert moved[(scope_key(None, "u_zhang"), "d#2026-11-10")] == {"mql_n": 1}


def test_a_case_clock_breached_by_a_sweep_ahead_of_it_then_met_by_its_history_counts_once(example_rules: Any) -> None:
    """Time travel (the demo): timer-sweep run months ahead tells both clocks of a P1 case breached;
    then the first response and the resolution are recorded at the stack's own time, in time, so
    the recomputed clocks say met. Each clock counts once, as met — not 1 / 2."""
    from datetime import timedelta

    from shared.adapters.memory import MemoryUnitOfWork
    from shared.composition.services.timer_handlers import handlers
    from shared.service_desk.services.cases import open_case, record_case_event
    from shared.time.services.timers import sweep_timers
    from tests.unit.services.helpers import FixedRules, TickingClock, now_of
    from tests.unit.services.renewals_helpers import P1_CASE

    store, clock = MemoryUnitOfWork(), TickingClock(NOW - timedelta(days=2))
    case = open_case(
        read(CaseOpening, P1_CASE, now=now_of(clock), active=example_rules),
        example_rules.rules.source_named("contact-center"),
        example_rules,
        store,
        clock,
    ).case
    sweep_timers(NOW + timedelta(days=90), store, handlers(FixedRules(example_rules)))  # ahead of the clock
    for kind in ("first_response", "resolved"):
        record_case_event(
            case.case_id,
            read(CaseEventRecording, {"type": kind, "by": case.owner_id}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    told = [e.type for e in store.events if e.type in ("SlaMet", "SlaBreached")]
    assert sorted(told) == ["SlaBreached", "SlaBreached", "SlaMet", "SlaMet"]  # what was said, both ways

    for order in (store.events, list(reversed(store.events))):  # whatever order the rollups get them in
        kpis = Kpis(example_rules)
        kpis.record(*(e.envelope() for e in order))
        sla = kpis.report(**{"from": "2026-11-01", "to": "2027-03-30"})["kpis"]["sla_attainment"]
        assert sla == {
            "case_first_response": {"value": 1.0, "numerator": 1, "denominator": 1},
            "case_resolution": {"value": 1.0, "numerator": 1, "denominator": 1},
        }


def test_a_clock_counts_once_with_its_last_word(kpis: Kpis) -> None:
    """A reopened case's resolution clock, met then breached after the reopen (its due moved by
    the pause): breached, once. Met twice (resolved, reopened, resolved in time): met, once. A
    lead's clock starts again with a new owner: two clocks."""

    def sla(kind: str, subject: str, due: str, **data: Any) -> dict[str, Any]:
        return env(kind, subject, due, kind="case_resolution", clock="resolution", due_at=due, **data)

    met = sla("SlaMet", "case/r", "2026-11-10T06:00:00Z", stopped_at="2026-11-10T03:00:00Z")
    late = sla("SlaBreached", "case/r", "2026-11-12T06:00:00Z")
    twice = [sla("SlaMet", "case/t", due, stopped_at=due) for due in ("2026-11-10T06:00:00Z", "2026-11-13T06:00:00Z")]
    first = env("SlaBreached", "lead/l", "2026-11-10T04:00:00Z", kind="lead_first_touch", clock="first_touch",
                owner_id="u_wang", due_at="2026-11-10T04:00:00Z")  # fmt: skip
    second = env("SlaMet", "lead/l", "2026-11-10T06:00:00Z", kind="lead_first_touch", clock="first_touch",
                 owner_id="u_li", due_at="2026-11-10T08:00:00Z", stopped_at="2026-11-10T06:00:00Z")  # fmt: skip
    kpis.record(late, met, *twice, second, first)
    sla_kpis = kpis.report(**{"from": "2026-11-01", "to": "2026-11-30"})["kpis"]["sla_attainment"]
    assert sla_kpis == {
        "case_resolution": {"value": 0.5, "numerator": 1, "denominator": 2},
        "lead_first_touch": {"value": 0.5, "numerator": 1, "denominator": 2},
    }
