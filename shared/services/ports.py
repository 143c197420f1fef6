"""The ports services need. Adapters (DynamoDB, in-memory fakes for tests) implement them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.domain.events import Event
from shared.domain.leads import Lead
from shared.domain.routing import RoutingIndex
from shared.domain.rules import RuleSet

Clock = Callable[[], datetime]


class KeyTaken(Exception):
    """Another lead already owns one of the identity keys (a concurrent post won)."""


class StaleLead(Exception):
    """The lead changed since it was read (optimistic lock lost)."""


class OwnerFull(Exception):
    """The chosen owner reached capacity between choosing and committing."""

    def __init__(self, owner_id: str) -> None:
        super().__init__(owner_id)
        self.owner_id = owner_id


@dataclass(frozen=True)
class Assignment:
    owner_id: str
    team: str
    capacity: int | None


@dataclass
class LeadChange:
    """One atomic write: the lead, its identity keys, an owner's load, and the events."""

    lead: Lead
    expected_version: int | None  # None: the lead must not exist yet
    claim_keys: list[str] = field(default_factory=list)
    assign: Assignment | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class Lookup:
    """What one read found: which lead owns each taken key, and the candidate leads that exist."""

    owners: dict[str, str]
    leads: dict[str, Lead]


class LeadStore(Protocol):
    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup: ...
    def find_by_keys(self, keys: list[str]) -> dict[str, str]: ...  # key -> lead_id, for keys taken
    def get(self, lead_id: str) -> Lead | None: ...
    def commit(self, change: LeadChange) -> None: ...
    def next_turn(self, team: str, counter_key: str) -> tuple[int, dict[str, int]]: ...


class EventLog(Protocol):
    def record(self, events: list[Event]) -> None: ...


@dataclass(frozen=True)
class ActiveRules:
    rules: RuleSet
    index: RoutingIndex

    @property
    def version(self) -> str:
        return self.rules.version


class RulesProvider(Protocol):
    def current(self) -> ActiveRules: ...
