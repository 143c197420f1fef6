"""docs/api.md, docs/events.md and the domain's EventType are what `python -m tools.docs` makes of the
code, and the event models (shared/*/messages) say what the code emits: every type it names, and every
`data` key it puts in."""

from __future__ import annotations

import ast
import copy
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.memory import MemoryPersonalRecords, MemoryUnitOfWork
from shared.composition.messages.events import EVENT_MODELS, check
from shared.composition.services.privacy import erase_person
from shared.composition.services.timer_handlers import handlers
from shared.customers.messages.accounts import SurveyAnswer, UsageReport
from shared.deliveries.domain.deliveries import Answer, Delivery
from shared.deliveries.services.deliveries import deliver, send_again
from shared.kernel.domain.events import EVENT_TYPES, Event, EventType
from shared.kernel.messages.validation import read
from shared.kernel.services.ports import Change, Save
from shared.leads.messages.leads import Behavior, Disqualification, LeadActivity
from shared.leads.services.activities import record_activity
from shared.leads.services.behavior import record_behavior
from shared.leads.services.lead_closing import disqualify
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.rules.services.rules_publishing import (
    PublishResult,
    ReadRules,
    SourceUnreadable,
    VersionRecord,
    publish_rules,
    rollback_rules,
    sync_rules,
)
from shared.sales.messages.sales import ApprovalDecision, OpportunityActivity, OpportunityNew, QuoteNew, StageMove
from shared.sales.services.approvals import decide
from shared.sales.services.opportunities import create_opportunity
from shared.sales.services.quotes import create_quote
from shared.sales.services.stage_moves import move_stage, record_opportunity_activity, win_on_signature
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import open_case, record_case_event
from shared.time.domain.timers import Timer
from shared.time.services.timers import sweep_timers
from tests.unit.domain.builders import active, owner, routing, ruleset, scoring, settings
from tests.unit.services.helpers import SQL_LEAD, FixedRules, TickingClock, capture, command_of, now_of
from tools import docs

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("shared", "functions", "schedules", "admin_sheets")
# modules that name event types to read or describe them, never to emit them
CONSUMERS = (ROOT / "shared" / "kpis" / "domain" / "kpi_events.py",)
# the envelope, and the names generated from the models
EVENTS = (ROOT / "shared" / "kernel" / "domain" / "events.py", ROOT / "shared" / "kernel" / "domain" / "event_names.py")
EMITTED = {kind for kind, model in EVENT_MODELS.items() if not model.reserved}


@pytest.mark.parametrize("path", list(docs.DOCS), ids=lambda p: p.name)
def test_the_committed_doc_is_what_the_generator_makes(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == docs.DOCS[path](), "stale: run `python -m tools.docs`"


def _named_in_code() -> dict[str, set[str]]:
    """Event type -> files of the runtime code that name it as a string (an emitter)."""
    names = set(EVENT_TYPES)
    found: dict[str, set[str]] = defaultdict(set)
    for package in RUNTIME:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path in EVENTS or path in CONSUMERS or path.parent.name == "messages":  # the models: shared/*/messages
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in names:
                    found[str(node.value)].add(str(path.relative_to(ROOT)))
    return found


def test_the_types_the_code_emits_are_exactly_those_documented_as_emitted() -> None:
    """A reserved type that code starts emitting must get its `data` on its model (shared/*/messages)."""
    named = _named_in_code()
    assert {k: sorted(v) for k, v in named.items() if k not in EMITTED} == {}, "document these as emitted"
    assert sorted(EMITTED - set(named)) == [], "documented as emitted, but no code names them"


# ------------------------------------------------------------------ the services, driven


class _RulesStore:
    """Just enough of the RulesStore port to publish, reject, roll back and fail a sync."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.records: dict[str, VersionRecord] = {}
        self.pointer: VersionRecord | None = None
        self.rejections: dict[str, str | None] = {}

    def active(self) -> VersionRecord | None:
        return self.pointer

    def versions(self) -> list[VersionRecord]:
        return list(self.records.values())

    def content(self, version_id: str) -> Content:
        return {}

    def save_content(self, version_id: str, content: Content) -> None:
        pass

    def activate(self, record: VersionRecord, previous: Any, event: Event, *, new: bool, held_hash: Any = None) -> None:
        self.records.setdefault(record.version_id, record)
        self.pointer = record
        self.events.append(event)

    def record_event(self, event: Event) -> None:
        self.events.append(event)

    def last_rejection(self, source: str) -> str | None:
        return self.rejections.get(source)

    def remember_rejection(self, source: str, digest: str | None) -> None:
        self.rejections[source] = digest


class _Unreadable:
    name = "sheets:gone"

    def read(self) -> ReadRules:
        raise SourceUnreadable("the spreadsheet is not shared with the service account")

    def report(self, result: PublishResult, at: datetime) -> None:
        pass


class _Cache:
    def invalidate(self) -> None:
        pass


class _Refusing:
    """A courier whose receiver answers 400: the delivery fails for good."""

    def blocked(self, delivery: Delivery) -> str | None:
        return None

    def send(self, delivery: Delivery, now: datetime) -> Answer:
        return Answer(400, error="bad request")

    def dead_letter(self, delivery: Delivery) -> None:
        pass


FRIDAY_1730_SHANGHAI = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _escalating(content: Content) -> ActiveRules:
    """The example rules with a two-step escalation, so a breach is followed by SlaEscalated."""
    changed = copy.deepcopy(content)
    for row in changed["SLA"]:
        if row["kind"] == "lead_first_touch":
            row["escalate_to"] = "manager,director"
    rules = RuleSet.from_content(changed, "v2-escalate")
    return ActiveRules(rules)


def _drive(example_rules: ActiveRules, example_content: Content) -> list[Event]:
    """Every event the lead and rules services emit today, from one pass through their paths."""
    store, clock = MemoryUnitOfWork(), TickingClock(FRIDAY_1730_SHANGHAI)
    rules = _escalating(example_content)
    # an sql lead: captured, assigned, its SLA clock warned, breached, escalated, reassigned; then merged
    capture(SQL_LEAD, rules, store, clock)
    for days in (7, 14):  # the breach sets the escalation's timer: the next sweep fires it
        sweep_timers(FRIDAY_1730_SHANGHAI + timedelta(days=days), store, handlers(FixedRules(rules)))
    # the alerts those sweeps created: one refused for good by its receiver (DeliveryFailed)
    first_alert = store.deliveries.listing()[0]
    deliver(first_alert.delivery_id, store, _Refusing(), FRIDAY_1730_SHANGHAI + timedelta(days=7), lambda: 0.5)
    send_again(store, [first_alert.delivery_id], FRIDAY_1730_SHANGHAI + timedelta(days=8))  # DeliveryRetried
    capture({**SQL_LEAD, "name": "王芳"}, rules, store, clock)
    # another, touched in time by its owner: activity, first touch, SLA met
    prompt = capture({**SQL_LEAD, "email": "ops@acme.cn", "phone": "13900139000"}, rules, store, clock).lead
    record_activity(
        prompt.lead_id,
        command_of(LeadActivity, {"type": "call", "by": prompt.owner_id}, rules, clock),
        rules,
        store,
        clock,
    )
    # another, disqualified by its owner
    unfit = capture({**SQL_LEAD, "email": "unfit@acme.cn", "phone": "13600136000"}, rules, store, clock).lead
    disqualify(
        unfit.lead_id,
        command_of(Disqualification, {"reason": "no budget", "by": unfit.owner_id}, rules, clock),
        rules,
        store,
        clock,
    )
    # nurture leads: enrolled and short of data; one woken by behaviour, one by a richer post, one unsubscribes
    for email in ("quiet@example.com", "richer@example.com", "gone@example.com"):
        capture({"email": email}, example_rules, store, clock)
    record_behavior(
        command_of(Behavior, {"email": "quiet@example.com", "event": "demo_request"}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    capture({**SQL_LEAD, "email": "richer@example.com", "phone": "13700137000"}, example_rules, store, clock)
    record_behavior(
        command_of(Behavior, {"email": "gone@example.com", "event": "unsubscribe"}, example_rules, clock),
        example_rules,
        store,
        clock,
    )
    # no Routing row matches: unassigned
    nobody = active(
        ruleset(
            owners=[owner("u_a")],
            routing_rows=[routing(10, "Sales", region=["east"])],
            settings_rows=settings(quality_fields=("email",)),
            scoring_rows=[scoring("known", "email", "exists", None, 90)],
        )
    )
    capture({"email": "far@away.com", "country": "US"}, nobody, store, clock)
    # a P1 case: opened, warned, breached, escalated; another answered in time, resolved, reopened
    _drive_cases(example_rules, store, clock)
    # orders: shipped and signed for, invoiced, written back; one blocked on a missing tax id, released
    _drive_orders(example_rules, store, clock)
    # health: an account reports low usage (HealthWarning), then the daily sweep finds nothing new
    _drive_health(example_rules, store, clock)
    # a lead converted; its opportunity moved, quoted, approved, escalated, rejected, stalled, lost, won
    _drive_sales(example_rules, store, clock)
    # an approved quote signed: contract, order and account made, the deal won
    _drive_contract(example_rules, store, clock)
    # renewals: a contract's reminders fire (the opportunity at 90 days) while a P1 case holds it; released
    _drive_renewals(example_rules, store)
    # a timer nobody can handle (a kind of older rules) fails three sweeps and is set aside
    store.commit(Change(saves=[Save(Timer("retired_kind", "lead/ld_gone", FRIDAY_1730_SHANGHAI), None)]))
    for minute in range(3):
        sweep_timers(FRIDAY_1730_SHANGHAI + timedelta(days=400, minutes=minute), store, {})
    # a person erased on request (PersonErased)
    erase_person({"email": "gone@example.com"}, example_rules, store, MemoryPersonalRecords(store), clock)
    # rules: published twice, rolled back, rejected, a sync that cannot read its source
    rules_store = _RulesStore()
    publish_rules(example_content, [], "dir:admin_sheets/examples", rules_store, clock)
    publish_rules({**example_content, "Products": []}, [], "dir:/tmp/rules", rules_store, clock)
    rollback_rules("1", rules_store, clock)
    publish_rules(None, ["Routing!B3: no such team"], "dir:/tmp/rules", rules_store, clock)
    sync_rules(_Unreadable(), rules_store, _Cache(), clock)
    return [*store.events, *rules_store.events]


def _drive_cases(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    source = rules.rules.source_named("contact-center")
    late = {"external_id": "late", "priority": "P1", "account": {"company": "Acme", "country": "CN"}}
    open_case(read(CaseOpening, late, now=now_of(clock), active=rules), source, rules, store, clock)
    sweep_timers(clock.now + timedelta(hours=3), store, handlers(FixedRules(rules)))
    prompt = open_case(
        read(CaseOpening, {**late, "external_id": "prompt"}, now=now_of(clock), active=rules),
        source,
        rules,
        store,
        clock,
    ).case
    for kind in ("first_response", "resolved", "reopened"):
        record_case_event(
            prompt.case_id,
            read(CaseEventRecording, {"type": kind, "by": prompt.owner_id}, now=now_of(clock), active=rules),
            rules,
            store,
            clock,
        )


def _drive_orders(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    from shared.fulfilment.domain.orders import invoice_id_for
    from tests.unit.services.orders_helpers import (
        NO_TAX_ID,
        change_account,
        make_order,
        report_shipment,
        shipment,
        write_back,
    )

    at = "2026-11-20T09:00:00Z"
    for contract, account in (("ct_paid", None), ("ct_rejected", None), ("ct_blocked", NO_TAX_ID)):
        order = make_order(store, rules, clock(), contract_id=contract, account=account)
        report = shipment(order.order_id, "s1", "signed", at, CL_PRO=10, CL_ONB=3)
        report_shipment(report, "warehouse", rules, store, clock)
        invoice = invoice_id_for(order.order_id, "order")
        if contract == "ct_paid":
            write_back(invoice, {"status": "issued", "invoice_number": "No 1"}, rules, store, clock)
            write_back(invoice, {"status": "paid"}, rules, store, clock)
        elif contract == "ct_rejected":
            write_back(invoice, {"status": "rejected", "reason": "wrong address"}, rules, store, clock)
        else:
            change_account(order.account_id, {"credit_code": "91350100M000100Y43"}, rules, store, clock)


def _drive_contract(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    from tests.unit.services.esign_helpers import approved_quote, envelope, sign_envelope

    quote = approved_quote(rules, store, clock, company="Signed Co")
    sign_envelope(envelope(quote["quote_id"], "env-docs"), rules, store, clock)


def _drive_health(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    from shared.customers.services.health import report_usage, sweep_health
    from tests.unit.services.orders_helpers import make_order

    analytics, survey = rules.rules.source_named("product-analytics"), rules.rules.source_named("nps-survey")

    order = make_order(store, rules, clock() - timedelta(days=60), contract_id="ct_health")
    usage = {"account_id": order.account_id, "active_users": 3, "licensed_users": 50}
    report_usage(read(UsageReport, usage, now=now_of(clock), active=rules), analytics, rules, store, clock)
    sweep_health(rules, store, clock.now + timedelta(days=1))
    from shared.customers.services.surveys import record_survey

    answer = {"account_id": order.account_id, "respondent": {"email": "cfo@acme.cn"}, "score": 9}
    record_survey(read(SurveyAnswer, answer, now=now_of(clock), active=rules), survey, rules, store, clock)


def _drive_sales(rules: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock) -> None:
    lead = capture({**SQL_LEAD, "email": "deal@acme.cn", "phone": "13500135000"}, rules, store, clock).lead
    deal = create_opportunity(
        read(
            OpportunityNew,
            {"lead_id": lead.lead_id, "name": "Acme", "owner_id": "u_wang"},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    opportunity_id = deal["opportunity_id"]
    record_opportunity_activity(
        opportunity_id,
        command_of(OpportunityActivity, {"type": "call", "by": "u_wang"}, rules, clock),
        rules,
        store,
        clock,
    )
    move = {"stage": "discovery", "by": "u_wang", "fields": {"decision_maker": "CTO"}}
    move_stage(opportunity_id, read(StageMove, move, now=now_of(clock), active=rules), rules, store, clock)
    move_stage(
        opportunity_id,
        read(StageMove, {"stage": "qualification", "by": "u_wang"}, now=now_of(clock), active=rules),
        rules,
        store,
        clock,
    )
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    big = create_quote(
        read(
            QuoteNew,
            {"opportunity_id": opportunity_id, "by": "u_wang", "lines": lines},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    sweep_timers(clock.now + timedelta(days=5), store, handlers(FixedRules(rules)))  # the manager's step escalated
    first = big["approval"]["steps"][0]["approval_id"]
    decide(
        first,
        read(ApprovalDecision, {"decision": "approve", "by": "u_chen"}, now=now_of(clock), active=rules),
        rules,
        store,
        clock,
    )
    second = big["approval"]["steps"][1]["approval_id"]
    decide(
        second,
        read(
            ApprovalDecision,
            {"decision": "reject", "by": "u_chen", "note": "too deep"},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    small = [{"sku": "IOT-PLAT-STD", "quantity": 1}]
    create_quote(
        read(
            QuoteNew,
            {"opportunity_id": opportunity_id, "by": "u_wang", "lines": small},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    sweep_timers(clock.now + timedelta(days=20), store, handlers(FixedRules(rules)))  # stalled in qualification
    opportunity = store.opportunities.get(opportunity_id)
    assert opportunity is not None
    version = opportunity.version
    won = win_on_signature(opportunity, "ct_0000000000000000000a", "2026-12-20T08:00:00Z", rules)
    store.commit(Change.of(opportunity, version, events=won))
    other = create_opportunity(
        read(
            OpportunityNew,
            {"name": "Lost deal", "owner_id": "u_wang", "account": {"company": "B"}},
            now=now_of(clock),
            active=rules,
        ),
        rules,
        store,
        clock,
    )
    lost = {"stage": "lost", "by": "u_wang", "reason": "price"}
    move_stage(other["opportunity_id"], read(StageMove, lost, now=now_of(clock), active=rules), rules, store, clock)


def _drive_renewals(rules: ActiveRules, store: MemoryUnitOfWork) -> None:
    from tests.unit.services.renewals_helpers import P1_CASE, sign_contract

    signed = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    sign_contract(store, rules, signed, envelope="renewal-docs", end_date="2027-12-31")
    clock = TickingClock(datetime(2027, 9, 30, tzinfo=UTC))
    source = rules.rules.source_named("contact-center")
    case = open_case(
        read(CaseOpening, {**P1_CASE, "external_id": "renewal-docs"}, now=now_of(clock), active=rules),
        source,
        rules,
        store,
        clock,
    ).case
    sweep_timers(datetime(2027, 10, 2, 1, 0, tzinfo=UTC), store, handlers(FixedRules(rules)))
    record_case_event(
        case.case_id,
        read(CaseEventRecording, {"type": "resolved", "by": case.owner_id}, now=now_of(clock), active=rules),
        rules,
        store,
        clock,
    )


def test_the_models_name_exactly_the_data_keys_the_services_emit(
    example_rules: ActiveRules, example_content: Content
) -> None:
    observed: dict[EventType, set[str]] = defaultdict(set)
    for event in _drive(example_rules, example_content):
        check(event)  # the rules store above bypasses the commit check of tests/conftest.py
        observed[event.type] |= set(event.data)
    assert sorted(EMITTED - set(observed)) == [], "the driver above no longer reaches these"
    for kind, keys in observed.items():
        model = EVENT_MODELS[kind]
        assert not model.reserved, f"{kind} is emitted: describe its data on {model.__name__}"
        named = {field.alias or name for name, field in model.model_fields.items()}
        assert keys == named, f"{kind}: emitted {sorted(keys)}, the model names {sorted(named)}"
