"""The DynamoDB unit of work: any service's :class:`Change` in one TransactWriteItems call.

Each aggregate kind (the part of its subject before ``/``) has one :class:`AggregateTable`
that turns it into a conditioned Put — ``attribute_not_exists`` when new, ``version = read``
when changed. Claims put a key item that must not exist; loads add one to an owner's count
below capacity and releases take one off; events go through the outbox. A cancelled
transaction is turned into the lost race the service can retry (KeyTaken, StaleAggregate,
OwnerFull).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from shared.adapters.dynamo.cases import CASES, DynamoCaseRepository
from shared.adapters.dynamo.contracts import CONTRACTS, DynamoContractRepository
from shared.adapters.dynamo.deliveries import DeliveryTable, DynamoDeliveryRepository
from shared.adapters.dynamo.documents import PLAIN_DOCUMENTS
from shared.adapters.dynamo.faults import REFUSED_REASONS, THROTTLE_REASONS, error_code, is_throttling, reason_codes
from shared.adapters.dynamo.leads import LEADS, DynamoLeadRepository
from shared.adapters.dynamo.listing import DynamoLists
from shared.adapters.dynamo.models import LeadItem, LeadKeyItem, RoutingStateItem
from shared.adapters.dynamo.orders import (
    ACCOUNTS,
    ORDERS,
    DynamoAccountRepository,
    DynamoOrderRepository,
    invoice_copies,
)
from shared.adapters.dynamo.sales import OPPORTUNITIES, QUOTES, DynamoOpportunityRepository, DynamoQuoteRepository
from shared.adapters.dynamo.timers import DynamoTimerRepository, TimerTable
from shared.adapters.outbox import outbox_put
from shared.fulfilment.domain.orders import Order
from shared.kernel.domain.events import Event, subject_id, subject_parts
from shared.kernel.services.ports import (
    Aggregate,
    Assignment,
    Change,
    Claim,
    ConcurrentChange,
    KeyTaken,
    OwnerFull,
    Release,
    RetryPolicy,
    Save,
    StaleAggregate,
    StorageRefused,
    Throttled,
)
from shared.kernel.services.retry import ConflictRetry

D = TypeVar("D")
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limits per TransactWriteItems
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024


class AggregateTable(Protocol):
    """How one kind of aggregate is stored: a conditioned Put, and its key for deletes."""

    def put(self, aggregate: Any, expected_version: int | None) -> dict[str, Any]: ...
    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]: ...  # (table name, key)


def claim_put(key: str, subject: str) -> dict[str, Any]:
    """A unique key item; the leads' identity keys live in closeloop-lead-keys."""
    owner_id = subject_id(subject)
    claim = LeadKeyItem(key=key, lead_id=owner_id)
    kwargs: dict[str, Any] = claim.get_save_kwargs_from_instance(condition=LeadKeyItem.key.does_not_exist())
    return kwargs


def load_key(owner_id: str) -> dict[str, Any]:
    """An owner's open load is one item of its own, so it counts across every team they are in."""
    return {"pk": {"S": f"load#{owner_id}"}}


def take_load(load: Assignment) -> dict[str, Any]:
    """One more open item for the owner, refused at capacity."""
    values: dict[str, Any] = {":one": {"N": "1"}, ":zero": {"N": "0"}}
    condition = None
    if load.capacity is not None:
        condition = "attribute_not_exists(#open) OR #open < :cap"
        values[":cap"] = {"N": str(load.capacity)}
    update = {
        "TableName": RoutingStateItem.Meta.table_name,
        "Key": load_key(load.owner_id),
        "UpdateExpression": "SET #open = if_not_exists(#open, :zero) + :one",
        "ExpressionAttributeNames": {"#open": "open"},
        "ExpressionAttributeValues": values,
    }
    if condition:
        update["ConditionExpression"] = condition
    return update


def release_load(release: Release) -> dict[str, Any]:
    """One open item fewer. Unconditioned, so a release never blocks closing a lead; readers
    count a load below zero (items taken before loads were counted per owner) as zero."""
    return {
        "TableName": RoutingStateItem.Meta.table_name,
        "Key": load_key(release.owner_id),
        "UpdateExpression": "SET #open = if_not_exists(#open, :zero) - :one",
        "ExpressionAttributeNames": {"#open": "open"},
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}},
    }


# subject kind → how its aggregates are stored; the documents declare their own kind
AGGREGATE_TABLES: dict[str, AggregateTable] = {
    "timer": TimerTable(),
    "delivery": DeliveryTable(),
    **{table.kind: table for table in (LEADS, CASES, CONTRACTS, ORDERS, ACCOUNTS, OPPORTUNITIES, QUOTES)},
    **{table.kind: table for table in PLAIN_DOCUMENTS.values()},
}


@dataclass(frozen=True)
class _Fired:
    """A timer this change fires: deleted only if still there (else another sweep fired it)."""

    subject: str


@dataclass
class _Operations:
    """Transaction items in the order pynamodb sends them, each with what it is for."""

    deletes: list[tuple[dict[str, Any], object]] = field(default_factory=list)
    puts: list[tuple[dict[str, Any], object]] = field(default_factory=list)
    updates: list[tuple[dict[str, Any], object]] = field(default_factory=list)

    def purposes(self) -> list[object]:
        return [p for _, p in self.deletes + self.puts + self.updates]

    def count(self) -> int:
        return len(self.deletes) + len(self.puts) + len(self.updates)


class DynamoUnitOfWork:
    def __init__(self, connection: Connection | None = None, retry: RetryPolicy | None = None) -> None:
        self._connection = connection or Connection(region=LeadItem.Meta.region)
        self._leads = DynamoLeadRepository(self._connection)
        self._timers = DynamoTimerRepository()
        self._deliveries = DynamoDeliveryRepository()
        self._cases = DynamoCaseRepository()
        self._orders = DynamoOrderRepository()
        self._accounts = DynamoAccountRepository()
        self._contracts = DynamoContractRepository()
        self._opportunities = DynamoOpportunityRepository()
        self._quotes = DynamoQuoteRepository()
        self._lists = DynamoLists(self._connection)
        self._retry: RetryPolicy = retry or ConflictRetry()

    @property
    def leads(self) -> DynamoLeadRepository:
        return self._leads

    @property
    def timers(self) -> DynamoTimerRepository:
        return self._timers

    @property
    def deliveries(self) -> DynamoDeliveryRepository:
        return self._deliveries

    @property
    def cases(self) -> DynamoCaseRepository:
        return self._cases

    @property
    def orders(self) -> DynamoOrderRepository:
        return self._orders

    @property
    def accounts(self) -> DynamoAccountRepository:
        return self._accounts

    @property
    def contracts(self) -> DynamoContractRepository:
        return self._contracts

    @property
    def opportunities(self) -> DynamoOpportunityRepository:
        return self._opportunities

    @property
    def quotes(self) -> DynamoQuoteRepository:
        return self._quotes

    @property
    def lists(self) -> DynamoLists:
        return self._lists

    def find(self, kind: type[D], ident: str) -> D | None:
        """An aggregate of a plain kind (models.py PLAIN), read consistently."""
        found: D | None = PLAIN_DOCUMENTS[f"{kind.__module__}:{kind.__qualname__}"].get(ident)
        return found

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    def commit(self, change: Change) -> None:
        ops = self._operations(change)
        if ops.count() > MAX_TRANSACTION_ITEMS:
            raise StorageRefused(f"a change of {ops.count()} items exceeds DynamoDB's {MAX_TRANSACTION_ITEMS}")
        size = _request_bytes(ops)
        if size > MAX_TRANSACTION_BYTES:  # DynamoDB would refuse it whole; say why before sending
            raise StorageRefused(f"a change of {size} bytes exceeds DynamoDB's {MAX_TRANSACTION_BYTES} per transaction")
        try:
            self._connection.transact_write_items(
                condition_check_items=[],
                delete_items=[op for op, _ in ops.deletes],
                put_items=[op for op, _ in ops.puts],
                update_items=[op for op, _ in ops.updates],
            )
        except TransactWriteError as exc:
            raise _lost_race(exc, ops.purposes()) from None
        for save in change.saves:
            save.aggregate.version = (save.expected_version or 0) + 1

    @staticmethod
    def _operations(change: Change) -> _Operations:
        ops = _Operations()
        for save in change.saves:
            ops.puts.append((_table_of(save.aggregate.subject).put(save.aggregate, save.expected_version), save))
            if isinstance(save.aggregate, Order):  # its invoices' list copies go with it
                ops.puts.extend((put, save) for put in invoice_copies(save.aggregate))
        for claim in change.claims:
            ops.puts.append((claim_put(claim.key, claim.subject), claim))
        for seq, event in enumerate(change.events):
            ops.puts.append((outbox_put(event, seq), event))
        for subject in change.deletes:
            table, key = _table_of(subject).key(subject_id(subject))
            ops.deletes.append(({"TableName": table, "Key": key}, subject))
        for claim_key in change.unclaims:  # an erased person's identity keys: a later post is a new lead
            ops.deletes.append(
                ({"TableName": LeadKeyItem.Meta.table_name, "Key": {"key": {"S": claim_key}}}, claim_key)
            )
        for subject in change.fired:
            table, key = _table_of(subject).key(subject_id(subject))
            name = next(iter(key))
            fire = {
                "TableName": table,
                "Key": key,
                "ConditionExpression": "attribute_exists(#k)",
                "ExpressionAttributeNames": {"#k": name},
            }
            ops.deletes.append((fire, _Fired(subject)))
        for load in change.loads:
            ops.updates.append((take_load(load), load))
        for release in change.releases:
            ops.updates.append((release_load(release), release))
        return ops


def _request_bytes(ops: _Operations) -> int:
    """The request's size as sent (UTF-8 JSON of every item): an upper bound of what DynamoDB counts."""
    every = ops.deletes + ops.puts + ops.updates
    return sum(len(json.dumps(op, ensure_ascii=False, default=str).encode()) for op, _ in every)


def _table_of(subject: str) -> AggregateTable:
    kind = subject_parts(subject)[0]
    if kind not in AGGREGATE_TABLES:
        raise KeyError(f"no table is registered for aggregates of kind {kind!r}")
    return AGGREGATE_TABLES[kind]


def _lost_race(exc: TransactWriteError, purposes: list[object]) -> Exception:
    """Turn a cancelled transaction into the reason the service can act on: a lost race (which
    item's condition failed), throttling, or a refused write (a bug, not retried)."""
    codes = reason_codes(exc)
    if not codes:  # the call itself failed, no item did
        if is_throttling(exc):
            return Throttled(f"DynamoDB throttled the transaction ({error_code(exc)})")
        if error_code(exc) == "ValidationException":
            return StorageRefused(f"DynamoDB refused the transaction: {exc.cause_response_message}")
        return exc
    refused = [(purposes[i], code) for i, code in enumerate(codes) if code in REFUSED_REASONS]
    if refused:
        what, code = refused[0]
        return StorageRefused(f"DynamoDB refused a write ({code}) for {_name(what)}")
    failed = [purposes[i] for i, code in enumerate(codes) if code == "ConditionalCheckFailed"]
    for what in failed:
        if isinstance(what, Claim):
            return KeyTaken(what.subject)
    for what in failed:
        if isinstance(what, Save):
            return StaleAggregate(what.aggregate.subject)
        if isinstance(what, _Fired):
            return StaleAggregate(what.subject)
        if isinstance(what, Event):  # an event that happens once (its id derived) is already recorded
            return StaleAggregate(what.subject)
    for what in failed:
        if isinstance(what, Assignment):
            return OwnerFull(what.owner_id)
    if any(code in THROTTLE_REASONS for code in codes):
        return Throttled("DynamoDB throttled an item of the transaction")
    if "TransactionConflict" in codes or failed:
        return ConcurrentChange("a concurrent transaction touched the same items")
    return exc


def _name(what: object) -> str:
    if isinstance(what, Save):
        return what.aggregate.subject
    if isinstance(what, Event):
        return f"event {what.type} of {what.subject}"
    return type(what).__name__


__all__ = ["AGGREGATE_TABLES", "Aggregate", "AggregateTable", "DynamoUnitOfWork"]
