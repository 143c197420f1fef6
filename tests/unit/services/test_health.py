"""Account health through the services (CONTRACT §2.10): the usage webhook, signals kept by cases,
finance's write-back and sales activity, the daily sweep, and the account manager's alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.customers.domain.accounts import Account
from shared.customers.messages.accounts import UsageReport
from shared.customers.services.health import report_usage, sweep_health
from shared.fulfilment.domain.orders import invoice_id_for
from shared.kernel.domain.errors import AccountNotFound, ValidationFailed
from shared.kernel.domain.events import iso
from shared.kernel.messages.validation import read
from shared.leads.messages.leads import LeadActivity
from shared.leads.services.activities import record_activity
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import OpportunityActivity, OpportunityNew
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import open_case, record_case_event
from tests.unit.services.helpers import NOW, SQL_LEAD, TickingClock, capture, command_of, now_of
from tests.unit.services.orders_helpers import ACME, CREDIT_CODE, make_order, report_shipment, shipment, write_back

SIGNED_UP = NOW - timedelta(days=60)  # old enough to be judged on engagement


@pytest.fixture
def account_id(example_rules: ActiveRules, store: MemoryUnitOfWork) -> str:
    return make_order(store, example_rules, SIGNED_UP).account_id


def _account(store: MemoryUnitOfWork, account_id: str) -> Account:
    account = store.accounts.get(account_id)
    assert account is not None
    return account


def _warnings(store: MemoryUnitOfWork) -> list[dict[str, Any]]:
    return [e.data for e in store.events if e.type == "HealthWarning"]


def _usage(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, **body: Any) -> dict[str, Any]:
    usage = read(UsageReport, body, now=now_of(clock), active=rules)
    return report_usage(usage, rules.rules.source_named("product-analytics"), rules, store, clock)


def _engage(store: MemoryUnitOfWork, account_id: str, days: int) -> None:
    """Give the account activity on ``days`` recent days (straight into its signals)."""
    account = _account(store, account_id)
    version = account.version
    account.signals["activity"] = {(NOW - timedelta(days=n)).date().isoformat(): 1 for n in range(days)}
    from shared.kernel.services.ports import Change, Save

    store.commit(Change(saves=[Save(account, version)]))


# ------------------------------------------------------------------ the usage webhook


def test_low_usage_warns_the_account_manager_once(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    _engage(store, account_id, 4)
    healthy = _usage(example_rules, store, clock, account_id=account_id, active_users=45, licensed_users=50)
    assert healthy["recorded"] and healthy["health"]["below"] == [] and _warnings(store) == []
    low = _usage(example_rules, store, clock, account_id=account_id, active_users=5, licensed_users=50)
    assert low["health"]["dimensions"]["usage"] == 10 and low["health"]["below"] == ["usage"]
    [warned] = _warnings(store)
    assert warned["fell"] == ["usage"] and warned["notify"] == ["u_xu"] and warned["owner_id"] == "u_xu"
    alerts = [d for d in store.deliveries.listing(kind="alert") if d.payload["event"] == "HealthWarning"]
    assert {(d.to, d.channel) for d in alerts} == {("u_xu", "email"), ("u_xu", "wecom")}  # Owners notify
    text = alerts[0].payload["text"]
    assert ACME["company"] in text and "usage 10 < 60" in text
    # still low tomorrow: no second warning
    _usage(example_rules, store, clock, account_id=account_id, active_users=4, licensed_users=50)
    assert len(_warnings(store)) == 1


def test_a_late_older_report_changes_nothing(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    _usage(example_rules, store, clock, account_id=account_id, active_users=45, licensed_users=50)
    before = (_account(store, account_id).version, len(store.events))
    late = _usage(example_rules, store, clock, account_id=account_id, active_users=1, licensed_users=50,
                  at=iso(NOW - timedelta(days=3)))  # fmt: skip
    assert late["recorded"] is False and late["usage"]["active_users"] == 45
    assert (_account(store, account_id).version, len(store.events)) == before


def test_usage_by_credit_code_and_for_unknown_accounts(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    by_code = _usage(example_rules, store, clock, credit_code=CREDIT_CODE, active_users=30, licensed_users=50)
    assert by_code["account_id"] == account_id and by_code["usage"]["source"] == "product-analytics"
    with pytest.raises(AccountNotFound) as missing:
        _usage(example_rules, store, clock, account_id="ac_" + "f" * 20, active_users=1, licensed_users=5)
    assert missing.value.fields == {"account_id": "no such account"}
    with pytest.raises(ValidationFailed):
        _usage(example_rules, store, clock, account_id=account_id, active_users="many", licensed_users=5)
    assert _account(store, account_id).signals["usage"]["active_users"] == 30  # nothing else stored


# ------------------------------------------------------------------ signals from cases, invoices, activities


def _case(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, external_id: str, priority: str) -> Any:
    body = {"external_id": external_id, "priority": priority, "account": {"credit_code": CREDIT_CODE}}
    return open_case(
        read(CaseOpening, body, now=now_of(clock), active=rules),
        rules.rules.source_named("contact-center"),
        rules,
        store,
        clock,
    ).case


def test_open_p1_and_p2_cases_and_csat_move_support(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    _engage(store, account_id, 4)
    first = _case(example_rules, store, clock, "T-1", "P1")
    account = _account(store, account_id)
    assert [c["case_id"] for c in account.view()["open_cases"]] == [first.case_id]
    assert account.health["dimensions"]["support"]["score"] == 70 and _warnings(store) == []
    second = _case(example_rules, store, clock, "T-2", "P2")
    assert _account(store, account_id).health["dimensions"]["support"]["score"] == 55
    [warned] = _warnings(store)
    assert warned["fell"] == ["support"]
    for kind in ("first_response", "resolved"):
        record_case_event(
            second.case_id,
            read(CaseEventRecording, {"type": kind, "by": second.owner_id}, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )
    assert _account(store, account_id).health["below"] == []  # the P2 resolved: support 70 again
    record_case_event(
        second.case_id,
        read(
            CaseEventRecording,
            {"type": "csat", "score": 2, "by": second.owner_id},
            now=now_of(clock),
            active=example_rules,
        ),
        example_rules,
        store,
        clock,
    )
    account = _account(store, account_id)
    assert [c["case_id"] for c in account.view()["open_cases"]] == [first.case_id]
    # CSAT 2 → 25, less one open P1 (30): 0
    support = account.health["dimensions"]["support"]
    assert (support["score"], support["csat"], support["open_p1"], support["open_p2"]) == (0, 2, 1, 0)
    # recovered, then fell again: warned again
    assert [w["fell"] for w in _warnings(store)] == [["support"], ["support"]]
    record_case_event(
        second.case_id,
        read(CaseEventRecording, {"type": "note", "by": second.owner_id}, now=now_of(clock), active=example_rules),
        example_rules,
        store,
        clock,
    )
    assert len(_warnings(store)) == 2  # still below: no third warning


def test_a_case_engages_its_account_and_a_case_of_no_account_touches_none(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    _case(example_rules, store, clock, "T-1", "P3")
    assert _account(store, account_id).health["dimensions"]["engagement"]["active_days"] == 1
    body = {"external_id": "T-9", "priority": "P1", "account": {"company": "Nobody Ltd", "country": "CN"}}
    open_case(
        read(CaseOpening, body, now=now_of(clock), active=example_rules),
        example_rules.rules.source_named("contact-center"),
        example_rules,
        store,
        clock,
    )
    assert len([s for s in store.aggregates if s.startswith("account/")]) == 1


def test_an_overdue_invoice_is_found_by_the_sweep_once(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    _engage(store, account_id, 4)
    order_id = _account(store, account_id).orders[0]
    at = iso(NOW - timedelta(days=20))
    report_shipment(shipment(order_id, "s1", "signed", at, CL_PRO=10, CL_ONB=3), "warehouse",
                           example_rules, store, clock)  # fmt: skip
    invoice = invoice_id_for(order_id, "order")
    due = (NOW + timedelta(days=10)).date().isoformat()
    write_back(invoice, {"status": "issued", "due_date": due}, example_rules, store, clock)
    assert _account(store, account_id).health["dimensions"]["payment"]["score"] == 100
    # two weeks on: four days overdue, found by the sweep (nothing else happened on the account)
    later = NOW + timedelta(days=14)
    report = sweep_health(example_rules, store, later)
    assert report.summary()["warnings"] == 1 and _warnings(store)[0]["fell"] == ["payment"]
    assert _account(store, account_id).health["dimensions"]["payment"]["overdue"] == [invoice]
    again = sweep_health(example_rules, store, later + timedelta(hours=1))
    assert (again.updated, again.unchanged, again.warnings) == (0, 1, 0)  # the same day, the same result
    # paid: payment back to 100 at once
    write_back(invoice, {"status": "paid"}, example_rules, store, clock)
    assert _account(store, account_id).health["dimensions"]["payment"]["score"] == 100


def test_a_call_on_a_lead_of_the_accounts_company_engages_the_account(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    lead = capture({**SQL_LEAD, "credit_code": CREDIT_CODE}, example_rules, store, clock).lead
    assert lead.owner_id is not None
    record_activity(
        lead.lead_id,
        command_of(LeadActivity, {"type": "note", "by": lead.owner_id}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    assert _account(store, account_id).signals.get("activity", {}) == {}  # a note is not a touch
    record_activity(
        lead.lead_id,
        command_of(LeadActivity, {"type": "call", "by": lead.owner_id}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    assert sum(_account(store, account_id).signals["activity"].values()) == 1


# ------------------------------------------------------------------ the sweep


def test_the_sweep_pages_through_every_account_and_counts(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    for n in range(5):
        make_order(store, example_rules, SIGNED_UP, contract_id=f"ct_{n}",
                   account={"company": f"客户 {n}", "country": "CN", "account_manager_id": "u_xu"})  # fmt: skip
    report = sweep_health(example_rules, store, NOW, page_size=2)
    # no activity for 30 days on accounts 60 days old: engagement 0 is below 50 on each, once
    assert report.summary() == {
        "finished": True, "accounts": 5, "updated": 5, "unchanged": 0, "warnings": 5, "failed": 0,
        "failed_accounts": [],
    }  # fmt: skip
    assert all(w["fell"] == ["engagement"] for w in _warnings(store))
    tomorrow = sweep_health(example_rules, store, NOW + timedelta(days=1), page_size=2)
    assert (tomorrow.accounts, tomorrow.updated, tomorrow.warnings) == (5, 5, 0)  # the day's point, no warning
    account = next(a for s, a in store.aggregates.items() if s.startswith("account/"))
    assert [p["date"] for p in account.view()["health"]["history"]] == ["2026-11-22", "2026-11-23"]


def test_young_accounts_are_not_warned_for_engagement(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock
) -> None:
    make_order(store, example_rules, NOW - timedelta(days=3))
    report = sweep_health(example_rules, store, NOW)
    assert (report.updated, report.warnings) == (1, 0)


def test_a_meeting_on_an_opportunity_of_the_accounts_company_engages_the_account(
    example_rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, account_id: str
) -> None:
    from shared.sales.services.opportunities import create_opportunity
    from shared.sales.services.stage_moves import record_opportunity_activity

    company = {"company": ACME["company"], "country": "CN", "credit_code": CREDIT_CODE}
    body = {"name": "Renewal", "owner_id": "u_wang", "account": company}
    deal = create_opportunity(
        read(OpportunityNew, body, now=now_of(clock), active=example_rules), example_rules, store, clock
    )
    meeting = {"type": "meeting", "by": "u_wang"}
    record_opportunity_activity(
        deal["opportunity_id"],
        command_of(OpportunityActivity, meeting, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    assert sum(_account(store, account_id).signals["activity"].values()) == 1
