"""The ports every capability shares. Adapters (DynamoDB, in-memory fakes for tests) implement
them; each capability's own repositories, and the unit-of-work protocol its services take, are in
its ``services/ports.py`` (``shared/leads/services/ports.py``: ``LeadRepository``, ``LeadsWork``).

Every use case commits through one :class:`UnitOfWork`: it loads what it needs through the
unit of work's repositories, calls the domain, and hands back one :class:`Change` — the
aggregates to save (each with the version it read), unique keys to claim, owner loads to take
or release, items to delete and the events to record. The change is applied atomically or not at all; a
lost race raises a :class:`ConcurrentChange` that the unit of work's retry policy retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from shared.kernel.domain.events import Event
from shared.kernel.services.list_types import ListCondition, Listing, ListPage, ListPosition

Clock = Callable[[], datetime]
T = TypeVar("T")


# ------------------------------------------------------------------ lost races


class ConcurrentChange(Exception):
    """Another request changed what this one read; reading again and retrying will do."""


class KeyTaken(ConcurrentChange):
    """Another aggregate already owns one of the unique keys (a concurrent post won)."""


class StaleAggregate(ConcurrentChange):
    """The aggregate changed since it was read (optimistic lock lost), or appeared meanwhile."""


StaleLead = StaleAggregate  # the name the lead services grew up with


class OwnerFull(ConcurrentChange):
    """The chosen owner reached capacity between choosing and committing."""

    def __init__(self, owner_id: str) -> None:
        super().__init__(owner_id)
        self.owner_id = owner_id


class Throttled(Exception):
    """The store is shedding load (DynamoDB throttling): wait a little, with jitter, and try again.
    Not a lost race — re-reading fast would only add to the load."""


class StorageRefused(Exception):
    """The store refused a write as malformed (an item over 400 KB, a bad expression): a bug, so
    it is logged and never retried."""


# ------------------------------------------------------------------ one atomic change


class Aggregate(Protocol):
    """What the unit of work needs of an aggregate: who it is and the version it was read at."""

    version: int

    @property
    def subject(self) -> str: ...  # "lead/ld_…", "case/cs_…": also the subject of its events


@dataclass(frozen=True)
class Save:
    aggregate: Aggregate
    expected_version: int | None  # None: it must not exist yet


@dataclass(frozen=True)
class Claim:
    """A unique key (``email#…``, ``phone#…``) taken by an aggregate; fails if already taken."""

    key: str
    subject: str


@dataclass(frozen=True)
class Assignment:
    """One more open item (lead or case) on an owner, refused at ``capacity``. Load counts
    across teams: an owner in two teams has one capacity (CONTRACT §9)."""

    owner_id: str
    team: str  # the team the item was routed in (for the trace; the load is the owner's)
    capacity: int | None


@dataclass(frozen=True)
class Release:
    """One open item fewer on an owner: converted, disqualified, reassigned, resolved."""

    owner_id: str


@dataclass
class Change:
    """Everything one use case writes, committed in one transaction."""

    saves: list[Save] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    loads: list[Assignment] = field(default_factory=list)
    releases: list[Release] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # subjects of items to remove (cancel a timer)
    fired: list[str] = field(default_factory=list)  # timers this change fires: must still exist
    events: list[Event] = field(default_factory=list)
    unclaims: list[str] = field(default_factory=list)  # identity keys given up (an erased person)

    @classmethod
    def of(
        cls,
        aggregate: Aggregate,
        expected_version: int | None,
        *,
        claims: list[str] | None = None,
        load: Assignment | None = None,
        release: Release | None = None,
        events: list[Event] | None = None,
        timers: Sequence[Aggregate] | None = None,
        cancel: list[str] | None = None,
    ) -> Change:
        """The common case: one aggregate, its keys, at most one load taken and one released,
        timers set and cancelled (by id), its events."""
        return cls(
            saves=[Save(aggregate, expected_version), *(Save(t, None) for t in timers or [])],
            deletes=[f"timer/{timer_id}" for timer_id in cancel or []],
            claims=[Claim(k, aggregate.subject) for k in claims or []],
            loads=[load] if load is not None else [],
            releases=[release] if release is not None else [],
            events=list(events or []),
        )

    def merge(self, other: Change) -> Change:
        """Add another change's writes to this one (one transaction for both): the e-sign
        webhook adds the order and account of :func:`shared.fulfilment.services.orders.order_change`."""
        self.saves.extend(other.saves)
        self.claims.extend(other.claims)
        self.loads.extend(other.loads)
        self.releases.extend(other.releases)
        self.deletes.extend(other.deletes)
        self.fired.extend(other.fired)
        self.events.extend(other.events)
        self.unclaims.extend(other.unclaims)
        return self


@dataclass(frozen=True)
class SweepCursor:
    """A sweep's progress: the instant it runs as of, and the key to carry on after (None: done)."""

    at: datetime
    after: str | None


class SweepProgress(Protocol):
    def get(self, name: str) -> SweepCursor | None: ...
    def save(self, name: str, cursor: SweepCursor) -> None: ...


class RetryPolicy(Protocol):
    def run(self, attempt: Callable[[], T], give_up: Callable[[], Exception]) -> T: ...


# ------------------------------------------------------------------ audit (CONTRACT §12)


@dataclass(frozen=True)
class AuditPosition:
    """Where a page of the audit stopped: the last event listed (newest first)."""

    time: str
    event_id: str


@dataclass
class AuditPage:
    entries: list[dict[str, Any]]  # event envelopes with their actor, newest first
    after: AuditPosition | None  # None: nothing more in the window


class AuditLog(Protocol):
    """Who changed what (CONTRACT §12): one subject's events, or the audited changes of one actor
    or of everyone, newest first, between ``since`` and ``until`` (ISO times) — from indexes."""

    def page(
        self,
        subject: str | None,
        actor: str | None,
        since: str,
        until: str,
        limit: int,
        after: AuditPosition | None,
    ) -> AuditPage: ...


# ------------------------------------------------------------------ lists (CONTRACT §11)


class ListRepository(Protocol):
    def page(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        """The aggregates of ``listing.kind`` that meet every condition, newest first by list key,
        listed at or after ``since``, at most ``limit``, starting after ``after``; read from an
        index of the listed values, never a table scan. ``after`` is None when nothing follows."""
        ...

    def rows(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        """As :meth:`page`, each item its row (``listing.summary``) as stored with the index entry:
        a list page reads no whole aggregate."""
        ...


class UnitOfWork(Protocol):
    """What every use case commits through: the retry policy, the one way to write, plain reads
    by kind and the lists. Each capability's services take their own protocol extending this one
    with the repositories they read (``LeadsWork``, ``CasesWork``, ...); the adapters' units of
    work satisfy them all."""

    @property
    def lists(self) -> ListRepository: ...

    def find(self, kind: type[T], ident: str) -> T | None: ...  # a plain kind's aggregate by id, consistent

    @property
    def retry(self) -> RetryPolicy: ...

    def commit(self, change: Change) -> None: ...
