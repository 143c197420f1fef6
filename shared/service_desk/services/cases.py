"""Support cases (CONTRACT §2.5): open a case from the contact center, record what happens on
it, read it with its clocks. Each commits one Change through the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from shared.composition.domain.privacy import contact_key
from shared.customers.services import renewal_holds
from shared.customers.services.health import ENGAGING_CASE_EVENTS, case_signals
from shared.kernel.domain.errors import CaseNotFound, Conflict, ValidationFailed
from shared.kernel.domain.events import Event, EventType, iso, parse_iso
from shared.kernel.services.ports import Assignment, Change, Clock, Release
from shared.leads.domain.routing import case_rule, choose_owner, pool_for
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Source
from shared.sales.services.ports import SalesWork
from shared.service_desk.domain.case_clocks import CLOCK_NAMES, SLA_KIND_OF, ClockSpec
from shared.service_desk.domain.case_intake import CaseIntake, case_event_entry
from shared.service_desk.domain.cases import Case, case_id_for, dedupe_key, is_case_id
from shared.service_desk.services.case_clocks import met_events, sync_timers
from shared.time.domain.sla import first_matching

if TYPE_CHECKING:  # the commands are read at the edge (validation.read); a service only reads their fields
    from shared.service_desk.messages.cases import CaseEventRecording, CaseOpening

BUSY = "this case is being changed by many requests at once; please retry"


@dataclass(frozen=True)
class OpenResult:
    status: Literal["created", "existing"]
    case: Case
    body: dict[str, Any]


def open_case(command: CaseOpening, source: Source, active: ActiveRules, uow: SalesWork, clock: Clock) -> OpenResult:
    """A new case, routed and with its clocks running; the same external id again is that case."""
    intake = _intake(command, clock())
    case_id = case_id_for(source.source, intake.external_id)

    def attempt() -> OpenResult:
        now = clock()
        existing = uow.cases.get(case_id)
        if existing is not None:  # a repeat, or a concurrent post that won: the same case
            return OpenResult("existing", existing, existing.summary(active.calendars, now))
        case = _new_case(case_id, intake, source, active, now)
        events: list[Event] = []
        load = route_case(case, intake, active, uow, now, events)
        case.sla = _clock_specs(case.priority, active)
        timers, _ = sync_timers(case, active, now)
        body = case.summary(active.calendars, now)
        opened = {
            "source": source.source,
            "external_id": case.external_id,
            "channel": case.channel,
            "opened_at": case.opened_at,
            "routing_rule": case.decision.get("routing_rule"),
            **{k: v for k, v in body.items() if k != "sla"},
            "sla": {name: clock["due_at"] for name, clock in body["sla"].items()},
        }
        events.insert(0, _event("CaseOpened", case, now, active, opened))
        key = dedupe_key(source.source, case.external_id)
        change = Change.of(case, None, claims=[key], load=load, events=events, timers=timers)
        # the account's open cases and engagement (its health), in the same transaction; a P1 case
        # on an account whose renewal is under way holds it (RenewalHeld)
        change.merge(case_signals(uow, case, case.opened_at, active, now))
        uow.commit(change.merge(renewal_holds.case_change(case, None, case.replay().status, uow, active, now)))
        return OpenResult("created", case, body)

    # a lost race (the same case posted twice at once, the owner filled up) is read again
    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _new_case(case_id: str, intake: CaseIntake, source: Source, active: ActiveRules, now: datetime) -> Case:
    return Case(
        case_id=case_id,
        source=source.source,
        external_id=intake.external_id,
        opened_at=iso(intake.opened_at),
        priority=intake.priority,
        title=intake.title,
        channel=intake.channel,
        account_id=intake.account_id,
        account=intake.account,
        contact=intake.contact,
        contact_key=contact_key(intake.contact, intake.country or active.rules.settings.default_country),
        rules_version=active.version,
        created_at=iso(now),
        updated_at=iso(now),
    )


def _clock_specs(priority: str, active: ActiveRules) -> dict[str, dict[str, Any]]:
    """The first SLA row per clock for the case's priority; none → that clock does not run."""
    specs = {}
    for name in CLOCK_NAMES:
        rule = first_matching(active.sla, SLA_KIND_OF[name], priority=priority)
        if rule is not None:
            specs[name] = ClockSpec.of(name, rule, active.version).to_dict()
    return specs


def route_case(
    case: Case, intake: CaseIntake, active: ActiveRules, uow: SalesWork, now: datetime, events: list[Event]
) -> Assignment | None:
    """As a lead: the first case Routing row, its pool, weighted round robin below capacity."""
    rule = case_rule(active.rules.routing, case.priority, case.channel, intake.country)
    if rule is None:
        case.decision = {
            "routing_rule": None,
            "candidates": [],
            "chosen": None,
            "reason": "no case Routing row matched",
        }
        return None
    pool = pool_for(rule, active.rules)
    # the round-robin turn and the loads live in the team's routing state, shared with leads
    owner_ids = [o.owner_id for o in pool.owners]
    counter, loads = uow.leads.next_turn(pool.team, pool.counter_key, owner_ids) if pool.owners else (0, {})
    chosen = choose_owner(pool, counter, loads)
    case.decision = {
        "routing_rule": rule.rule_id,
        "routing_note": rule.note,
        "team": rule.team,
        "candidates": [{"owner_id": o.owner_id, "load": loads.get(o.owner_id, 0)} for o in pool.owners],
        "chosen": chosen,
        "turn": counter,
    }
    if chosen is None:
        case.queue = rule.team
        case.decision["reason"] = "everyone in the pool is inactive or at capacity"
        return None
    case.owner_id, case.team = chosen, rule.team
    case.decision["reason"] = f"{rule.rule_id} matched; weighted round robin turn {counter}"
    return Assignment(chosen, rule.team, active.rules.owners[chosen].capacity)


def _intake(command: CaseOpening, now: datetime) -> CaseIntake:
    contact = command.contact.model_dump(exclude_none=True) if command.contact else {}
    return CaseIntake(
        command.external_id,
        command.priority,
        command.opened_at or now,
        command.account.stable_id,
        command.account.as_sent,
        command.subject,
        command.channel,
        {k: contact[k] for k in ("name", "phone", "email") if k in contact},
        command.account.country,
    )


def record_case_event(
    case_id: str, command: CaseEventRecording, active: ActiveRules, uow: SalesWork, clock: Clock
) -> dict[str, Any]:
    entry = case_event_entry(command.type, command.at or clock(), command.by, command.note, command.score)

    def attempt() -> dict[str, Any]:
        case = _get(case_id, uow)
        if parse_iso(entry["at"]) < parse_iso(case.opened_at):
            raise ValidationFailed(
                "1 field(s) are not valid", fields={"at": f"is before the case opened ({case.opened_at})"}
            )
        version, now = case.version, clock()
        status_before, clocks_before = case.replay().status, case.clocks(active.calendars, now)
        stored = case.record({**entry, "recorded_at": iso(now)}, active.calendars)
        case.updated_at = iso(now)
        played = case.replay()
        events = [*_status_events(case, stored, played.first_contact_resolution, now, active)]
        events += met_events(case, clocks_before, case.clocks(active.calendars, now), now, active)
        timers, cancel = sync_timers(case, active, now)
        change = Change.of(case, version, events=events, timers=timers, cancel=cancel)
        _move_load(case, status_before, played.status, change)
        engaged = stored["at"] if stored["type"] in ENGAGING_CASE_EVENTS else None
        change.merge(case_signals(uow, case, engaged, active, now))
        # the last open P1 case of the account resolved: its held renewals are released (a
        # reopened one holds them again), in this same transaction
        uow.commit(change.merge(renewal_holds.case_change(case, status_before, played.status, uow, active, now)))
        return {"event": {k: v for k, v in stored.items() if k != "seq"}, **case.summary(active.calendars, now)}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _move_load(case: Case, before: str, after: str, change: Change) -> None:
    """A resolved case is no longer open work: its owner's load is released; reopened, the owner
    takes it back (whatever their capacity: it is theirs already). Decided on the status before
    and after the replay, so a late event moves the load only when the status really changed."""
    if case.owner_id is None or (before == "resolved") == (after == "resolved"):
        return
    if after == "resolved":
        change.releases.append(Release(case.owner_id))
    else:
        change.loads.append(Assignment(case.owner_id, case.team or "", None))


def _status_events(case: Case, entry: dict[str, Any], fcr: bool, now: datetime, active: ActiveRules) -> list[Event]:
    kinds: dict[str, EventType] = {"resolved": "CaseResolved", "reopened": "CaseReopened"}
    kind = kinds.get(str(entry["type"]))
    if kind is None:
        return []
    data = {
        "case_id": case.case_id,
        "at": entry["at"],
        "by": entry["by"],
        "owner_id": case.owner_id,
        "priority": case.priority,
        "account_id": case.account_id,
        "first_contact_resolution": fcr,
    }
    return [_event(kind, case, now, active, data)]


def get_case(case_id: str, active: ActiveRules, uow: SalesWork, clock: Clock) -> dict[str, Any]:
    return _get(case_id, uow).view(active.calendars, clock())


def _get(case_id: str, uow: SalesWork) -> Case:
    case = uow.cases.get(case_id) if is_case_id(case_id) else None
    if case is None:
        raise CaseNotFound(f"no case with id {case_id[:60]!r}")
    return case


def _event(kind: EventType, case: Case, now: datetime, active: ActiveRules, data: dict[str, Any]) -> Event:
    return Event(type=kind, subject=case.subject, time=now, data=data, rules_version=active.version)


__all__ = ["OpenResult", "get_case", "open_case", "record_case_event"]
