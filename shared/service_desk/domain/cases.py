"""Support cases (CONTRACT §2.5): the Case aggregate, its history and its state machine.

The history is the truth. Everything else — the status, whether the case was resolved at
first contact (FCR), its CSAT, its clocks — is replayed from the history in ``at`` order
(ties in the order recorded), so an event that arrives late changes the answer exactly as if
it had arrived in time.

States: ``open`` → ``waiting_on_customer`` ↔ ``open`` → ``resolved`` → ``reopened`` → …
A new event is checked against the state *at its own time*: the replay of the events before
it. One that makes no sense there is refused (:class:`InvalidTransition`, 409). Events
recorded earlier are facts and are kept; if a late event makes one of them meaningless, the
replay passes over it (it changes nothing) rather than rewriting what people reported.

A case is one DynamoDB item, so its history is bounded: past KEEP_EVENTS entries or
KEEP_BYTES stored, the oldest (in ``at`` order) are summarised in ``earlier`` — counts per
type, first and last ``at``, the replayed state and what each clock had counted by then
(case_clocks.Carry). The replay goes on from there; an event dated before the summarised
part can no longer be placed and is refused (409).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from shared.kernel.domain.documents import Document
from shared.kernel.domain.errors import InvalidTransition
from shared.kernel.domain.events import iso, parse_iso
from shared.kernel.domain.history import fold, recorded
from shared.kernel.domain.ids import derived_id
from shared.kernel.domain.stored_json import stored_size
from shared.service_desk.domain.case_clocks import (
    FIRST_RESPONSE,
    RESOLUTION,
    Carry,
    ClockSpec,
    ClockView,
    Timeline,
    carry_at,
    compute_clock,
    first_response_timeline,
    resolution_timeline,
)
from shared.time.domain.calendars import Calendar

CASE_EVENT_TYPES = (
    "first_response",
    "agent_reply",
    "waiting_on_customer",
    "customer_replied",
    "resolved",
    "reopened",
    "csat",
    "note",
)
CaseStatus = Literal["open", "waiting_on_customer", "resolved", "reopened"]
CASE_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)
AGENT_CONTACTS = ("first_response", "agent_reply")
WORKING: tuple[CaseStatus, ...] = ("open", "reopened", "waiting_on_customer")
# the states in which each event makes sense
ALLOWED: dict[str, tuple[CaseStatus, ...]] = {
    "first_response": WORKING,
    "agent_reply": WORKING,
    "waiting_on_customer": ("open", "reopened"),
    "customer_replied": ("waiting_on_customer",),
    "resolved": WORKING,
    "reopened": ("resolved",),
    "csat": ("resolved", "reopened"),
    "note": ("open", "reopened", "waiting_on_customer", "resolved"),
}
MOVES_TO: dict[str, CaseStatus] = {
    "waiting_on_customer": "waiting_on_customer",
    "customer_replied": "open",
    "resolved": "resolved",
    "reopened": "reopened",
}

_CASE_ID = re.compile(r"^cs_[0-9a-f]{20}$")
# a case is one DynamoDB item (400 KB at most, as stored: shared/kernel/domain/stored_json.py)
MAX_CASE_BYTES = 300_000
KEEP_EVENTS = 100  # history entries kept whole ...
KEEP_BYTES = 64_000  # ... within this many stored bytes (each write costs 1 WRU a KB); older ones are summarised


def case_id_for(source: str, external_id: str) -> str:
    """The same external id from the same source is the same case, so its id follows from them."""
    return derived_id("cs_", f"{source}#{external_id}")


def is_case_id(text: str) -> bool:
    return bool(_CASE_ID.match(text))


def dedupe_key(source: str, external_id: str) -> str:
    return f"case#{source}#{external_id}"


@dataclass
class Replay:
    """What the history says, replayed in ``at`` order."""

    status: CaseStatus = "open"
    responded: bool = False
    contacts: int = 0
    reopened: int = 0
    csat: int | None = None
    applied: list[tuple[str, datetime]] = field(default_factory=list)  # events that changed something
    resolved_at: str | None = None
    csat_at: str | None = None  # when the CSAT that counts was given

    STATE = ("status", "responded", "contacts", "reopened", "csat", "resolved_at", "csat_at")

    def state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.STATE}

    @classmethod
    def resume(cls, state: Mapping[str, Any] | None) -> Replay:
        """A replay that goes on from a summarised state (nothing ``applied`` yet)."""
        return cls(**{name: state[name] for name in cls.STATE if name in state}) if state else cls()

    def allows(self, kind: str) -> bool:
        if kind == "first_response" and self.responded:
            return False
        return self.status in ALLOWED[kind]

    def apply(self, entry: Mapping[str, Any]) -> bool:
        """Apply one event; False (and nothing changes) when it makes no sense here."""
        kind = str(entry["type"])
        if not self.allows(kind):
            return False
        if kind in AGENT_CONTACTS:
            self.contacts += 1
            self.responded = self.responded or kind == "first_response"
        elif kind == "reopened":
            self.reopened += 1
        elif kind == "csat":
            self.csat, self.csat_at = int(entry["score"]), str(entry["at"])
        self.status = MOVES_TO.get(kind, self.status)
        if kind in ("resolved", "reopened"):
            self.resolved_at = str(entry["at"]) if kind == "resolved" else None
        self.applied.append((kind, parse_iso(str(entry["at"]))))
        return True

    @property
    def first_contact_resolution(self) -> bool:
        """Resolved with exactly one agent contact and never reopened."""
        return self.status == "resolved" and self.contacts == 1 and self.reopened == 0


def ordered(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(history, key=lambda e: (parse_iso(str(e["at"])), int(e["seq"])))


def replay(history: list[dict[str, Any]], start: Mapping[str, Any] | None = None) -> Replay:
    result = Replay.resume(start)
    for entry in ordered(history):
        result.apply(entry)
    return result


@dataclass
class Case(Document):
    case_id: str
    source: str
    external_id: str
    opened_at: str
    priority: str  # P1..P4
    title: str | None = None  # the contact center's "subject" (subject is the event subject here)
    channel: str | None = None
    account_id: str | None = None
    account: dict[str, Any] = field(default_factory=dict)  # as sent
    contact: dict[str, Any] = field(default_factory=dict)
    # the key the contact's person is found by when erased (shared/composition/domain/privacy.py contact_key)
    contact_key: str | None = None
    owner_id: str | None = None
    team: str | None = None
    queue: str | None = None  # nobody could take it: the team whose queue it waits in
    decision: dict[str, Any] = field(default_factory=dict)  # routing trace
    sla: dict[str, dict[str, Any]] = field(default_factory=dict)  # clock name -> ClockSpec dict
    history: list[dict[str, Any]] = field(default_factory=list)  # the newest entries (see KEEP_EVENTS)
    earlier: dict[str, Any] | None = None  # the summary of the older ones
    alerted: list[str] = field(default_factory=list)  # SLA alerts already told (PlannedAlert.key)
    timers: list[str] = field(default_factory=list)  # pending timer ids
    rules_version: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    version: int = 0

    @property
    def subject(self) -> str:
        return f"case/{self.case_id}"

    # ------------------------------------------------------------ history

    def replay(self) -> Replay:
        return replay(self.history, self._earlier("state"))

    def state_at(self, at: str) -> Replay:
        """The replay of the events up to ``at`` (a new event at the same instant comes after)."""
        moment = parse_iso(at)
        return replay([e for e in self.history if parse_iso(str(e["at"])) <= moment], self._earlier("state"))

    def _earlier(self, name: str) -> Any:
        return (self.earlier or {}).get(name)

    def record(self, entry: dict[str, Any], calendars: Mapping[str, Calendar] | None = None) -> dict[str, Any]:
        """Add an event to the history, if it makes sense at its time (else 409). With the
        calendars, the oldest entries past KEEP_EVENTS / KEEP_BYTES are summarised; without,
        a case too big for its item refuses the event (409)."""
        summarised_to = self._earlier("last_at")
        if summarised_to is not None and parse_iso(str(entry["at"])) < parse_iso(summarised_to):
            raise InvalidTransition(
                f"cannot record an event at {entry['at']}: the case's history before {summarised_to} is summarised",
                fields={"at": f"must not be before {summarised_to}"},
            )
        before = self.state_at(str(entry["at"]))
        if not before.allows(str(entry["type"])):
            again = before.responded and entry["type"] == "first_response"
            why = " (the first response is already recorded)" if again else ""
            raise InvalidTransition(
                f"cannot record {entry['type']} on a case that is {before.status} at {entry['at']}{why}",
                fields={"type": f"not allowed while the case is {before.status}{why}"},
            )
        stored = {**entry, "seq": recorded(self.history, self.earlier) + 1}
        history, earlier = self.history, self.earlier
        self.history = [*history, stored]
        if calendars is not None:
            self.summarise(calendars)
        if stored_size(self.to_dict()) > MAX_CASE_BYTES:
            self.history, self.earlier = history, earlier
            raise InvalidTransition(
                f"the case is full ({len(history)} events kept); open a follow-up case",
                fields={"type": "the case cannot take more events"},
            )
        return stored

    def summarise(self, calendars: Mapping[str, Calendar]) -> None:
        """Fold the oldest entries into ``earlier`` until KEEP_EVENTS / KEEP_BYTES hold."""
        entries = ordered(self.history)
        sizes = [stored_size(e) + 1 for e in entries]
        if len(entries) <= KEEP_EVENTS and sum(sizes) <= KEEP_BYTES:
            return
        # past a limit, fold down to three quarters of both, so folding is once in many events
        cut, kept_bytes = 0, sum(sizes)
        while cut < len(entries) - 1 and (
            len(entries) - cut > KEEP_EVENTS * 3 // 4 or kept_bytes > KEEP_BYTES * 3 // 4
        ):
            kept_bytes -= sizes[cut]
            cut += 1
        folded, horizon = entries[:cut], parse_iso(str(entries[cut - 1]["at"]))
        played = replay(folded, self._earlier("state"))
        lines = self._timelines(played.applied)
        carries = {
            name: carry_at(spec, lines[name], calendars, horizon).to_dict()
            for name, spec in self.clock_specs().items()
            if name in lines
        }
        summary = fold(
            {k: v for k, v in (self.earlier or {}).items() if k in ("entries", "by_type", "first_at", "last_at")},
            folded,
        )
        resolution = lines[RESOLUTION]
        self.earlier = {
            **(summary or {}),
            "state": played.state(),
            "first_response_at": _iso(lines[FIRST_RESPONSE].stopped),
            "paused_since": _iso(resolution.paused_since),
            "stopped": _iso(resolution.stopped),
            "clocks": carries,
        }
        self.history = entries[cut:]

    def _timelines(self, applied: list[tuple[str, datetime]]) -> dict[str, Timeline]:
        """Each clock's timeline: where the summarised part left it, then ``applied``."""
        opened, carries = parse_iso(self.opened_at), self._earlier("clocks") or {}

        def carry(name: str) -> Carry | None:
            return Carry.from_dict(carries[name]) if name in carries else None

        return {
            FIRST_RESPONSE: first_response_timeline(
                opened, applied, _parsed(self._earlier("first_response_at")), carry(FIRST_RESPONSE)
            ),
            RESOLUTION: resolution_timeline(
                opened,
                applied,
                _parsed(self._earlier("paused_since")),
                _parsed(self._earlier("stopped")),
                carry(RESOLUTION),
            ),
        }

    # ------------------------------------------------------------ clocks

    def clock_specs(self) -> dict[str, ClockSpec]:
        return {name: ClockSpec.from_dict(spec) for name, spec in self.sla.items()}

    def clocks(self, calendars: Mapping[str, Calendar], now: datetime) -> dict[str, ClockView]:
        timelines = self._timelines(self.replay().applied)
        return {
            name: compute_clock(spec, timelines[name], calendars, now)
            for name, spec in self.clock_specs().items()
            if name in timelines
        }

    # ------------------------------------------------------------ views

    def summary(self, calendars: Mapping[str, Calendar], now: datetime) -> dict[str, Any]:
        played = self.replay()
        return {
            "case_id": self.case_id,
            "status": played.status,
            "priority": self.priority,
            "account_id": self.account_id,
            "owner_id": self.owner_id,
            "team": self.team,
            "sla": {name: view.to_dict() for name, view in self.clocks(calendars, now).items()},
        }

    def view(self, calendars: Mapping[str, Calendar], now: datetime) -> dict[str, Any]:
        played = self.replay()
        return {
            **self.summary(calendars, now),
            "external_id": self.external_id,
            "source": self.source,
            "subject": self.title,
            "channel": self.channel,
            "account": self.account,
            "contact": self.contact,
            "queue": self.queue,
            "opened_at": self.opened_at,
            "resolved_at": played.resolved_at,
            "agent_contacts": played.contacts,
            "reopened_count": played.reopened,
            "first_contact_resolution": played.first_contact_resolution,
            "csat": played.csat,
            "history": [{k: v for k, v in e.items() if k != "seq"} for e in ordered(self.history)],
            "earlier_history": _summary_view(self.earlier),
            "decision": self.decision,
            "rules_version": self.rules_version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else iso(at)


def _parsed(at: str | None) -> datetime | None:
    return None if at is None else parse_iso(at)


def _summary_view(earlier: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What ``GET /cases/{id}`` shows of the summarised events: how many, of which type, when."""
    if not earlier:
        return None
    return {k: earlier[k] for k in ("entries", "by_type", "first_at", "last_at")}
