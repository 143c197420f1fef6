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
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.calendars import Calendar
from shared.domain.case_clocks import (
    FIRST_RESPONSE,
    RESOLUTION,
    ClockSpec,
    ClockView,
    compute_clock,
    first_response_timeline,
    resolution_timeline,
)
from shared.domain.documents import Document
from shared.domain.errors import InvalidTransition
from shared.domain.events import parse_iso

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
AGENT_CONTACTS = ("first_response", "agent_reply")
WORKING = ("open", "reopened", "waiting_on_customer")
# the states in which each event makes sense
ALLOWED: dict[str, tuple[str, ...]] = {
    "first_response": WORKING,
    "agent_reply": WORKING,
    "waiting_on_customer": ("open", "reopened"),
    "customer_replied": ("waiting_on_customer",),
    "resolved": WORKING,
    "reopened": ("resolved",),
    "csat": ("resolved", "reopened"),
    "note": ("open", "reopened", "waiting_on_customer", "resolved"),
}
MOVES_TO = {
    "waiting_on_customer": "waiting_on_customer",
    "customer_replied": "open",
    "resolved": "resolved",
    "reopened": "reopened",
}

_CASE_ID = re.compile(r"^cs_[0-9a-f]{20}$")
# a case is one DynamoDB item (400 KB at most) and its whole history is needed to replay it
MAX_HISTORY_BYTES = 300_000


def case_id_for(source: str, external_id: str) -> str:
    """The same external id from the same source is the same case, so its id follows from them."""
    return f"cs_{hashlib.sha256(f'{source}#{external_id}'.encode()).hexdigest()[:20]}"


def is_case_id(text: str) -> bool:
    return bool(_CASE_ID.match(text))


def dedupe_key(source: str, external_id: str) -> str:
    return f"case#{source}#{external_id}"


@dataclass
class Replay:
    """What the history says, replayed in ``at`` order."""

    status: str = "open"
    responded: bool = False
    contacts: int = 0
    reopened: int = 0
    csat: int | None = None
    applied: list[tuple[str, datetime]] = field(default_factory=list)  # events that changed something
    resolved_at: str | None = None

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
            self.csat = int(entry["score"])
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


def replay(history: list[dict[str, Any]]) -> Replay:
    result = Replay()
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
    owner_id: str | None = None
    team: str | None = None
    queue: str | None = None  # nobody could take it: the team whose queue it waits in
    decision: dict[str, Any] = field(default_factory=dict)  # routing trace
    sla: dict[str, dict[str, Any]] = field(default_factory=dict)  # clock name -> ClockSpec dict
    history: list[dict[str, Any]] = field(default_factory=list)
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
        return replay(self.history)

    def state_at(self, at: str) -> Replay:
        """The replay of the events up to ``at`` (a new event at the same instant comes after)."""
        moment = parse_iso(at)
        return replay([e for e in self.history if parse_iso(str(e["at"])) <= moment])

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Add an event to the history, if it makes sense at its time (else 409)."""
        before = self.state_at(str(entry["at"]))
        if not before.allows(str(entry["type"])):
            again = before.responded and entry["type"] == "first_response"
            why = " (the first response is already recorded)" if again else ""
            raise InvalidTransition(
                f"cannot record {entry['type']} on a case that is {before.status} at {entry['at']}{why}",
                fields={"type": f"not allowed while the case is {before.status}{why}"},
            )
        stored = {**entry, "seq": len(self.history) + 1}
        if len(json.dumps([*self.history, stored], ensure_ascii=False).encode()) > MAX_HISTORY_BYTES:
            raise InvalidTransition(
                f"the case's history is full ({len(self.history)} events); open a follow-up case",
                fields={"type": "the case cannot take more events"},
            )
        self.history.append(stored)
        return stored

    # ------------------------------------------------------------ clocks

    def clock_specs(self) -> dict[str, ClockSpec]:
        return {name: ClockSpec.from_dict(spec) for name, spec in self.sla.items()}

    def clocks(self, calendars: Mapping[str, Calendar], now: datetime) -> dict[str, ClockView]:
        played = self.replay()
        opened = parse_iso(self.opened_at)
        timelines = {
            FIRST_RESPONSE: first_response_timeline(opened, played.applied),
            RESOLUTION: resolution_timeline(opened, played.applied),
        }
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
            "decision": self.decision,
            "rules_version": self.rules_version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
