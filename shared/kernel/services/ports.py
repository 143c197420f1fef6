"""The ports services need. Adapters (DynamoDB, in-memory fakes for tests) implement them.

Every use case commits through one :class:`UnitOfWork`: it loads what it needs through the
unit of work's repositories, calls the domain, and hands back one :class:`Change` — the
aggregates to save (each with the version it read), unique keys to claim, owner loads to take
or release, items to delete and the events to record. The change is applied atomically or not at all; a
lost race raises a :class:`ConcurrentChange` that the unit of work's retry policy retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar

from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract
from shared.fulfilment.domain.orders import Order
from shared.kernel.domain.deliveries import Answer, Delivery
from shared.kernel.domain.events import Event
from shared.kernel.domain.links import LinkClaims
from shared.kernel.services.list_types import ListCondition, Listing, ListPage, ListPosition
from shared.leads.domain.leads import Lead
from shared.leads.domain.routing import RoutingIndex
from shared.rules.domain.rules import RuleSet
from shared.sales.domain.discounts import DiscountRule, rules_from_content
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.pricing import Product, products_from_content
from shared.sales.domain.quotes import Quote
from shared.sales.domain.stages import Funnel
from shared.service_desk.domain.cases import Case
from shared.time.domain.calendars import Calendar, calendars_from_content
from shared.time.domain.sla import SlaRule
from shared.time.domain.timers import Timer

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
        timers: list[Timer] | None = None,
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


# ------------------------------------------------------------------ leads


@dataclass
class Lookup:
    """What one read found: which lead owns each taken key, and the candidate leads that exist."""

    owners: dict[str, str]
    leads: dict[str, Lead]


@dataclass(frozen=True)
class LeadFilter:
    """Which recent leads a listing wants; None matches any."""

    owner_id: str | None = None
    team: str | None = None
    grade: str | None = None

    def matches(self, lead: Lead) -> bool:
        return all(
            wanted is None or wanted == actual
            for wanted, actual in ((self.owner_id, lead.owner_id), (self.team, lead.team), (self.grade, lead.grade))
        )


@dataclass(frozen=True)
class LeadPosition:
    """Where a page of recent leads stopped: the last lead listed (newest first), by its place in
    the capture-day index; the next page starts just after it."""

    captured_at: str
    lead_id: str

    @property
    def day(self) -> str:
        return self.captured_at[:10]


@dataclass
class LeadPage:
    leads: list[Lead]
    after: LeadPosition | None  # None: nothing more in the window


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


class LeadRepository(Protocol):
    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup: ...
    def find_by_keys(self, keys: list[str]) -> dict[str, str]: ...  # key -> lead_id, for keys taken
    def get(self, lead_id: str) -> Lead | None: ...
    def next_turn(self, team: str, counter_key: str, owner_ids: Sequence[str]) -> tuple[int, dict[str, int]]:
        """Take the next round-robin turn of a pool; also the open load of each of ``owner_ids``."""
        ...

    def captured_between(self, start: datetime, end: datetime) -> Iterator[Lead]: ...
    def page(self, limit: int, after: str | None = None) -> tuple[list[Lead], str | None]:
        """Up to ``limit`` leads after the lead id ``after`` (None: from the start), and where the next
        page starts (None: that was the last). For sweeps that visit every lead (retention-sweep)."""
        ...

    def recent(
        self, since: datetime, until: datetime, filters: LeadFilter, limit: int, after: LeadPosition | None = None
    ) -> LeadPage:
        """Leads captured in [since, until] that match, newest first, at most ``limit``, starting
        after ``after``; read day by day through the capture-day index, never a table scan."""
        ...


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


class TimerRepository(Protocol):
    def due(self, now: datetime, limit: int) -> list[Timer]: ...  # due at or before now, soonest first
    def pending(self, about: str | None = None) -> list[Timer]: ...  # soonest first, not set aside
    def failed(self) -> list[Timer]: ...  # set aside after failing, oldest due first
    def get(self, timer_id: str) -> Timer | None: ...


class DeliveryRepository(Protocol):
    def get(self, delivery_id: str) -> Delivery | None: ...  # consistent: what is stored now
    def listing(self, status: str | None = None, kind: str | None = None) -> list[Delivery]: ...  # oldest first
    def about(self, subject: str) -> list[Delivery]: ...  # the deliveries about one record, oldest first


class Courier(Protocol):
    """Sends deliveries: email through SES, chat robots, the ERP and finance by HTTP."""

    def blocked(self, delivery: Delivery) -> str | None: ...  # why it cannot go yet (no URL), else None
    def send(self, delivery: Delivery, now: datetime) -> Answer: ...
    def dead_letter(self, delivery: Delivery) -> None: ...  # onto the dead-letter queue (an alarm)


class ActionLinkKeys(Protocol):
    """An action link's single use (CONTRACT §12): claim it once, give it back if nothing was done."""

    def claim(self, claims: LinkClaims) -> bool: ...  # True: first use, now claimed
    def used(self, claims: LinkClaims) -> bool: ...  # a read
    def release(self, claims: LinkClaims) -> None: ...


class CaseRepository(Protocol):
    def get(self, case_id: str) -> Case | None: ...  # a consistent read

    def open_of_account(self, account_id: str, priority: str) -> list[str]:
        """Ids of the account's cases of ``priority`` not resolved, as the cases' ``by_account``
        index says (one Query of that account's slice; eventually consistent: confirm with get)."""
        ...


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...  # a consistent read
    def order_of_invoice(self, invoice_id: str) -> str | None: ...  # the order id that holds an invoice


class ContractRepository(Protocol):
    def get(self, contract_id: str) -> Contract | None: ...  # a consistent read
    def of_account(self, account_id: str) -> list[Contract]: ...  # soonest end first
    def of_quote(self, quote_id: str) -> str | None: ...  # the contract id that signed the quote


@dataclass(frozen=True)
class SegmentPosition:
    """Where a page of one segment's accounts stopped (newest in the segment first)."""

    segment_since: str
    account_id: str


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...  # a consistent read

    def in_segment(
        self, segment: str, limit: int, after: SegmentPosition | None = None
    ) -> tuple[list[Account], SegmentPosition | None]:
        """Up to ``limit`` accounts now in ``segment``, newest in it first, after ``after``; and
        where the next page starts (None: no more). One Query of the ``by_segment`` index and one
        consistent batch read, never a scan."""
        ...

    def count_in_segment(self, segment: str) -> int:
        """How many accounts the ``by_segment`` index holds for ``segment`` (a count Query)."""
        ...

    def page(self, limit: int, after: str | None = None) -> tuple[list[Account], str | None]:
        """Up to ``limit`` accounts after the account id ``after`` (None: from the start), and where
        the next page starts (None: that was the last). For sweeps that visit every account."""
        ...


class OpportunityRepository(Protocol):
    def get(self, opportunity_id: str) -> Opportunity | None: ...  # a consistent read


class QuoteRepository(Protocol):
    def get(self, quote_id: str) -> Quote | None: ...  # a consistent read


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
    """Repositories to read through, the retry policy, and the one way to write."""

    @property
    def leads(self) -> LeadRepository: ...

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def contracts(self) -> ContractRepository: ...

    @property
    def opportunities(self) -> OpportunityRepository: ...

    @property
    def quotes(self) -> QuoteRepository: ...

    @property
    def timers(self) -> TimerRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def lists(self) -> ListRepository: ...

    def find(self, kind: type[T], ident: str) -> T | None: ...  # a plain kind's aggregate by id, consistent

    @property
    def retry(self) -> RetryPolicy: ...

    def commit(self, change: Change) -> None: ...


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class ActiveRules:
    """One rules version with what is derived from it once: the routing index, SLA rows, calendars."""

    rules: RuleSet
    index: RoutingIndex

    @property
    def version(self) -> str:
        return self.rules.version

    @cached_property
    def sla(self) -> tuple[SlaRule, ...]:
        rows = self.rules.content.get("SLA", [])
        return tuple(SlaRule.from_row(row, number) for number, row in enumerate(rows, 1))

    @cached_property
    def calendars(self) -> dict[str, Calendar]:
        return calendars_from_content(self.rules.content)

    @cached_property
    def funnel(self) -> Funnel:
        return Funnel.from_content(self.rules.content)

    @cached_property
    def products(self) -> dict[str, Product]:
        return products_from_content(self.rules.content)

    @cached_property
    def discounts(self) -> tuple[DiscountRule, ...]:
        return rules_from_content(self.rules.content)


class RulesProvider(Protocol):
    def current(self) -> ActiveRules: ...
