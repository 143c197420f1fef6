"""Erasure and export of one person (CONTRACT §12) on the in-memory store."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from shared.adapters.memory import MemoryPersonalRecords, MemoryUnitOfWork
from shared.composition.services.privacy import erase_person, export_person
from shared.composition.services.timer_handlers import handlers
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.sales.messages.sales import OpportunityNew
from shared.service_desk.messages.cases import CaseOpening
from shared.service_desk.services.cases import open_case
from shared.time.services.timers import sweep_timers
from tests.unit.services.helpers import NOW, SQL_LEAD, FixedRules, TickingClock, capture, now_of

PERSON = {**SQL_LEAD, "name": "张伟", "email": "Zhang.Wei@Example.cn", "phone": "138 0013 8000",
          "message": "please call me", "company": "上海精密制造", "wechat": "zw_1988"}  # fmt: skip


def _world(rules: ActiveRules) -> tuple[MemoryUnitOfWork, TickingClock, str]:
    store, clock = MemoryUnitOfWork(), TickingClock()
    lead = capture(PERSON, rules, store, clock).lead
    capture({**PERSON, "message": "and a second message"}, rules, store, clock)  # LeadMerged: the touch's message
    source = rules.rules.source_named("contact-center")
    for n in (1, 2):
        contact = {"name": "张伟", "email": "zhang.wei@example.cn", "phone": "+8613800138000"}
        body = {
            "external_id": f"c{n}",
            "priority": "P1",
            "contact": contact,
            "account": {"company": "上海精密制造", "country": "CN"},
        }
        open_case(read(CaseOpening, body, now=now_of(clock), active=rules), source, rules, store, clock)
    return store, clock, lead.lead_id


def _dump(store: MemoryUnitOfWork) -> str:
    every = [*(a.to_dict() for a in store.aggregates.values()), *(e.envelope() for e in store.events), store.keys]
    return json.dumps(every, ensure_ascii=False, default=str)


def test_erasure_leaves_no_email_phone_or_name_and_keeps_the_business_facts(example_rules: ActiveRules) -> None:
    store, clock, lead_id = _world(example_rules)
    records = MemoryPersonalRecords(store)
    before = store.get(lead_id)
    assert before is not None and "zhang.wei@example.cn" in _dump(store)

    result = erase_person({"email": "ZHANG.WEI@example.cn"}, example_rules, store, records, clock)

    assert result.body() == {"erased": {"leads": 1, "cases": 2, "events": 1}}
    dump = _dump(store)
    for trace in ("zhang.wei@example.cn", "+8613800138000", "张伟", "please call me", "second message", "zw_1988"):
        assert trace not in dump, trace
    lead = store.get(lead_id)
    assert lead is not None
    assert (lead.score, lead.grade, lead.owner_id, lead.captured_at) == (
        before.score, before.grade, before.owner_id, before.captured_at)  # fmt: skip
    assert lead.fields["company"] == "上海精密制造" and lead.fields["email"] is None
    assert lead.view()["extra"] is None and lead.view()["name"] is None
    erased = [e for e in store.events if e.type == "PersonErased"]
    digest = hashlib.sha256(b"zhang.wei@example.cn").hexdigest()
    assert erased[-1].subject == f"person/{digest}"
    assert erased[-1].data == {"identifier": "email", "identifier_sha256": digest, "reason": "request",
                               "leads": 1, "cases": 2, "events": result.events}  # fmt: skip


def test_erasing_again_answers_zeros(example_rules: ActiveRules) -> None:
    store, clock, _ = _world(example_rules)
    records = MemoryPersonalRecords(store)
    erase_person({"phone": "13800138000"}, example_rules, store, records, clock)
    again = erase_person({"phone": "+86 138 0013 8000"}, example_rules, store, records, clock)
    assert again.body() == {"erased": {"leads": 0, "cases": 0, "events": 0}}


def test_a_later_post_of_the_email_is_a_new_lead_with_a_new_id(example_rules: ActiveRules) -> None:
    store, clock, lead_id = _world(example_rules)
    erase_person({"email": "zhang.wei@example.cn"}, example_rules, store, MemoryPersonalRecords(store), clock)
    again = capture(PERSON, example_rules, store, clock)
    assert again.status == "created" and again.lead.lead_id != lead_id
    assert store.get(lead_id) is not None  # the erased lead keeps its facts under its own id
    # and a third life after a second erasure
    erase_person({"email": "zhang.wei@example.cn"}, example_rules, store, MemoryPersonalRecords(store), clock)
    third = capture(PERSON, example_rules, store, clock)
    assert third.status == "created" and third.lead.lead_id not in (lead_id, again.lead.lead_id)


def test_pending_alerts_about_the_person_are_cancelled(example_rules: ActiveRules) -> None:
    store, clock, lead_id = _world(example_rules)
    sweep_timers(NOW + timedelta(days=7), store, handlers(FixedRules(example_rules)))
    alerts = store.deliveries.about(f"lead/{lead_id}")
    assert alerts and all(d.status == "pending" for d in alerts)
    erase_person({"email": "zhang.wei@example.cn"}, example_rules, store, MemoryPersonalRecords(store), clock)
    after = store.deliveries.about(f"lead/{lead_id}")
    assert {d.status for d in after} == {"cancelled"} and {d.text for d in after} == {"[erased]"}


def test_export_is_everything_held_about_the_person(example_rules: ActiveRules) -> None:
    store, clock, lead_id = _world(example_rules)
    document = export_person({"phone": "13800138000"}, example_rules, store, MemoryPersonalRecords(store), clock)
    assert document["person"] == {"phone": "+8613800138000"}
    assert [lead["lead_id"] for lead in document["leads"]] == [lead_id]
    assert document["leads"][0]["email"] == "zhang.wei@example.cn"
    assert len(document["cases"]) == 2 and all(c["contact"]["name"] == "张伟" for c in document["cases"])
    assert "email#zhang.wei@example.cn" in document["identity_keys"]
    assert {e["type"] for e in document["events"]} >= {"LeadCaptured", "CaseOpened"}
    nobody = export_person({"email": "nobody@example.cn"}, example_rules, store, MemoryPersonalRecords(store), clock)
    assert nobody["leads"] == nobody["cases"] == nobody["events"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "not an email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"email": "a@b.cn", "phone": "13800138000"}, "phone"),
        ({"email": 5}, "email"),
        ({"mail": "a@b.cn"}, "mail"),
        ([], "email"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(example_rules: ActiveRules, body: object, field: str) -> None:
    store = MemoryUnitOfWork()
    with pytest.raises(ValidationFailed) as refused:
        erase_person(body, example_rules, store, MemoryPersonalRecords(store), TickingClock())
    assert field in (refused.value.fields or {})
    assert store.events == []


def test_the_opportunity_a_lead_became_loses_its_contact_and_a_name_that_was_the_persons(
    example_rules: ActiveRules,
) -> None:
    from shared.sales.services.opportunities import create_opportunity

    store, clock = MemoryUnitOfWork(), TickingClock()
    person = {**PERSON, "company": None}  # no company: its name becomes its id
    lead = capture(person, example_rules, store, clock).lead
    payload = {"lead_id": lead.lead_id, "owner_id": lead.owner_id, "name": "张伟"}  # named after the person
    made = create_opportunity(
        read(OpportunityNew, payload, now=now_of(clock), active=example_rules), example_rules, store, clock
    )
    before = store.opportunities.get(made["opportunity_id"])
    assert before is not None and before.name == "张伟" and before.contact["email"] == "zhang.wei@example.cn"

    erase_person({"email": "zhang.wei@example.cn"}, example_rules, store, MemoryPersonalRecords(store), clock)

    after = store.opportunities.get(made["opportunity_id"])
    assert after is not None and after.contact == {"name": None, "email": None, "phone": None, "title": None}
    assert after.name == made["opportunity_id"] and after.owner_id == before.owner_id
    assert "张伟" not in _dump(store) and "zhang.wei@example.cn" not in _dump(store)
