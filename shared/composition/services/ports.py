"""Composition's ports: a person's records outside the aggregates, an action link's single use,
and the unit of work with every capability's repositories (what the entry points hold)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from shared.kernel.domain.links import LinkClaims
from shared.sales.services.ports import SalesWork


@dataclass(frozen=True)
class RecordedEvent:
    """One recorded event as stored: its id, subject and data (the privacy routes rewrite data)."""

    event_id: str
    type: str
    subject: str
    time: str
    data: dict[str, Any]


class PersonalRecords(Protocol):
    """Where a person's data lies outside the aggregates (CONTRACT §12): recorded events by subject,
    cases by their contact's key — indexes, never a scan."""

    def events_of(self, subject: str) -> list[RecordedEvent]: ...  # oldest first
    def rewrite(self, event: RecordedEvent, data: dict[str, Any]) -> None: ...  # the event's data replaced
    def cases_of_contact(self, key: str) -> list[str]: ...  # case ids whose contact has this key


class ActionLinkKeys(Protocol):
    """An action link's single use (CONTRACT §12): claim it once, give it back if nothing was done."""

    def claim(self, claims: LinkClaims) -> bool: ...  # True: first use, now claimed
    def used(self, claims: LinkClaims) -> bool: ...  # a read
    def release(self, claims: LinkClaims) -> None: ...


class AllWork(SalesWork, Protocol):
    """The unit of work with every capability's repositories, as the entry points hold it: each
    capability's services take their own protocol, and this one satisfies them all (as the
    adapters' units of work do). Sales' reaches everything below it: orders, deliveries, accounts
    and contracts, cases, leads, timers."""
