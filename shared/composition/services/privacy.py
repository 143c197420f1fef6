"""Erasure and export of one person (CONTRACT §12, PIPL art. 47 / GDPR art. 17 and 15).

A person is found by the identity claim capture made for their email or phone (one read), their
cases by the cases' ``by_contact`` index, their events by subject — indexes, never a scan.

Erasure runs outside-in so that a crash half-way leaves the person findable and a second request
finishes the job: first each case (its events, its alerts, then the case itself, which leaves
``by_contact``), then the lead's events, opportunity and alerts, and last one transaction with the
lead, its claims given up and ``PersonErased``. Business facts (scores, owners, amounts, dates, the
company) stay, so the KPIs still add up; counts are of records that still held something personal,
so erasing again answers zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.composition.domain.privacy import (
    Person,
    erase_contact,
    erase_event_data,
    erase_lead,
    erase_opportunity,
    person_of,
)
from shared.composition.services.ports import AllWork, PersonalRecords
from shared.deliveries.domain.deliveries import ERASED_TEXT, Delivery
from shared.kernel.domain.errors import Conflict
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.leads.domain.leads import Lead, identity_keys, lead_id_for
from shared.rules.domain.active import ActiveRules

BUSY = "this person's records are being changed by other requests; please retry"
Reason = Literal["request", "retention"]


@dataclass
class Erasure:
    leads: int = 0
    cases: int = 0
    events: int = 0

    def body(self) -> dict[str, Any]:
        return {"erased": {"leads": self.leads, "cases": self.cases, "events": self.events}}


def erase_person(params: Any, active: ActiveRules, uow: AllWork, records: PersonalRecords, clock: Clock) -> Erasure:
    """``POST /privacy/erase``: the person named by ``{"email"}`` or ``{"phone"}``, everywhere."""
    person = person_of(params, active.rules.settings.default_country)
    now = clock()
    report = Erasure()
    lead = _lead_of(person, uow)
    for key in _person_keys(person, lead):
        for case_id in records.cases_of_contact(key):
            report.cases += _erase_case(case_id, uow, records, now, report)
    if lead is not None:
        erase_lead_records(lead, person, "request", uow, records, now, report)
    else:
        uow.commit(Change(events=[_erased_event(person, "request", now, report)]))
    return report


def erase_lead_records(
    lead: Lead,
    person: Person | None,
    reason: Reason,
    uow: AllWork,
    records: PersonalRecords,
    now: datetime,
    report: Erasure,
    unchanged_since: int | None = None,
) -> None:
    """One lead's person gone: its events, its opportunity's contact, its alerts, then the lead with
    its claims given up and ``PersonErased`` in one transaction (the retention sweep calls this
    with the lead's own identity, and ``unchanged_since`` the version it judged: a lead that moved
    since — a new post, a touch — is not erased)."""
    person = person or _identity_of(lead)
    name = lead.fields.get("name")
    report.events += _erase_events(lead.subject, name, records)
    if lead.opportunity_id:
        report.events += _erase_opportunity(lead.opportunity_id, name, uow, records)
    _forget_deliveries(lead.subject, name, uow)
    claims = _held_claims(lead, person, uow)

    def attempt() -> None:
        stored = uow.leads.get(lead.lead_id)
        if stored is None or (unchanged_since is not None and stored.version != unchanged_since):
            return
        version = stored.version
        changed = erase_lead(stored, iso(now))
        saves = [Save(stored, version)] if changed or stored.erased_at == iso(now) else []
        counted = Erasure(report.leads + int(changed), report.cases, report.events)
        event = _erased_event(person, reason, now, counted) if person else None
        uow.commit(Change(saves=saves, unclaims=list(claims), events=[event] if event else []))
        report.leads = counted.leads

    uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def export_person(
    params: Any, active: ActiveRules, uow: AllWork, records: PersonalRecords, clock: Clock
) -> dict[str, Any]:
    """``GET /privacy/export``: everything held about the person, as one JSON document."""
    person = person_of(params, active.rules.settings.default_country)
    now = clock()
    lead = _lead_of(person, uow)
    subjects: list[str] = []
    leads, cases, opportunities = [], [], []
    if lead is not None:
        leads.append(lead.view())
        subjects.append(lead.subject)
        opportunity = uow.opportunities.get(lead.opportunity_id) if lead.opportunity_id else None
        if opportunity is not None:
            opportunities.append({k: v for k, v in opportunity.to_dict().items() if k != "version"})
            subjects.append(f"opportunity/{opportunity.opportunity_id}")
    for key in _person_keys(person, lead):
        for case_id in records.cases_of_contact(key):
            case = uow.cases.get(case_id)
            if case is not None and case.subject not in subjects:
                cases.append(case.view(active.calendars, now))
                subjects.append(case.subject)
    events = [
        {"id": e.event_id, "type": e.type, "time": e.time, "subject": e.subject, "data": e.data}
        for subject in subjects
        for e in records.events_of(subject)
    ]
    deliveries = [d.to_dict() for subject in subjects for d in uow.deliveries.about(subject)]
    return {
        "person": {person.kind: person.value},
        "exported_at": iso(now),
        "identity_keys": _held_claims(lead, person, uow) if lead else [],
        "leads": leads,
        "cases": cases,
        "opportunities": opportunities,
        "events": events,
        "deliveries": deliveries,
    }


def _lead_of(person: Person, uow: AllWork) -> Lead | None:
    """The lead the person's identity claim names: one read of the claim and the likely lead."""
    found = uow.leads.lookup([person.key], [lead_id_for(person.key)])
    lead_id = found.owners.get(person.key)
    if lead_id is None:
        return None
    return found.leads.get(lead_id) or uow.leads.get(lead_id)


def _held_claims(lead: Lead, person: Person | None, uow: AllWork) -> list[str]:
    """The identity keys this lead holds: those it claimed (older leads did not note them: the keys of
    its fields) and the one asked for — each only if it still names this lead (one batch read)."""
    candidates = [*lead.claims, *identity_keys(lead.fields), *([person.key] if person else [])]
    owners = uow.leads.find_by_keys(list(dict.fromkeys(candidates)))
    return sorted(key for key, owner in owners.items() if owner == lead.lead_id)


def _person_keys(person: Person, lead: Lead | None) -> list[str]:
    """The keys the person's cases may be filed under: the one given and the lead's email and phone."""
    keys = [person.key]
    if lead is not None:
        keys += [f"{kind}#{lead.fields[kind]}" for kind in ("email", "phone") if lead.fields.get(kind)]
    return list(dict.fromkeys(keys))


def _identity_of(lead: Lead) -> Person | None:
    for kind in ("email", "phone"):
        value = lead.fields.get(kind)
        if isinstance(value, str) and value:
            return Person(kind, value)  # type: ignore[arg-type]
    return None


def _erase_events(subject: str, name: str | None, records: PersonalRecords) -> int:
    count = 0
    for event in records.events_of(subject):
        data, changed = erase_event_data(subject, event.data, name)
        if changed:
            records.rewrite(event, data)
            count += 1
    return count


def _erase_case(case_id: str, uow: AllWork, records: PersonalRecords, now: datetime, report: Erasure) -> int:
    subject = f"case/{case_id}"
    report.events += _erase_events(subject, None, records)
    _forget_deliveries(subject, None, uow)

    def attempt() -> int:
        case = uow.cases.get(case_id)
        if case is None:
            return 0
        version = case.version
        case.contact, changed = erase_contact(case.contact)
        if not changed and case.contact_key is None:
            return 0
        case.contact_key = None  # out of by_contact: a second erasure does not find it
        case.updated_at = iso(now)
        uow.commit(Change(saves=[Save(case, version)]))
        return int(changed)

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _erase_opportunity(opportunity_id: str, name: str | None, uow: AllWork, records: PersonalRecords) -> int:
    count = _erase_events(f"opportunity/{opportunity_id}", name, records)

    def attempt() -> None:
        opportunity = uow.opportunities.get(opportunity_id)
        if opportunity is None:
            return
        version = opportunity.version
        if erase_opportunity(opportunity, name):
            uow.commit(Change(saves=[Save(opportunity, version)]))

    uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))
    return count


def _forget_deliveries(subject: str, name: str | None, uow: AllWork) -> None:
    """Alerts about the person not yet sent are cancelled; our copies of every message about them
    say ``[erased]`` (what already reached a chat, an inbox or the ERP is out of our reach)."""
    for listed in uow.deliveries.about(subject):

        def attempt(delivery_id: str = listed.delivery_id) -> None:
            delivery = uow.deliveries.get(delivery_id)
            if delivery is None:
                return
            version = delivery.version
            if delivery.forget_person(_erased_payload(delivery, subject, name)):
                uow.commit(Change(saves=[Save(delivery, version)]))

        uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _erased_payload(delivery: Delivery, subject: str, name: str | None) -> dict[str, Any]:
    if delivery.kind == "alert":
        return {**delivery.payload, "title": ERASED_TEXT, "text": ERASED_TEXT}
    payload = dict(delivery.payload)  # an event envelope for the ERP or finance
    if isinstance(payload.get("data"), dict):
        payload["data"], _ = erase_event_data(subject, payload["data"], name)
    return payload


def _erased_event(person: Person, reason: Reason, now: datetime, report: Erasure) -> Event:
    """Recorded with a hash of the identifier, never the identifier."""
    data = {
        "identifier": person.kind,
        "identifier_sha256": person.digest,
        "reason": reason,
        **report.body()["erased"],
    }
    return Event("PersonErased", person.subject, now, data)


__all__ = ["Erasure", "erase_lead_records", "erase_person", "export_person"]
