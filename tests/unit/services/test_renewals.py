"""Renewal reminders on the timer engine (CONTRACT §2.11): when they fire, whom they tell, exactly
once (late after an outage too), the renewal opportunity, cancellation, and rules changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.customers.domain.renewals import renewal_opportunity_id
from shared.customers.services.renewals import backtest_reminders, cancel_reminders, end_contract
from shared.kernel.domain.errors import InvalidTransition
from shared.kernel.domain.events import Event
from shared.kernel.messages.validation import read
from shared.kernel.services.ports import Change
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet
from shared.sales.domain.stages import funnel_of
from shared.sales.messages.sales import QuoteNew
from shared.time.domain.timers import Timer
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of
from tests.unit.services.renewals_helpers import sign_contract, with_renewals

SIGNED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
# end 2027-12-31, 09:00 Asia/Shanghai (01:00 UTC) 90, 60 and 30 days before
DUE_90 = datetime(2027, 10, 2, 1, 0, tzinfo=UTC)
DUE_60 = datetime(2027, 11, 1, 1, 0, tzinfo=UTC)
DUE_30 = datetime(2027, 12, 1, 1, 0, tzinfo=UTC)


def sweep(store: MemoryUnitOfWork, at: datetime, active: ActiveRules) -> list[str]:
    """The renewal reminders a sweep at ``at`` fired (the renewal opportunity's stall timer aside)."""
    renewal = {t.timer_id for t in store.timers.pending() if t.kind == "renewal_reminder"}
    return [t for t in sweep_timers(at, store, handlers(FixedRules(active))).fired if t in renewal]


def reminders(store: MemoryUnitOfWork) -> list[dict[str, Any]]:
    return [e.data for e in store.events if e.type == "RenewalReminder"]


def of_type(store: MemoryUnitOfWork, kind: str) -> list[Event]:
    return [e for e in store.events if e.type == kind]


def test_each_reminder_fires_at_nine_local_on_its_day_and_tells_the_roles_up_the_account_managers_chain(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    assert sweep(store, DUE_90 - timedelta(seconds=1), example_rules) == []
    assert len(sweep(store, DUE_90, example_rules)) == 1
    [told] = reminders(store)
    assert {k: told[k] for k in ("days_before", "contract_id", "end_date", "amount")} == {
        "days_before": 90,
        "contract_id": contract.contract_id,
        "end_date": "2027-12-31",
        "amount": "120000.00",
    }
    # am = the account manager (u_xu); manager = the nearest manager up their chain (u_huang)
    assert told["notify"] == ["u_xu", "u_huang"]
    assert told["on_hold"] is False and told["late_seconds"] == 0
    alerts = store.deliveries.listing(kind="alert")
    assert sorted((a.to, a.channel) for a in alerts) == [
        ("u_huang", "email"),
        ("u_huang", "wecom"),
        ("u_xu", "email"),
        ("u_xu", "wecom"),
    ]
    assert "contract ends in 90 days" in alerts[0].payload["title"]
    assert "上海精密制造" in alerts[0].payload["text"] and "2027-12-31" in alerts[0].payload["text"]
    sweep(store, DUE_60, example_rules)
    sweep(store, DUE_30, example_rules)
    assert [r["days_before"] for r in reminders(store)] == [90, 60, 30]
    assert store.contracts.get(contract.contract_id).reminders == []  # type: ignore[union-attr]


def test_the_90_day_row_opens_the_renewal_opportunity_once(store: MemoryUnitOfWork, example_rules: ActiveRules) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    for due in (DUE_90, DUE_60, DUE_30):
        sweep(store, due, example_rules)
    [created] = of_type(store, "RenewalOpportunityCreated")
    assert created.data == {
        "opportunity_id": renewal_opportunity_id(contract.contract_id),
        "contract_id": contract.contract_id,
        "account_id": contract.account_id,
        "owner_id": "u_xu",  # the account manager owns the renewal
        "amount": "120000.00",
        "currency": "CNY",
        "name": "Renewal: 上海精密制造 (ends 2027-12-31)",
        "close_date": "2027-12-31",
        "days_before": 90,
    }
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None and stored.renewal_opportunity is not None
    assert stored.renewal_opportunity["opportunity_id"] == created.data["opportunity_id"]
    # the opportunity itself, in the first stage of the funnel, opened in the reminder's transaction
    opportunity = store.opportunities.get(created.data["opportunity_id"])
    assert opportunity is not None and opportunity.is_open
    assert (opportunity.owner_id, opportunity.amount, opportunity.close_date) == ("u_xu", "120000.00", "2027-12-31")
    assert opportunity.account["credit_code"] == "91350100M000100Y43"
    assert opportunity.fields["renewal_of"] == contract.contract_id  # the approvals find the hold through it
    assert opportunity.stage == funnel_of(example_rules).first.stage  # type: ignore[union-attr]
    [opened] = [e for e in store.events if e.type == "OpportunityCreated"]
    assert opened.subject == opportunity.subject and opened.time == created.time


def test_without_a_funnel_the_reminder_still_fires_and_the_contract_says_why_no_opportunity(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    rules = RuleSet.from_content({**example_rules.rules.content, "Stages": []}, "v-no-stages")
    bare = ActiveRules(rules)
    contract = sign_contract(store, example_rules, SIGNED)
    assert len(sweep(store, DUE_90, bare)) == 1
    assert [r["days_before"] for r in reminders(store)] == [90]
    assert of_type(store, "RenewalOpportunityCreated") == []
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None and stored.history[-1]["reason"] == "no Stages"


class CrashingOnce(MemoryUnitOfWork):
    """A process that dies in the middle of its first commit of a reminder (nothing written)."""

    def __init__(self) -> None:
        super().__init__()
        self.crashes = 1

    def commit(self, change: Change) -> None:
        if self.crashes and any(e.type == "RenewalReminder" for e in change.events):
            self.crashes -= 1
            raise ConnectionError("the function timed out")
        super().commit(change)


def test_after_an_outage_each_missed_reminder_fires_late_exactly_once_even_through_a_crash(
    example_rules: ActiveRules,
) -> None:
    store = CrashingOnce()
    sign_contract(store, example_rules, SIGNED)
    back = DUE_30 + timedelta(days=3)  # nothing ran for months
    assert sweep(store, back, example_rules) == []  # the crash is noted on the 90-day timer ...
    assert reminders(store) == []  # ... and its later reminders wait, to keep their order
    assert len(sweep(store, back, example_rules)) == 3
    assert sweep(store, back + timedelta(minutes=1), example_rules) == []
    assert sweep(store, back + timedelta(days=400), example_rules) == []
    told = reminders(store)
    assert [r["days_before"] for r in told] == [90, 60, 30]  # in their order, each once
    assert [r["late_seconds"] for r in told] == [int((back - due).total_seconds()) for due in (DUE_90, DUE_60, DUE_30)]
    assert len(of_type(store, "RenewalOpportunityCreated")) == 1
    told_alerts = {a.delivery_id for a in store.deliveries.listing() if a.payload["event"] == "RenewalReminder"}
    assert len(told_alerts) == 12  # 3 reminders × 2 people × 2 channels


def test_a_reminder_already_fired_elsewhere_is_not_told_again(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    stale: Timer = store.timers.pending(contract.subject)[0]
    sweep(store, DUE_90, example_rules)
    # a second sweep that read the timer before the first fired it
    from shared.customers.services.renewals import fire_reminder

    assert fire_reminder(stale, DUE_90, store, example_rules).events == []
    assert len(reminders(store)) == 1


def test_renewing_the_contract_cancels_its_pending_reminders(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    sweep(store, DUE_90, example_rules)
    clock = TickingClock(DUE_90 + timedelta(days=1))
    renewed = end_contract(contract.contract_id, "renewed", store, clock, reason="renewal signed")
    assert renewed.status == "renewed" and renewed.reminders == []
    assert store.timers.pending(contract.subject) == []
    assert sweep(store, DUE_30 + timedelta(days=1), example_rules) == []
    assert [r["days_before"] for r in reminders(store)] == [90]
    with pytest.raises(InvalidTransition):
        end_contract(contract.contract_id, "cancelled", store, clock)


def test_a_cancelled_contracts_reminder_that_still_fires_does_nothing(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    stored = store.contracts.get(contract.contract_id)
    assert stored is not None
    ids = cancel_reminders(stored)  # what a caller's own change would delete; here it does not
    assert len(ids) == 3 and stored.reminders == []
    stored.status = "cancelled"
    store.commit(Change.of(stored, stored.version))
    assert len(sweep(store, DUE_30, example_rules)) == 3  # the timers go ...
    assert reminders(store) == []  # ... and tell nobody


def test_a_renewals_change_applies_to_contracts_signed_after_it(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    before = sign_contract(store, example_rules, SIGNED, envelope="before")
    rows = [{"days_before": 45, "notify": ["am"], "create_opportunity": False}]
    changed = with_renewals(example_rules, rows, "v2-renewals")
    after = sign_contract(store, changed, SIGNED + timedelta(days=1), envelope="after")
    assert [t.data["days_before"] for t in store.timers.pending(before.subject)] == [90, 60, 30]
    assert [t.data["days_before"] for t in store.timers.pending(after.subject)] == [45]
    # fired under the new version, the old contract's reminders keep the rows of their signing
    for due in (DUE_90, DUE_60, DUE_30, DUE_30 + timedelta(days=20)):
        sweep(store, due, changed)
    told = {(r["contract_id"], r["days_before"]): r["notify"] for r in reminders(store)}
    assert told == {
        (before.contract_id, 90): ["u_xu", "u_huang"],
        (before.contract_id, 60): ["u_xu", "u_huang"],
        (before.contract_id, 30): ["u_xu", "u_huang"],
        (after.contract_id, 45): ["u_xu"],
    }


def test_the_backtest_counts_the_pending_reminders_a_change_would_move_and_moves_none(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    first = sign_contract(store, example_rules, SIGNED, envelope="a")
    sign_contract(store, example_rules, SIGNED, envelope="b", end_date="2028-06-30")
    sweep(store, DUE_90, example_rules)  # the first contract's 90-day reminder has fired
    rows = [
        {"days_before": 90, "notify": ["am"], "create_opportunity": True},  # same day, fewer people
        {"days_before": 45, "notify": ["am", "manager"], "create_opportunity": False},  # new
        {"days_before": 30, "notify": ["am", "manager"], "create_opportunity": False},  # same
    ]
    candidate = with_renewals(example_rules, rows, "candidate")
    pending_before = [t.to_dict() for t in store.timers.pending()]
    report = backtest_reminders(candidate, store, DUE_90 + timedelta(hours=1)).to_dict()
    assert [t.to_dict() for t in store.timers.pending()] == pending_before
    # a: 60 dropped, 30 same, 45 added; b: 90 changed (notify), 60 dropped, 30 same, 45 added
    assert {k: report[k] for k in ("pending", "contracts", "moved", "dropped", "changed", "added", "affected")} == {
        "pending": 5,
        "contracts": 2,
        "moved": 0,
        "dropped": 2,
        "changed": 1,
        "added": 2,
        "affected": 3,
    }
    assert {(e["verdict"], e["days_before"]) for e in report["examples"]} == {("dropped", 60), ("changed", 90)}
    assert first.contract_id in {e["contract_id"] for e in report["examples"]}
    # a timezone change moves every pending reminder
    zoned = with_renewals(example_rules, example_rules.rules.content["Renewals"], "tz", timezone="Europe/Berlin")
    assert backtest_reminders(zoned, store, DUE_90 + timedelta(hours=1)).moved == 5


def test_signing_the_renewal_opportunitys_quote_renews_the_contract_and_cancels_its_reminders(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    from shared.sales.services.quotes import create_quote
    from tests.unit.services.esign_helpers import envelope, sign_envelope

    old = sign_contract(store, example_rules, SIGNED)
    sweep(store, DUE_90, example_rules)  # the 90-day reminder opens the renewal opportunity
    [created] = of_type(store, "RenewalOpportunityCreated")
    clock = TickingClock(DUE_90 + timedelta(days=3))
    lines = [{"sku": "IOT-PLAT-STD", "quantity": 1}]
    request = {"opportunity_id": created.data["opportunity_id"], "by": "u_xu", "lines": lines}
    quote = create_quote(read(QuoteNew, request, now=now_of(clock), active=example_rules), example_rules, store, clock)
    assert quote["status"] == "approved", quote
    renewal = envelope(quote["quote_id"], "env-renewal", start_date="2028-01-01", end_date="2028-12-31")
    sign_envelope(renewal, example_rules, store, clock)
    renewed = store.contracts.get(old.contract_id)
    assert renewed is not None and renewed.status == "renewed" and renewed.reminders == []
    assert store.timers.pending(old.subject) == []  # its 60- and 30-day reminders are gone
    assert sweep(store, DUE_30 + timedelta(days=1), example_rules) == []
    assert [(r["contract_id"], r["days_before"]) for r in reminders(store)] == [(old.contract_id, 90)]
