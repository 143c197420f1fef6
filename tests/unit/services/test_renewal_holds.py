"""The P1 hold (CONTRACT §2.11): an open P1 case on the account holds its renewal; the last one
resolving releases it; P2 cases never hold; concurrent resolutions cannot leave it held."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.customers.domain.contracts import Contract
from shared.kernel.domain.events import Event
from shared.kernel.messages.validation import read
from shared.kernel.services.ports import Change
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import ApprovalDecision, QuoteNew
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import open_case, record_case_event
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of
from tests.unit.services.renewals_helpers import P1_CASE, sign_contract

SIGNED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
DUE_90 = datetime(2027, 10, 2, 1, 0, tzinfo=UTC)
DUE_60 = datetime(2027, 11, 1, 1, 0, tzinfo=UTC)


def open_p(store: MemoryUnitOfWork, rules: ActiveRules, clock: TickingClock, external_id: str, priority: str) -> str:
    payload = {**P1_CASE, "external_id": external_id, "priority": priority}
    return open_case(
        read(CaseOpening, payload, now=now_of(clock), active=rules),
        rules.rules.source_named("contact-center"),
        rules,
        store,
        clock,
    ).case.case_id


def act(store: MemoryUnitOfWork, rules: ActiveRules, clock: TickingClock, case_id: str, kind: str) -> None:
    case = store.cases.get(case_id)
    assert case is not None
    record_case_event(
        case_id,
        read(CaseEventRecording, {"type": kind, "by": case.owner_id}, now=now_of(clock), active=rules),
        rules,
        store,
        clock,
    )


def of_type(store: MemoryUnitOfWork, kind: str) -> list[Event]:
    return [e for e in store.events if e.type == kind]


def contract_of(store: MemoryUnitOfWork, contract: Contract) -> Contract:
    found = store.contracts.get(contract.contract_id)
    assert found is not None
    return found


def fire(store: MemoryUnitOfWork, at: datetime, rules: ActiveRules) -> None:
    sweep_timers(at, store, handlers(FixedRules(rules)))


def test_an_open_p1_case_holds_the_renewal_the_reminder_still_fires_and_the_managers_manager_hears(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    case_id = open_p(store, example_rules, clock, "c-1", "P1")
    fire(store, DUE_90, example_rules)
    [reminder] = of_type(store, "RenewalReminder")
    assert reminder.data["on_hold"] is True and reminder.data["case_ids"] == [case_id]
    [held] = of_type(store, "RenewalHeld")
    assert held.data["case_ids"] == [case_id] and held.data["notify"] == ["u_huang"]  # u_xu's manager
    assert held.data["account_manager_id"] == "u_xu"
    stored = contract_of(store, contract)
    assert stored.on_hold and stored.hold == {"case_ids": [case_id], "since": held.data["since"]}
    held_alerts = [a for a in store.deliveries.listing(kind="alert") if a.payload["event"] == "RenewalHeld"]
    assert {a.to for a in held_alerts} == {"u_huang"}
    assert "P1" in held_alerts[0].payload["title"] and case_id in held_alerts[0].payload["text"]


def test_the_last_open_p1_case_resolving_releases_the_renewal_and_not_before(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    first, second = (open_p(store, example_rules, clock, n, "P1") for n in ("c-1", "c-2"))
    fire(store, DUE_90, example_rules)
    assert contract_of(store, contract).hold["case_ids"] == sorted([first, second])  # type: ignore[index]
    clock.now = DUE_90 + timedelta(hours=1)
    act(store, example_rules, clock, first, "resolved")
    assert of_type(store, "RenewalReleased") == []
    assert contract_of(store, contract).hold["case_ids"] == [second]  # type: ignore[index]
    act(store, example_rules, clock, second, "resolved")
    [released] = of_type(store, "RenewalReleased")
    assert released.data["case_id"] == second and released.data["notify"] == ["u_xu", "u_huang"]
    stored = contract_of(store, contract)
    assert not stored.on_hold and [h["type"] for h in stored.history if h["type"] in ("held", "released")] == [
        "held",
        "released",
    ]
    # the released event is in the same change as the case's resolution
    resolved = [e for e in store.events if e.type == "CaseResolved" and e.data["case_id"] == second]
    assert resolved[0].time == released.time


def test_a_p2_case_never_holds_nor_releases(store: MemoryUnitOfWork, example_rules: ActiveRules) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    p2 = open_p(store, example_rules, clock, "c-2", "P2")
    fire(store, DUE_90, example_rules)
    [reminder] = of_type(store, "RenewalReminder")
    assert reminder.data["on_hold"] is False and reminder.data["case_ids"] == []
    act(store, example_rules, clock, p2, "resolved")
    assert of_type(store, "RenewalHeld") == of_type(store, "RenewalReleased") == []
    assert not contract_of(store, contract).on_hold


def test_a_p1_case_opened_or_reopened_while_the_renewal_is_under_way_holds_it(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    early = open_p(store, example_rules, clock, "early", "P1")
    act(store, example_rules, clock, early, "resolved")  # before any reminder: no renewal to hold
    assert of_type(store, "RenewalHeld") == [] and contract_of(store, contract).history[-1]["type"] == "signed"
    fire(store, DUE_90, example_rules)
    clock.now = DUE_90 + timedelta(days=1)
    late = open_p(store, example_rules, clock, "late", "P1")
    [held] = of_type(store, "RenewalHeld")
    assert held.data["case_ids"] == [late]
    act(store, example_rules, clock, late, "resolved")
    act(store, example_rules, clock, early, "reopened")  # an old P1 case back open: held again
    assert len(of_type(store, "RenewalHeld")) == 2 and len(of_type(store, "RenewalReleased")) == 1
    assert contract_of(store, contract).hold["case_ids"] == [early]  # type: ignore[index]
    # each hold and release alerted once: the alerts' cause is the contract's history position
    holds = ("RenewalHeld", "RenewalReleased")
    causes = {a.cause for a in store.deliveries.listing(kind="alert") if a.payload["event"] in holds}
    assert len(causes) == 3


def test_a_later_reminder_while_held_is_marked_on_hold_again(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    case_id = open_p(store, example_rules, clock, "c-1", "P1")
    fire(store, DUE_60, example_rules)  # both the 90- and the 60-day reminders, late
    assert [e.data["on_hold"] for e in of_type(store, "RenewalReminder")] == [True, True]
    assert contract_of(store, contract).hold["case_ids"] == [case_id]  # type: ignore[index]


class Interleaving(MemoryUnitOfWork):
    """Just before the first resolution commits, another request resolves the other P1 case:
    the first change was computed seeing that case open."""

    def __init__(self) -> None:
        super().__init__()
        self.before_commit: Callable[[], None] | None = None
        self.commits = 0

    def commit(self, change: Change) -> None:
        hook, self.before_commit = self.before_commit, None
        if hook is not None and any(e.type == "CaseResolved" for e in change.events):
            hook()
        self.commits += 1
        super().commit(change)


def test_two_p1_cases_resolving_at_once_release_the_renewal(example_rules: ActiveRules) -> None:
    store = Interleaving()
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    first, second = (open_p(store, example_rules, clock, n, "P1") for n in ("c-1", "c-2"))
    fire(store, DUE_90, example_rules)
    store.before_commit = lambda: act(store, example_rules, clock, second, "resolved")
    act(store, example_rules, clock, first, "resolved")
    # the first change lost its race on the held contract, read again, saw none left, released
    [released] = of_type(store, "RenewalReleased")
    assert released.data["case_id"] == first
    assert not contract_of(store, contract).on_hold


class ResolvingDuringReminder(MemoryUnitOfWork):
    """The P1 case resolves between the reminder reading it open and the reminder committing."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], None] | None = None

    def commit(self, change: Change) -> None:
        if self.meanwhile is not None and any(e.type == "RenewalReminder" for e in change.events):
            hook, self.meanwhile = self.meanwhile, None
            hook()
        super().commit(change)


def test_a_case_resolving_while_the_reminder_fires_never_leaves_the_renewal_held(example_rules: ActiveRules) -> None:
    store = ResolvingDuringReminder()
    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    case_id = open_p(store, example_rules, clock, "c-1", "P1")
    store.meanwhile = lambda: act(store, example_rules, clock, case_id, "resolved")
    fire(store, DUE_90, example_rules)
    # the reminder's transaction saved the case at the version it read: it lost, read again, and
    # found nothing holding the renewal
    [reminder] = [e for e in store.events if e.type == "RenewalReminder"]
    assert reminder.data["on_hold"] is False and of_type(store, "RenewalHeld") == []
    assert not contract_of(store, contract).on_hold


def test_the_renewal_quotes_approvals_wait_while_held_and_their_clock_resumes_on_release(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    """A renewal quote that needs the manager (over 5% off): held, the decision is refused and the
    step's time-out does not escalate; released, the time-out comes back later by the time held."""
    import pytest

    from shared.kernel.domain.errors import RenewalOnHold
    from shared.sales.services.approvals import decide
    from shared.sales.services.quotes import create_quote

    contract = sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    case_id = open_p(store, example_rules, clock, "c-hold", "P1")
    fire(store, DUE_90, example_rules)  # the 90-day reminder: on hold, the renewal opportunity opened
    opportunity_id = contract_of(store, contract).renewal_opportunity["opportunity_id"]  # type: ignore[index]
    clock.now = DUE_90 + timedelta(hours=1)
    lines = [{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "10%"}]
    quote = create_quote(
        read(
            QuoteNew,
            {"opportunity_id": opportunity_id, "by": "u_xu", "lines": lines},
            now=now_of(clock),
            active=example_rules,
        ),
        example_rules,
        store,
        clock,
    )
    [step] = quote["approval"]["steps"]
    due_before = step["due_at"]
    with pytest.raises(RenewalOnHold, match=case_id):
        decide(
            step["approval_id"],
            read(
                ApprovalDecision,
                {"decision": "approve", "by": step["approver_id"]},
                now=now_of(clock),
                active=example_rules,
            ),
            example_rules,
            store,
            clock,
        )
    fire(store, DUE_90 + timedelta(days=5), example_rules)  # past its target while held: no escalation
    assert of_type(store, "ApprovalEscalated") == []

    clock.now = DUE_90 + timedelta(days=6)
    act(store, example_rules, clock, case_id, "first_response")
    act(store, example_rules, clock, case_id, "resolved")
    assert of_type(store, "RenewalReleased")
    resumed = store.quotes.get(quote["quote_id"])
    assert resumed is not None
    [open_step] = [s for s in resumed.steps if s["status"] == "pending"]
    assert open_step["due_at"] > due_before and open_step["timer"] is not None
    assert [t.timer_id for t in store.timers.pending(resumed.subject)] == [open_step["timer"]]
    approve = {"decision": "approve", "by": step["approver_id"]}
    assert (
        decide(
            step["approval_id"],
            read(ApprovalDecision, approve, now=now_of(clock), active=example_rules),
            example_rules,
            store,
            clock,
        )["status"]
        == "approved"
    )


def test_a_release_never_reads_before_its_hold_when_time_was_moved_ahead_by_hand(
    store: MemoryUnitOfWork, example_rules: ActiveRules
) -> None:
    """`timer-sweep --at` ahead of the stack's clock fires the reminder in the future; the case
    resolved at the stack's own time is released no earlier than it was held (issue 16)."""
    sign_contract(store, example_rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=200))
    case_id = open_p(store, example_rules, clock, "c-1", "P1")
    fire(store, DUE_90, example_rules)  # the sweep run ahead of the clock
    act(store, example_rules, clock, case_id, "resolved")  # at the clock's own time, months before
    [held], [released] = of_type(store, "RenewalHeld"), of_type(store, "RenewalReleased")
    assert released.time >= held.time and released.data["held_since"] == held.data["since"]
