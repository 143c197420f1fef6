"""Support cases through the services, on the example rules and the in-memory unit of work.

The example workbook: P1 cases go to Support L2 (u_yang, u_xie), every other case to the Support
pool (u_qian weight 2, u_song, u_feng); all report to the support manager u_ma, whose manager is the
director u_chen. P1: first response 1 h and resolution 8 h on the wall clock (24x7), escalated to
manager then director; P2–P4 count business hours of cn-office.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain.errors import CaseNotFound, InvalidTransition, ValidationFailed
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Content, RuleSet
from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening
from shared.service_desk.services.cases import OpenResult, get_case, open_case, record_case_event
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import FixedRules, TickingClock, now_of

SATURDAY_NIGHT = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai: 24x7 clocks run anyway
CASE = {
    "external_id": "CC-1001",
    "subject": "Production line stopped",
    "priority": "P1",
    "channel": "phone",
    "account": {"credit_code": "91350100M000100Y43"},
    "contact": {"name": "张伟", "email": "Zhang.Wei@Example.cn"},
}


class Setup:
    def __init__(self, active: ActiveRules, start: datetime = SATURDAY_NIGHT) -> None:
        self.active, self.store, self.clock = active, MemoryUnitOfWork(), TickingClock(start)

    def open(self, **changes: Any) -> OpenResult:
        return open_case(
            read(CaseOpening, {**CASE, **changes}, now=now_of(self.clock), active=self.active),
            self.active.rules.source_named("contact-center"),
            self.active,
            self.store,
            self.clock,
        )

    def record(self, case_id: str, kind: str, by: str, **extra: Any) -> dict[str, Any]:
        return record_case_event(
            case_id,
            read(CaseEventRecording, {"type": kind, "by": by, **extra}, now=now_of(self.clock), active=self.active),
            self.active,
            self.store,
            self.clock,
        )

    def sweep(self, now: datetime) -> None:
        sweep_timers(now, self.store, handlers(FixedRules(self.active)))

    def events(self, case_id: str, kind: str | None = None) -> list[Any]:
        return [e for e in self.store.events if e.subject == f"case/{case_id}" and kind in (None, e.type)]

    def timers(self, case_id: str) -> list[tuple[str, str, int]]:
        pending = self.store.timers.pending(f"case/{case_id}")
        return [(t.kind, t.data["clock"], t.data["step"]) for t in pending]


@pytest.fixture
def cc(example_rules: ActiveRules) -> Setup:
    return Setup(example_rules)


def test_a_p1_case_goes_to_senior_support_with_both_clocks_running(cc: Setup) -> None:
    result = cc.open()
    body, case = result.body, result.case
    assert result.status == "created" and body["status"] == "open" and body["case_id"].startswith("cs_")
    assert body["team"] == "Support L2" and body["owner_id"] in ("u_yang", "u_xie")
    first, resolution = body["sla"]["first_response"], body["sla"]["resolution"]
    assert (first["state"], first["business_hours"], first["target_hours"]) == ("running", False, 1.0)
    assert first["due_at"] == "2026-11-21T15:00:01.000Z" and resolution["due_at"] == "2026-11-21T22:00:01.000Z"
    assert first["rules_version"] == "v1-test" and first["sla_row"] == 4
    assert case.contact == {"name": "张伟", "email": "zhang.wei@example.cn"}
    [opened] = cc.events(case.case_id, "CaseOpened")
    assert opened.data["routing_rule"] == "routing:100" and opened.data["sla"]["first_response"] == first["due_at"]
    assert sorted(cc.timers(case.case_id)) == [
        ("case_sla_breach", "first_response", 0),
        ("case_sla_breach", "first_response", 1),
        ("case_sla_breach", "resolution", 0),
        ("case_sla_breach", "resolution", 1),
        ("case_sla_warn", "first_response", 0),
        ("case_sla_warn", "resolution", 0),
    ]
    assert cc.store.loads == {body["owner_id"]: 1}


def test_other_priorities_go_round_robin_by_weight_to_the_support_pool(cc: Setup) -> None:
    owners = Counter(cc.open(external_id=f"CC-{i}", priority="P3").case.owner_id for i in range(8))
    assert owners == {"u_qian": 4, "u_song": 2, "u_feng": 2}  # weights 2, 1, 1


def test_the_same_external_id_from_the_same_source_is_the_same_case(cc: Setup) -> None:
    first = cc.open()
    again = cc.open(subject="changed")
    assert again.status == "existing" and again.case.case_id == first.case.case_id
    assert again.body["owner_id"] == first.body["owner_id"] and again.case.title == "Production line stopped"
    assert len(cc.events(first.case.case_id, "CaseOpened")) == 1 and sum(cc.store.loads.values()) == 1
    other = open_case(
        read(CaseOpening, CASE, now=now_of(cc.clock), active=cc.active),
        cc.active.rules.source_named("hubspot"),
        cc.active,
        cc.store,
        cc.clock,
    )
    assert other.status == "created" and other.case.case_id != first.case.case_id


def test_nobody_free_leaves_the_case_in_the_teams_queue(example_content: Content) -> None:
    content = copy.deepcopy(example_content)
    for row in content["Owners"]:
        if row["team"] == "Support L2":
            row["capacity"] = 1
    rules = RuleSet.from_content(content, "v2-small")
    cc = Setup(ActiveRules(rules))
    taken = {cc.open(external_id=f"CC-{i}").case.owner_id for i in range(2)}
    third = cc.open(external_id="CC-3")
    assert taken == {"u_yang", "u_xie"} and third.body["owner_id"] is None and third.body["team"] is None
    assert third.case.queue == "Support L2" and third.case.decision["reason"].startswith("everyone")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"opened_at": "2026-11-21T14:06:00Z"}, "opened_at"),  # more than 5 minutes ahead
        ({"opened_at": "yesterday"}, "opened_at"),
        ({"opened_at": "1999-11-21T14:00:00Z"}, "opened_at"),  # more than a year ago
        ({"priority": "urgent"}, "priority"),
        ({"external_id": ""}, "external_id"),
        ({"account": {"company": "Acme"}}, "account"),  # a company needs its country
        ({"account": {"credit_code": "91350100M000100Y44"}}, "account.credit_code"),
        ({"account": "Acme"}, "account"),
        ({"channel": "fax"}, "channel"),
        ({"contact": {"email": "not an email"}}, "contact.email"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(cc: Setup, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        cc.open(**changes)
    assert field in refused.value.fields
    assert cc.store.aggregates == {} and cc.store.events == [] and cc.store.keys == {}


def test_opened_at_may_be_a_little_ahead_or_in_the_past(cc: Setup) -> None:
    assert cc.open(opened_at="2026-11-21T14:04:00Z").case.opened_at == "2026-11-21T14:04:00.000Z"
    assert (
        cc.open(external_id="CC-2", opened_at="2026-11-20T14:00:00+08:00").case.opened_at == "2026-11-20T06:00:00.000Z"
    )


def test_the_account_id_is_stable(cc: Setup) -> None:
    by_name = cc.open(external_id="A", account={"company": " ACME  Ltd ", "country": "China"}).body["account_id"]
    again = cc.open(external_id="B", account={"company": "acme ltd", "country": "CN"}).body["account_id"]
    given = cc.open(external_id="C", account={"account_id": "acct-42", "company": "Acme"}).body["account_id"]
    by_code = cc.open(external_id="D").body["account_id"]
    assert by_name == again and given == "acct-42" and by_code != by_name and by_code.startswith("ac_")
    assert cc.store.cases.get(cc.open(external_id="D").case.case_id).account == CASE["account"]  # type: ignore[union-attr]


# ------------------------------------------------------------------ events


def test_events_change_the_status_and_refuse_nonsense_without_storing_it(cc: Setup) -> None:
    case = cc.open().case
    owner = case.owner_id
    assert owner is not None
    cc.record(case.case_id, "first_response", owner)
    with pytest.raises(InvalidTransition, match="customer_replied on a case that is open"):
        cc.record(case.case_id, "customer_replied", owner)
    answer = cc.record(case.case_id, "resolved", owner)
    assert answer["status"] == "resolved" and answer["event"]["type"] == "resolved"
    stored_version = cc.store.cases.get(case.case_id).version  # type: ignore[union-attr]
    with pytest.raises(InvalidTransition, match="resolved on a case that is resolved"):
        cc.record(case.case_id, "resolved", owner)
    assert cc.store.cases.get(case.case_id).version == stored_version  # type: ignore[union-attr]
    [resolved] = cc.events(case.case_id, "CaseResolved")
    assert resolved.data["first_contact_resolution"] is True
    cc.record(case.case_id, "reopened", "u_ma")
    assert cc.events(case.case_id, "CaseReopened")[0].data["first_contact_resolution"] is False
    view = get_case(case.case_id, cc.active, cc.store, cc.clock)
    assert [e["type"] for e in view["history"]] == ["first_response", "resolved", "reopened"]
    assert view["status"] == "reopened" and view["first_contact_resolution"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "call", "by": "u_he"}, "type"),
        ({"type": "note", "by": "u_nobody"}, "by"),
        ({"type": "note"}, "by"),
        ({"type": "note", "by": "u_he", "at": "2026-11-21T15:00:00Z"}, "at"),  # in the future
        ({"type": "note", "by": "u_he", "at": "2026-11-20T00:00:00Z"}, "at"),  # before the case opened
        ({"type": "csat", "by": "u_he", "score": 6}, "score"),
        ({"type": "note", "by": "u_he", "score": 3}, "score"),
    ],
)
def test_a_bad_event_names_the_field(cc: Setup, payload: dict[str, Any], field: str) -> None:
    case = cc.open().case
    with pytest.raises(ValidationFailed) as refused:
        record_case_event(
            case.case_id,
            read(CaseEventRecording, payload, now=now_of(cc.clock), active=cc.active),
            cc.active,
            cc.store,
            cc.clock,
        )
    assert field in refused.value.fields and cc.store.cases.get(case.case_id).history == []  # type: ignore[union-attr]


def test_an_unknown_case_is_not_found(cc: Setup) -> None:
    for case_id in ("cs_" + "a" * 20, "ld_123", "../etc"):
        with pytest.raises(CaseNotFound):
            get_case(case_id, cc.active, cc.store, cc.clock)
        with pytest.raises(CaseNotFound):
            cc.record(case_id, "note", "u_he")


def test_resolving_releases_the_owners_load_and_reopening_takes_it_back(example_content: Content) -> None:
    content = copy.deepcopy(example_content)
    for row in content["Owners"]:
        if row["team"] == "Support L2":
            row["capacity"] = 1
    rules = RuleSet.from_content(content, "v2-small")
    cc = Setup(ActiveRules(rules))
    first, second = (cc.open(external_id=f"CC-{i}").case for i in range(2))
    assert cc.open(external_id="CC-full").body["owner_id"] is None  # both seniors hold one
    assert first.owner_id is not None
    cc.record(first.case_id, "resolved", first.owner_id)
    assert cc.store.loads[first.owner_id] == 0
    assert cc.open(external_id="CC-next").body["owner_id"] == first.owner_id  # a place is free again
    cc.record(first.case_id, "reopened", first.owner_id)  # back to its owner, even at capacity
    assert cc.store.loads[first.owner_id] == 2
    cc.record(first.case_id, "note", first.owner_id)  # no status change: the load stays
    assert cc.store.loads[first.owner_id] == 2 and second.owner_id != first.owner_id


def test_timers_follow_the_clocks_pause_cancels_resume_replans_stop_cancels(cc: Setup) -> None:
    case = cc.open().case
    owner = case.owner_id
    assert owner is not None
    cc.record(case.case_id, "first_response", owner)
    assert {clock for _, clock, _ in cc.timers(case.case_id)} == {"resolution"}
    assert [e.data["clock"] for e in cc.events(case.case_id, "SlaMet")] == ["first_response"]
    cc.record(case.case_id, "waiting_on_customer", owner)
    assert cc.timers(case.case_id) == []  # paused: nothing can warn or breach
    cc.clock.now += timedelta(hours=2)
    answer = cc.record(case.case_id, "customer_replied", owner)
    resumed = {t.kind: t.due_at for t in cc.store.timers.pending(f"case/{case.case_id}") if t.data["step"] == 0}
    assert answer["sla"]["resolution"]["due_at"] == "2026-11-22T00:00:03.000Z"  # 8 h + the 2 h (and 2 s) waited
    assert resumed["case_sla_breach"] == datetime(2026, 11, 22, 0, 0, 3, tzinfo=UTC)
    cc.record(case.case_id, "resolved", owner)
    assert cc.timers(case.case_id) == [] and len(cc.events(case.case_id, "SlaMet")) == 2


def test_a_case_resolved_without_a_first_response_stops_that_clock_too(cc: Setup) -> None:
    """Resolving answered the customer: no first-response clock left running (and breaching) on a
    closed case (issue 16)."""
    case = cc.open().case
    assert case.owner_id is not None
    answer = cc.record(case.case_id, "resolved", case.owner_id)
    assert answer["sla"]["first_response"]["state"] == "met"
    assert cc.timers(case.case_id) == []
    assert sorted(e.data["clock"] for e in cc.events(case.case_id, "SlaMet")) == ["first_response", "resolution"]
    cc.sweep(cc.clock.now + timedelta(days=30))
    assert cc.events(case.case_id, "SlaBreached") == []


def test_a_p1_case_paused_then_resumed_breaches_at_the_right_instant_and_escalates(cc: Setup) -> None:
    """Opened 22:00:01 (Shanghai) Saturday; first response in time; waiting 2 h; resolution due
    8 h + 2 h after opening; the manager hears then, the director one full target (8 h) later."""
    case = cc.open().case
    owner = case.owner_id
    assert owner is not None
    cc.record(case.case_id, "first_response", owner)
    cc.record(case.case_id, "waiting_on_customer", owner)
    cc.clock.now += timedelta(hours=2)
    cc.record(case.case_id, "customer_replied", owner)
    due = datetime(2026, 11, 22, 0, 0, 3, tzinfo=UTC)  # opened 14:00:01 + 8 h + (2 h + 2 s) waited
    cc.sweep(due - timedelta(seconds=1))
    assert cc.events(case.case_id, "SlaBreached") == []
    assert [e.data["notify"] for e in cc.events(case.case_id, "SlaWarning")] == [[owner]]
    cc.sweep(due)
    [breached] = cc.events(case.case_id, "SlaBreached")
    assert (breached.data["role"], breached.data["notify"], breached.data["clock"]) == (
        "manager",
        ["u_ma"],
        "resolution",
    )
    assert breached.data["due_at"] == "2026-11-22T00:00:03.000Z" and breached.data["late_seconds"] == 0
    cc.sweep(due + timedelta(hours=8) - timedelta(seconds=1))
    assert cc.events(case.case_id, "SlaEscalated") == []
    cc.sweep(due + timedelta(hours=8))
    [escalated] = cc.events(case.case_id, "SlaEscalated")
    assert (escalated.data["role"], escalated.data["notify"]) == ("director", ["u_chen"])
    assert cc.timers(case.case_id) == []
    cc.clock.now = due + timedelta(hours=9)
    clock = get_case(case.case_id, cc.active, cc.store, cc.clock)["sla"]["resolution"]
    assert clock["breached_at"] == "2026-11-22T00:00:03.000Z"


def test_a_late_pause_moves_the_breach_and_a_timer_of_the_old_plan_does_nothing(cc: Setup) -> None:
    case = cc.open().case
    owner = case.owner_id
    assert owner is not None
    cc.clock.now += timedelta(hours=3)
    # reported late: the case waited on the customer from 23:00 to 01:00
    cc.record(case.case_id, "waiting_on_customer", owner, at="2026-11-21T15:00:00Z")
    cc.record(case.case_id, "customer_replied", owner, at="2026-11-21T17:00:00Z")
    assert (
        get_case(case.case_id, cc.active, cc.store, cc.clock)["sla"]["resolution"]["due_at"]
        == "2026-11-22T00:00:01.000Z"
    )
    cc.sweep(datetime(2026, 11, 21, 22, 0, 1, tzinfo=UTC))  # the original due time: nothing breaches now
    assert [e.data["clock"] for e in cc.events(case.case_id, "SlaBreached")] == ["first_response"]


def test_a_case_breach_reaches_the_manager_on_each_notify_channel_once(cc: Setup) -> None:
    """u_ma's Owners row says `email,wecom`: one delivery each, naming the case, told once even
    when the sweep runs again."""
    case = cc.open().case
    due = SATURDAY_NIGHT + timedelta(hours=1, seconds=1)  # 1 h first response, 24x7
    cc.sweep(due)
    cc.sweep(due + timedelta(minutes=1))
    to_manager = [d for d in cc.store.deliveries.listing() if d.to == "u_ma" and d.about == case.subject]
    assert sorted(d.channel for d in to_manager) == ["email", "wecom"]
    assert all("Production line stopped" in d.payload["text"] for d in to_manager)
    assert {d.address for d in to_manager if d.channel == "email"} == {"ma.li@example.com"}
