"""DynamoDB's bill for what a run did, counted as DynamoDB counts it, not as moto does.

moto answers every request and bills nothing. Here each write is sized the way the developer
guide ("Item sizes and formats", "Capacity unit consumption for write operations") says and
turned into request units:

- an item's size is the sum over its attributes of the name's UTF-8 bytes plus the value's:
  strings their UTF-8 bytes, numbers 1 byte per two significant digits plus 1, binary its raw
  bytes, null and booleans 1, lists and maps 3 plus each element's size plus 1 per element
  (a map element's size includes its name), sets the sum of their members;
- a write costs 1 WRU per started KB of the larger of the item before and after (a delete: the
  item deleted; a write to nothing: 1); inside TransactWriteItems twice that, ConditionCheck
  included; a conditional write that fails is billed all the same (a cancelled transaction is
  counted apart, not billed);
- every global secondary index the item is in, before or after, is one more write of its
  projection (table keys + index keys, plus the item for ALL, plus the named attributes for
  INCLUDE): an item entering or leaving it one write, a changed index key a delete and a put,
  an update leaving the projection alone none. Index writes are propagated outside the
  transaction and billed once;
- reads: 1 RRU per started 4 KB strongly consistent, half that eventually consistent, twice in
  TransactGetItems; a Query or Scan sums the items it read before rounding up.

Pure but for :func:`billing_moto`, which counts in the embedded AWS of this process: every
request of every client (the API, each function, the sweeps) passes there, one at a time, so
the item before and after each write can be looked up exactly.
"""

from __future__ import annotations

import base64
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

KB = 1024
READ_BLOCK = 4 * KB
Item = dict[str, dict[str, Any]]  # DynamoDB JSON: {"name": {"S": "value"}, ...}
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
READS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")


# ------------------------------------------------------------------ sizes


def number_size(text: str) -> int:
    """1 byte per two significant digits, plus 1 (leading and trailing zeroes trimmed)."""
    try:
        digits = Decimal(text).normalize().as_tuple().digits
    except InvalidOperation:
        digits = tuple(int(c) for c in text if c.isdigit())
    significant = "".join(map(str, digits)).strip("0") or "0"
    return math.ceil(len(significant) / 2) + 1


def _binary_size(value: Any) -> int:
    return len(value) if isinstance(value, (bytes, bytearray)) else len(base64.b64decode(value))


def value_size(value: dict[str, Any]) -> int:
    """The size of one attribute value in DynamoDB JSON, its name not included."""
    (kind, content), *_ = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return number_size(str(content))
    if kind == "B":
        return _binary_size(content)
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in content)
    if kind == "NS":
        return sum(number_size(str(n)) for n in content)
    if kind == "BS":
        return sum(_binary_size(b) for b in content)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in content)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in content.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: Item | None) -> int:
    return 0 if item is None else sum(len(name.encode()) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    """WRU for one write of an item of ``size`` bytes: 1 per started KB, at least 1."""
    return max(1, math.ceil(size / KB))


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    blocks = max(1, math.ceil(size / READ_BLOCK))
    return blocks * (2.0 if transactional else 1.0 if consistent else 0.5)


# ------------------------------------------------------------------ tables and indexes


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[str, ...]
    projection: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    keys: tuple[str, ...]
    indexes: tuple[IndexSpec, ...] = ()


def table_specs(template: dict[str, Any]) -> dict[str, TableSpec]:
    """Table name -> its keys and global secondary indexes, from template.yaml."""
    from infra.template import tables

    specs = {}
    for table in tables(template):
        indexes = tuple(
            IndexSpec(
                name=index["IndexName"],
                keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
                projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
                include=tuple(index.get("Projection", {}).get("NonKeyAttributes", ())),
            )
            for index in table.global_secondary_indexes
        )
        specs[table.name] = TableSpec(table.name, tuple(k["AttributeName"] for k in table.key_schema), indexes)
    return specs


def projected(item: Item | None, table: TableSpec, index: IndexSpec) -> Item | None:
    """The item as the index stores it; None when the item is not in the (sparse) index."""
    if item is None or any(key not in item for key in index.keys):
        return None
    if index.projection == "ALL":
        return item
    wanted = set(table.keys) | set(index.keys) | (set(index.include) if index.projection == "INCLUDE" else set())
    return {name: value for name, value in item.items() if name in wanted}


def item_write_units(
    table: TableSpec, before: Item | None, after: Item | None, *, transactional: bool = False
) -> dict[str, int]:
    """WRU by where they go ("table", "table/index") for one item written from ``before`` to
    ``after`` (None: absent)."""
    units = {table.name: write_units(max(item_size(before), item_size(after))) * (2 if transactional else 1)}
    for index in table.indexes:
        old, new = projected(before, table, index), projected(after, table, index)
        if (old is None and new is None) or old == new:
            continue
        target = f"{table.name}/{index.name}"
        if old is None or new is None:
            units[target] = write_units(item_size(old or new))
        elif any(old[k] != new[k] for k in index.keys):  # moved in the index: a delete and a put
            units[target] = write_units(item_size(old)) + write_units(item_size(new))
        else:
            units[target] = write_units(max(item_size(old), item_size(new)))
    return units


# ------------------------------------------------------------------ the bill


@dataclass
class Bill:
    """What a run would be billed, by where it went; ``by`` names who asked (a function)."""

    requests: Counter[str] = field(default_factory=Counter)  # operation -> requests
    requests_by: Counter[str] = field(default_factory=Counter)  # caller -> requests
    write: Counter[str] = field(default_factory=Counter)  # "table[/index]" -> WRU
    write_by: Counter[str] = field(default_factory=Counter)  # caller -> WRU
    read: Counter[str] = field(default_factory=Counter)  # "table[/index]" -> RRU
    refused: Counter[str] = field(default_factory=Counter)  # operation -> requests failed, not billed
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_write(self, units: dict[str, int], by: str) -> None:
        with self._lock:
            self.write.update(units)
            self.write_by[by] += sum(units.values())

    def add_read(self, target: str, units: float) -> None:
        with self._lock:
            self.read[target] += units  # type: ignore[assignment]

    def add_request(self, operation: str, by: str, *, refused: bool = False) -> None:
        with self._lock:
            self.requests[operation] += 1
            self.requests_by[by] += 1
            if refused:
                self.refused[operation] += 1

    @property
    def write_units(self) -> int:
        return sum(self.write.values())

    @property
    def read_units(self) -> float:
        return sum(self.read.values())

    def reset(self) -> None:
        for counter in (self.requests, self.requests_by, self.write, self.write_by, self.read, self.refused):
            counter.clear()


# ------------------------------------------------------------------ requests


def _key(item: Item, table: TableSpec) -> Item:
    return {name: item[name] for name in table.keys}


def write_targets(operation: str, request: dict[str, Any], tables: dict[str, TableSpec]) -> list[tuple[str, Item, str]]:
    """(table, key, action) of every item a write request touches; action is the request's own
    name for the item (Put, Update, Delete, ConditionCheck)."""
    if operation == "PutItem":
        table = tables[request["TableName"]]
        return [(table.name, _key(request["Item"], table), "Put")]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(request["TableName"], request["Key"], operation.removesuffix("Item"))]
    if operation == "BatchWriteItem":
        targets = []
        for name, writes in request["RequestItems"].items():
            for write in writes:
                if "PutRequest" in write:
                    targets.append((name, _key(write["PutRequest"]["Item"], tables[name]), "Put"))
                else:
                    targets.append((name, write["DeleteRequest"]["Key"], "Delete"))
        return targets
    if operation == "TransactWriteItems":
        targets = []
        for entry in request["TransactItems"]:
            (action, spec), *_ = entry.items()
            name = spec["TableName"]
            key = _key(spec["Item"], tables[name]) if action == "Put" else spec["Key"]
            targets.append((name, key, action))
        return targets
    return []


def bill_write(
    operation: str,
    targets: list[tuple[str, Item, str]],
    before: list[Item | None],
    after: list[Item | None],
    tables: dict[str, TableSpec],
) -> dict[str, int]:
    """WRU of one write request, from the items before and after it (same order as targets)."""
    transactional = operation == "TransactWriteItems"
    total: Counter[str] = Counter()
    for (name, _, action), old, new in zip(targets, before, after, strict=True):
        table = tables[name]
        if action == "ConditionCheck":  # read under the transaction, billed as a write of the item
            total[name] += write_units(item_size(old)) * 2
            continue
        total.update(item_write_units(table, old, new, transactional=transactional))
    return dict(total)


def bill_read(operation: str, request: dict[str, Any], response: dict[str, Any]) -> list[tuple[str, float]]:
    """(table[/index], RRU) of one successful read request."""
    consistent = bool(request.get("ConsistentRead"))
    if operation == "GetItem":
        return [(request["TableName"], read_units(item_size(response.get("Item")), consistent=consistent))]
    if operation == "BatchGetItem":
        billed = []
        for name, spec in request["RequestItems"].items():
            found = response.get("Responses", {}).get(name, [])
            sizes = [item_size(i) for i in found] + [0] * (len(spec["Keys"]) - len(found))
            strong = bool(spec.get("ConsistentRead"))
            billed.append((name, sum(read_units(s, consistent=strong) for s in sizes)))
        return billed
    if operation == "TransactGetItems":
        names = [entry["Get"]["TableName"] for entry in request["TransactItems"]]
        items = [r.get("Item") for r in response.get("Responses", [{}] * len(names))]
        return [(n, read_units(item_size(i), transactional=True)) for n, i in zip(names, items, strict=False)]
    if operation in ("Query", "Scan"):
        items = response.get("Items", [])
        size = sum(item_size(i) for i in items)
        scanned, count = response.get("ScannedCount", len(items)), response.get("Count", len(items))
        if count and scanned > count:  # a filter dropped some after reading them: billed all the same
            size = size * scanned // count
        target = f"{request['TableName']}/{request['IndexName']}" if request.get("IndexName") else request["TableName"]
        return [(target, read_units(size, consistent=consistent))]
    return []


# ------------------------------------------------------------------ counting in the embedded AWS

CALLER_HEADER = "X-Closeloop-Bench-Caller"
_caller = threading.local()


def set_caller(name: str | None) -> None:
    """Name who makes this thread's AWS requests from now on (a function's logical id)."""
    _caller.name = name


def caller() -> str:
    return getattr(_caller, "name", None) or "other"


@contextmanager
def billing_moto(bill: Bill, template: dict[str, Any]) -> Iterator[Bill]:
    """Bill every DynamoDB request the moto server of this process answers; each request
    carries its caller's name (see :func:`set_caller`) in a header added by botocore."""
    from botocore.endpoint import Endpoint
    from moto.dynamodb.responses import DynamoHandler

    tables = table_specs(template)
    original_call, original_request = DynamoHandler.call_action, Endpoint.make_request

    def make_request(self: Any, operation_model: Any, request_dict: dict[str, Any]) -> Any:
        request_dict.setdefault("headers", {})[CALLER_HEADER] = caller()
        return original_request(self, operation_model, request_dict)

    def call_action(handler: Any) -> Any:
        operation = handler.get_endpoint_name(handler.headers)
        if operation not in WRITES + READS:
            return original_call(handler)
        by = handler.headers.get(CALLER_HEADER) or "other"
        request = json.loads(handler.body) if isinstance(handler.body, (str, bytes)) else dict(handler.body)
        backend = handler.dynamodb_backend
        targets = write_targets(operation, request, tables) if operation in WRITES else []
        before = [_stored(backend, name, key) for name, key, _ in targets]
        answer = original_call(handler)
        status = answer[0]
        ok = status == 200
        failed_condition = not ok and "ConditionalCheckFailed" in str(answer[2])
        bill.add_request(operation, by, refused=not ok)
        if operation in WRITES and ok:
            after = [_stored(backend, name, key) for name, key, _ in targets]
            bill.add_write(bill_write(operation, targets, before, after, tables), by)
        elif failed_condition and operation != "TransactWriteItems":
            # billed though nothing was written: the larger of the item there and the one sent
            sent = request.get("Item") if operation == "PutItem" else None
            size = max(item_size(before[0]), item_size(sent))
            bill.add_write({targets[0][0]: write_units(size)}, by)
        elif operation in READS and ok:
            for target, units in bill_read(operation, request, json.loads(answer[2])):
                bill.add_read(target, units)
        return answer

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    Endpoint.make_request = make_request  # type: ignore[method-assign]
    try:
        yield bill
    finally:
        DynamoHandler.call_action = original_call  # type: ignore[method-assign]
        Endpoint.make_request = original_request  # type: ignore[method-assign]


def _stored(backend: Any, table: str, key: Item) -> Item | None:
    item = backend.get_item(table, key)
    return None if item is None else dict(item.to_json()["Attributes"])


def breakdown(counts: Counter[str], per: int, top: int = 12) -> str:
    """'table/index 4.1, ...' per lead, largest first."""
    return ", ".join(f"{re.sub('^closeloop-(dev-)?', '', k)} {v / per:.2f}" for k, v in counts.most_common(top))
