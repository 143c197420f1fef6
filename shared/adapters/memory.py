"""An in-memory unit of work with the DynamoDB one's semantics, for unit tests."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from shared.composition.services.ports import RecordedEvent
from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract, quote_signed_key
from shared.customers.services.ports import SegmentPosition
from shared.deliveries.domain.deliveries import Delivery
from shared.fulfilment.domain.orders import Order
from shared.kernel.domain.events import Event, iso, subject_id
from shared.kernel.services.listing import ListCondition, Listing, ListPage, ListPosition, matches, stored_listing
from shared.kernel.services.ports import Change, KeyTaken, OwnerFull, RetryPolicy, StaleAggregate
from shared.kernel.services.retry import ConflictRetry, no_wait
from shared.leads.domain.leads import Lead
from shared.leads.services.ports import LeadFilter, LeadPage, LeadPosition, Lookup
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.quotes import Quote
from shared.service_desk.domain.cases import Case
from shared.time.domain.timers import Timer

A = TypeVar("A")


class MemoryUnitOfWork:
    """Aggregates by subject, unique keys, round-robin turns, owner loads and recorded events."""

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        self.aggregates: dict[str, Any] = {}
        self.keys: dict[str, str] = {}  # key -> subject
        self.turns: dict[str, int] = {}
        self.loads: dict[str, int] = {}  # owner -> open items, across teams
        self.events: list[Event] = []
        self._event_ids: set[str] = set()
        self._retry: RetryPolicy = retry or ConflictRetry(sleep=no_wait)
        self._lock = threading.RLock()

    @property
    def leads(self) -> MemoryUnitOfWork:
        return self  # this fake is its own lead repository

    @property
    def timers(self) -> _MemoryTimers:
        return _MemoryTimers(self)

    @property
    def deliveries(self) -> _MemoryDeliveries:
        return _MemoryDeliveries(self)

    @property
    def cases(self) -> _MemoryCases:
        return _MemoryCases(self)

    @property
    def orders(self) -> _MemoryOrders:
        return _MemoryOrders(self)

    @property
    def accounts(self) -> _MemoryAccounts:
        return _MemoryAccounts(self)

    @property
    def contracts(self) -> _MemoryContracts:
        return _MemoryContracts(self)

    @property
    def opportunities(self) -> _MemoryAggregates[Opportunity]:
        return _MemoryAggregates(self, "opportunity")

    @property
    def quotes(self) -> _MemoryAggregates[Quote]:
        return _MemoryAggregates(self, "quote")

    @property
    def lists(self) -> _MemoryLists:
        return _MemoryLists(self)

    def find(self, kind: type[A], ident: str) -> A | None:
        with self._lock:
            found = [a for s, a in self.aggregates.items() if isinstance(a, kind) and subject_id(s) == ident]
            return copy.deepcopy(found[0]) if found else None

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    @property
    def stored_leads(self) -> dict[str, Lead]:
        return {a.lead_id: a for s, a in self.aggregates.items() if s.startswith("lead/")}

    # ------------------------------------------------------------ LeadRepository

    def lookup(self, keys: list[str], lead_ids: list[str]) -> Lookup:
        with self._lock:
            owners = {k: subject_id(self.keys[k]) for k in keys if k in self.keys}
            leads = {i: lead for i in lead_ids if (lead := self.get(i)) is not None}
            return Lookup(owners, leads)

    def find_by_keys(self, keys: list[str]) -> dict[str, str]:
        return self.lookup(keys, []).owners

    def get(self, lead_id: str) -> Lead | None:
        with self._lock:
            lead = self.aggregates.get(f"lead/{lead_id}")
            return copy.deepcopy(lead) if lead else None

    def next_turn(self, team: str, counter_key: str, owner_ids: Sequence[str]) -> tuple[int, dict[str, int]]:
        with self._lock:
            turn = self.turns.get(counter_key, 0)
            self.turns[counter_key] = turn + 1
            return turn, {o: max(0, self.loads[o]) for o in owner_ids if o in self.loads}

    def page(self, limit: int, after: str | None = None) -> tuple[list[Lead], str | None]:
        with self._lock:
            ids = sorted(i for i in self.stored_leads if after is None or i > after)
        chosen = ids[:limit]
        return [lead for i in chosen if (lead := self.get(i)) is not None], (chosen[-1] if len(ids) > limit else None)

    def captured_between(self, start: datetime, end: datetime) -> Iterator[Lead]:
        with self._lock:
            leads = [copy.deepcopy(lead) for lead in self.stored_leads.values()]
        yield from (lead for lead in leads if iso(start) <= lead.captured_at < iso(end))

    def recent(
        self, since: datetime, until: datetime, filters: LeadFilter, limit: int, after: LeadPosition | None = None
    ) -> LeadPage:
        """The DynamoDB order: newest first by (captured_at, lead_id), resuming after ``after``."""
        with self._lock:
            leads = [copy.deepcopy(lead) for lead in self.stored_leads.values()]
        window = [lead for lead in leads if iso(since) <= lead.captured_at <= iso(until) and filters.matches(lead)]
        window.sort(key=lambda lead: (lead.captured_at, lead.lead_id), reverse=True)
        if after is not None:
            window = [lead for lead in window if (lead.captured_at, lead.lead_id) < (after.captured_at, after.lead_id)]
        page = window[:limit]
        if len(window) <= limit:
            return LeadPage(page, None)
        return LeadPage(page, LeadPosition(page[-1].captured_at, page[-1].lead_id))

    # ------------------------------------------------------------ UnitOfWork

    def commit(self, change: Change) -> None:
        """All conditions first, then every write — or nothing, like TransactWriteItems."""
        with self._lock:
            for save in change.saves:
                stored = self.aggregates.get(save.aggregate.subject)
                if (stored is None) != (save.expected_version is None):
                    raise StaleAggregate(save.aggregate.subject)
                if stored is not None and stored.version != save.expected_version:
                    raise StaleAggregate(save.aggregate.subject)
            for claim in change.claims:
                if claim.key in self.keys:
                    raise KeyTaken(claim.subject)
            for subject in change.fired:
                if subject not in self.aggregates:
                    raise StaleAggregate(subject)  # another sweep fired it
            for event in change.events:
                if event.id in self._event_ids:
                    raise StaleAggregate(event.subject)  # an event id is new, or the event happened already
            for load in change.loads:
                current = self.loads.get(load.owner_id, 0)
                if load.capacity is not None and current >= load.capacity:
                    raise OwnerFull(load.owner_id)
            self._apply(change)

    def _apply(self, change: Change) -> None:
        for save in change.saves:
            save.aggregate.version = (save.expected_version or 0) + 1
            self.aggregates[save.aggregate.subject] = copy.deepcopy(save.aggregate)
        for claim in change.claims:
            self.keys[claim.key] = claim.subject
        for load in change.loads:
            self.loads[load.owner_id] = self.loads.get(load.owner_id, 0) + 1
        for release in change.releases:
            self.loads[release.owner_id] = self.loads.get(release.owner_id, 0) - 1
        for subject in [*change.deletes, *change.fired]:
            self.aggregates.pop(subject, None)
        for key in change.unclaims:
            self.keys.pop(key, None)
        self.events.extend(change.events)
        self._event_ids.update(e.id for e in change.events)

    def event_types(self) -> list[str]:
        return [e.type for e in self.events]


class _MemoryCases:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def get(self, case_id: str) -> Case | None:
        with self._db._lock:
            case = self._db.aggregates.get(f"case/{case_id}")
            return copy.deepcopy(case) if case else None

    def open_of_account(self, account_id: str, priority: str) -> list[str]:
        with self._db._lock:
            cases = [a for s, a in self._db.aggregates.items() if s.startswith("case/")]
            return sorted(
                c.case_id
                for c in cases
                if c.account_id == account_id and c.priority == priority and c.replay().status != "resolved"
            )


class _MemoryContracts:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def get(self, contract_id: str) -> Contract | None:
        with self._db._lock:
            contract = self._db.aggregates.get(f"contract/{contract_id}")
            return copy.deepcopy(contract) if contract else None

    def of_account(self, account_id: str) -> list[Contract]:
        with self._db._lock:
            mine = [copy.deepcopy(a) for s, a in self._db.aggregates.items() if s.startswith("contract/")]
        return sorted((c for c in mine if c.account_id == account_id), key=lambda c: (c.end_date, c.contract_id))

    def of_quote(self, quote_id: str) -> str | None:
        with self._db._lock:
            owner = self._db.keys.get(quote_signed_key(quote_id))
        return subject_id(owner) if owner else None


class _MemoryOrders:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def get(self, order_id: str) -> Order | None:
        with self._db._lock:
            order = self._db.aggregates.get(f"order/{order_id}")
            return copy.deepcopy(order) if order else None

    def order_of_invoice(self, invoice_id: str) -> str | None:
        with self._db._lock:
            owner = self._db.keys.get(f"invoice#{invoice_id}")
        return subject_id(owner) if owner else None


class _MemoryAccounts:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def get(self, account_id: str) -> Account | None:
        with self._db._lock:
            account = self._db.aggregates.get(f"account/{account_id}")
            return copy.deepcopy(account) if account else None

    def count_in_segment(self, segment: str) -> int:
        with self._db._lock:
            return sum(1 for s, a in self._db.aggregates.items() if s.startswith("account/") and a.segment == segment)

    def in_segment(
        self, segment: str, limit: int, after: SegmentPosition | None = None
    ) -> tuple[list[Account], SegmentPosition | None]:
        with self._db._lock:
            found = [a for s, a in self._db.aggregates.items() if s.startswith("account/") and a.segment == segment]
        keyed = sorted(((str(a.segment_since), a.account_id) for a in found), reverse=True)
        if after is not None:
            keyed = [k for k in keyed if k < (after.segment_since, after.account_id)]
        page = [account for _, i in keyed[:limit] if (account := self.get(i)) is not None]
        more = len(keyed) > limit and page
        return page, (SegmentPosition(str(page[-1].segment_since), page[-1].account_id) if more else None)

    def page(self, limit: int, after: str | None = None) -> tuple[list[Account], str | None]:
        with self._db._lock:
            ids = sorted(a.account_id for s, a in self._db.aggregates.items() if s.startswith("account/"))
        ids = [i for i in ids if after is None or i > after]
        page = [account for i in ids[:limit] if (account := self.get(i)) is not None]
        return page, (page[-1].account_id if len(ids) > limit and page else None)


class _MemoryAggregates(Generic[A]):
    """Aggregates of one subject kind, read as stored (a copy, as a consistent read gives)."""

    def __init__(self, db: MemoryUnitOfWork, kind: str) -> None:
        self._db, self._kind = db, kind

    def get(self, aggregate_id: str) -> A | None:
        with self._db._lock:
            found = self._db.aggregates.get(f"{self._kind}/{aggregate_id}")
            return copy.deepcopy(found) if found is not None else None  # type: ignore[no-any-return]


class _MemoryTimers:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def _all(self) -> list[Timer]:
        with self._db._lock:
            timers = [copy.deepcopy(a) for s, a in self._db.aggregates.items() if s.startswith("timer/")]
        return sorted(timers, key=lambda t: t.due_at)

    def due(self, now: datetime, limit: int) -> list[Timer]:
        return [t for t in self._all() if t.due_at <= now and t.failed_at is None][:limit]

    def pending(self, about: str | None = None) -> list[Timer]:
        return [t for t in self._all() if (about is None or t.about == about) and t.failed_at is None]

    def failed(self) -> list[Timer]:
        return [t for t in self._all() if t.failed_at is not None]

    def get(self, timer_id: str) -> Timer | None:
        return next((t for t in self._all() if t.timer_id == timer_id), None)


class _MemoryDeliveries:
    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def get(self, delivery_id: str) -> Delivery | None:
        with self._db._lock:
            found = self._db.aggregates.get(f"delivery/{delivery_id}")
            return copy.deepcopy(found) if found else None

    def listing(self, status: str | None = None, kind: str | None = None) -> list[Delivery]:
        with self._db._lock:
            found = [copy.deepcopy(a) for s, a in self._db.aggregates.items() if s.startswith("delivery/")]
        wanted = [d for d in found if status in (None, d.status) and kind in (None, d.kind)]
        return sorted(wanted, key=lambda d: (d.created_at, d.delivery_id))

    def about(self, subject: str) -> list[Delivery]:
        return [d for d in self.listing() if d.about == subject]


class _MemoryLists:
    """The DynamoDB lists' order and filters (newest first by list key), over the stored aggregates."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def page(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        with self._uow._lock:
            stored = [copy.deepcopy(a) for s, a in self._uow.aggregates.items() if s.startswith(f"{listing.kind}/")]
            if listing.kind == "invoice":  # copies of the orders' invoices, as DynamoDB keeps them
                orders = [a for s, a in self._uow.aggregates.items() if s.startswith("order/")]
                stored = [invoice for order in orders for invoice in order.listed_invoices()]
        keyed = [(stored_listing(listing, a), a) for a in stored]
        window = sorted(
            (
                (listed.key, a)
                for listed, a in keyed
                if (since is None or listed.key >= since)
                and (after is None or listed.key < after.key)
                and matches(listed.fields, conditions)
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        page = window[:limit]
        more = len(window) > limit
        return ListPage([a for _, a in page], ListPosition(page[-1][0]) if more else None)

    def rows(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        page = self.page(listing, conditions, since, limit, after)
        return ListPage([listing.summary(a) for a in page.items], page.after)


class MemoryPersonalRecords:
    """The privacy routes' look-ups over a MemoryUnitOfWork: events by subject, cases by contact."""

    def __init__(self, db: MemoryUnitOfWork) -> None:
        self._db = db

    def events_of(self, subject: str) -> list[RecordedEvent]:
        with self._db._lock:
            return [
                RecordedEvent(e.id, e.type, e.subject, iso(e.time), copy.deepcopy(e.data))
                for e in self._db.events
                if e.subject == subject
            ]

    def rewrite(self, event: RecordedEvent, data: dict[str, Any]) -> None:
        with self._db._lock:
            self._db.events = [
                dataclasses.replace(e, data=copy.deepcopy(data)) if e.id == event.event_id else e
                for e in self._db.events
            ]

    def cases_of_contact(self, key: str) -> list[str]:
        with self._db._lock:
            return sorted(
                a.case_id for s, a in self._db.aggregates.items() if s.startswith("case/") and a.contact_key == key
            )
