"""Where moto 5's DynamoDB departs from DynamoDB in ways the local stack notices, put right.

Installed by ``start_moto`` (``install()`` is idempotent). Each fix says why it exists.

- **TransactWriteItems is all or nothing.** moto deep-copies every table a transaction
  touches, applies the items one by one and, when a condition fails, swaps the copies in.
  Records of the cancelled writes stay on the stream (the copy's shard is a new object, so
  stream readers holding an iterator keep reading the old one: phantom events, and nothing
  after them), and every transaction costs O(table size) in time and memory. Here, as in
  DynamoDB, every condition is checked before anything is written; a cancelled transaction
  writes and streams nothing. Only the items a transaction touches are saved, to undo an
  update that fails while it is applied.
- **An upsert streams one record.** moto's UpdateItem on a missing item first puts a
  key-only item (an INSERT record) and then updates it (a second INSERT). DynamoDB streams
  one INSERT with the new image.
- **Nothing is kept for ever by accident.** moto's BaseModel appends every model instance it
  ever creates to a class-level list (for its reset and its /moto-api/data.json dump): every
  Item, including the copies UpdateItem makes, every stream record, every shard iterator (the
  stream poller mints ten a second). The embedded server never resets, so that list is a leak
  of hundreds of MiB over a day of ``closeloop dev``; instances are no longer tracked there
  (S3 still is: moto's S3 reads its list on reset).
- **Streams keep 24 hours.** moto keeps every stream record for ever; DynamoDB trims records
  older than 24 hours, which bounds the memory of a long-running ``closeloop dev``.
- **A projection reads its item once.** moto's ``Item.project`` turns the whole item into plain
  JSON once per projected attribute: an index Query (INCLUDE projection: the keys and
  ``list_fields``, then the request's ProjectionExpression) deserialised each 1 KB case item a dozen
  times, most of a list page's time in ``closeloop dev``. Here it is read once per projection, and
  not at all when only top-level attributes are picked; the result is the same item.
- **An item read is answered as JSON.** moto 5.2 turns every answer into JSON by walking the
  operation's botocore output shape, value by value: for a Query of 50 list rows that walk was a
  third of the server's time. A read's answer (Query, Scan, GetItem, BatchGetItem) is already
  DynamoDB JSON, so it is dumped as it is — the same body; a binary attribute (bytes, which moto's
  walk base64-encodes) still takes moto's path.
- **Key comparisons read a string as a string.** moto compares two attribute values through
  ``cast_value`` (a chain of type checks, a Decimal per number) on every comparison: an index
  Query sorted the whole table by its key, compared every item with the partition key, and its
  sort compared cast values again and again. Strings compare by their value, and a sort computes each item's key
  once; the order and the matches are moto's own.
- **Static facts are computed once.** For every request moto lists its own package directory
  (to route by host) and inspects its handler class for method names; both never change
  while the server runs, and cost a tenth of the server's time per request.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from moto import backends as moto_backends
from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict, serializer
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.models.utilities import find_nested_key
from moto.dynamodb.responses import DynamoHandler, DynamoResult

STREAM_RETENTION = dt.timedelta(hours=24)
_OPS = ("ConditionCheck", "Put", "Delete", "Update")
_moto_update_item = DynamoDBBackend.update_item
_moto_project = Item.project  # what _project must answer the same as (tests/integration/local/test_aws.py)
_moto_serialized = DynamoHandler.serialized  # what _serialized must answer the same as (test_aws.py)
_moto_sorted_items = Table.sorted_items
_moto_eq, _moto_ne, _moto_lt = DynamoType.__eq__, DynamoType.__ne__, DynamoType.__lt__
_ITEM_READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
_list_of_moto_modules = moto_backends.list_of_moto_modules
_method_names_from_class = moto_responses.method_names_from_class  # type: ignore[attr-defined]


def install() -> None:
    """Patch moto's DynamoDB, its stream shards, its model base and its routing, in this process (idempotent)."""
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _update_item  # type: ignore[method-assign]
    StreamShard.add = _stream_add  # type: ignore[method-assign]
    StreamShard.get = _stream_get  # type: ignore[method-assign]
    BaseModel.__new__ = _new_model  # type: ignore[method-assign]
    Item.project = _project  # type: ignore[method-assign]
    DynamoHandler.serialized = _serialized  # type: ignore[method-assign,assignment]
    Table.sorted_items = _sorted_items  # type: ignore[method-assign]
    DynamoType.__eq__ = _eq  # type: ignore[method-assign,assignment]
    DynamoType.__ne__ = _ne  # type: ignore[method-assign,assignment]
    DynamoType.__lt__ = _lt  # type: ignore[method-assign]
    if not hasattr(moto_backends.list_of_moto_modules, "cache_info"):
        moto_backends.list_of_moto_modules = functools.cache(lambda: tuple(_list_of_moto_modules()))
        moto_responses.method_names_from_class = functools.cache(_method_names_from_class)  # type: ignore[attr-defined]


def _project(self: Item, projection_expressions: list[list[str]]) -> Item:
    """moto's Item.project, the item read as plain JSON once (not once per expression); top-level
    names only (an index's own projection) are picked as they are, as moto's deep copies share them."""
    from botocore.utils import merge_dicts

    if all(len(path) == 1 and "[" not in path[0] for path in projection_expressions):
        attrs = {path[0]: self.attrs[path[0]] for path in projection_expressions if path[0] in self.attrs}
    else:
        regular = self.to_regular_json()  # a fresh copy: what the expressions pick from it is theirs
        result: dict[str, Any] = {}
        for expression in projection_expressions:
            merge_dicts(result, find_nested_key(expression, regular))
        attrs = {name: DynamoType(value) for name, value in serializer.serialize(result)["M"].items()}
    return _item(self.hash_key, self.range_key, attrs)


def _item(hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, DynamoType]) -> Item:
    """An Item built as moto's own deep copy builds one: a part of a stored item is not checked
    against the 400 KB limit again (moto's check sums every attribute on every insert)."""
    item: Item = object.__new__(Item)  # no BaseModel tracking either (see _new_model)
    item.hash_key, item.range_key = hash_key, range_key
    item.attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(item.attrs, attrs)
    return item


def _serialized(self: DynamoHandler, action_result: Any) -> Any:
    """An item read's answer dumped as the DynamoDB JSON it already is; anything else as moto does."""
    result = action_result.result
    if type(action_result) is DynamoResult and isinstance(result, dict) and self._get_action() in _ITEM_READS:
        try:
            body = json.dumps(result)
        except TypeError:  # bytes: a binary attribute, which moto's serializer base64-encodes
            return _moto_serialized(self, action_result)
        return 200, {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}, body
    return _moto_serialized(self, action_result)


def _eq(self: DynamoType, other: DynamoType) -> bool:
    if self.type == "S" and other.type == "S":  # a string's cast value is the string
        return bool(self.value == other.value)
    return _moto_eq(self, other)


def _ne(self: DynamoType, other: DynamoType) -> bool:
    return not _eq(self, other)


def _lt(self: DynamoType, other: DynamoType) -> bool:
    if self.type == "S" and other.type == "S":  # moto sorts the whole table by key on every Query
        return bool(self.value < other.value)
    return bool(_moto_lt(self, other))


def _sorted_items(
    self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Item]
) -> list[Item]:
    """moto's sorted_items, each item's key read once (moto's key compares DynamoTypes, which cast
    both sides on every comparison); key attributes have one type each, so the order is the same."""
    attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
    items.sort(key=lambda item: tuple(item.attrs[name].cast_value for name in attrs))
    return items


# ------------------------------------------------------------------ transactions


@dataclass
class _Op:
    kind: str
    spec: dict[str, Any]
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None

    @property
    def key(self) -> dict[str, Any]:
        spec = self.spec
        if self.kind != "Put":
            return dict(spec["Key"])
        key = {self.table.hash_key_attr: spec["Item"][self.table.hash_key_attr]}
        if self.table.range_key_attr is not None:
            key[self.table.range_key_attr] = spec["Item"][self.table.range_key_attr]
        return key

    def current(self) -> Item | None:
        return self.table.get_item(self.hash_key, self.range_key)


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDB's TransactWriteItems: validate, check every condition, then apply all."""
    ops = _parse(self, transact_items)  # a malformed request fails whole, before any check
    reasons = [_check(op) for op in ops]
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _apply(self, ops)


def _parse(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Op]:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    ops, seen = [], set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException()
        kind, spec = next(iter(entry.items()))
        if kind not in _OPS:
            raise MockValidationException(f"Unsupported transaction operation: {kind}")
        table = backend.get_table(spec["TableName"])
        if kind == "Put":
            for name in (table.hash_key_attr, table.range_key_attr):
                if name is not None and name not in spec["Item"]:
                    raise MockValidationException(f"Missing the key {name} in the item")
            keys = spec["Item"]
        else:
            keys = spec["Key"]
        hash_key, range_key = backend.get_keys_value(table, keys)
        identity = (table.name, hash_key, range_key)
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        ops.append(_Op(kind, spec, table, hash_key, range_key))
    return ops


def _check(op: _Op) -> tuple[Any, Any, Any]:
    """(code, message, item) as TransactionCanceledException lists them; (None, ...) = passes."""
    expression = op.spec.get("ConditionExpression")
    if expression is None:
        return (None, None, None)
    current = op.current()
    condition = get_filter_expression(
        expression, op.spec.get("ExpressionAttributeNames"), op.spec.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return (None, None, None)
    old = None
    if op.spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
        old = current.to_json()["Attributes"]
    return ("ConditionalCheckFailed", ConditionalCheckFailed().message, old)


def _apply(backend: DynamoDBBackend, ops: list[_Op]) -> None:
    """Apply every write; if one fails (an update invalid for the stored item), undo them all."""
    writes = [op for op in ops if op.kind != "ConditionCheck"]
    # Put and Delete replace the stored Item object; Update changes it in place, so keep a copy.
    saved = [(op, copy.deepcopy(op.current()) if op.kind == "Update" else op.current()) for op in writes]
    shards = {id(s): (s, len(s.items)) for op in writes if (s := op.table.stream_shard) is not None}
    for index, op in enumerate(ops):
        try:
            _write(backend, op)
        except Exception as error:
            for written, item in reversed(saved):
                _restore(written, item)
            for shard, length in shards.values():
                del shard.items[length:]
            if isinstance(error, MockValidationException):
                raise  # DynamoDB: a ValidationException for the whole call
            reasons: list[tuple[Any, Any, Any]] = [(None, None, None)] * len(ops)
            reasons[index] = (type(error).__name__, str(getattr(error, "message", error)), None)
            raise TransactionCanceledException(reasons) from error


def _write(backend: DynamoDBBackend, op: _Op) -> None:
    spec = op.spec
    if op.kind == "Put":
        op.table.put_item(spec["Item"])
    elif op.kind == "Delete":
        op.table.delete_item(op.hash_key, op.range_key)
    elif op.kind == "Update":
        backend.update_item(
            op.table.name,
            op.key,
            update_expression=spec["UpdateExpression"],
            expression_attribute_names=spec.get("ExpressionAttributeNames"),  # type: ignore[arg-type]
            expression_attribute_values=spec.get("ExpressionAttributeValues"),  # type: ignore[arg-type]
        )


def _restore(op: _Op, item: Item | None) -> None:
    items: Any = op.table.items
    if op.range_key is not None:
        items = items[op.hash_key]
        key: DynamoType = op.range_key
    else:
        key = op.hash_key
    if item is None:
        items.pop(key, None)
    else:
        items[key] = item


# ------------------------------------------------------------------ upsert stream record


def _update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    """moto's UpdateItem, streaming one INSERT (not two) when it creates the item."""
    table = self.get_table(table_name)
    shard = table.stream_shard
    length = len(shard.items) if shard is not None else 0
    item = _moto_update_item(self, table_name, key, *args, **kwargs)
    if shard is not None and len(shard.items) == length + 2 and shard.items[length].record["eventName"] == "INSERT":
        # The first record is moto's key-only placeholder: the second takes its sequence number.
        kept = shard.items.pop()
        kept.record["dynamodb"]["SequenceNumber"] = shard.items[length].record["dynamodb"]["SequenceNumber"]
        shard.items[length] = kept
    return item


# ------------------------------------------------------------------ instance tracking


def _new_model(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    """moto's BaseModel.__new__, minus the list that keeps every instance alive (but S3's)."""
    instance = super(BaseModel, cls).__new__(cls)
    if cls.__module__.startswith("moto.s3."):
        cls.instances_tracked.append(instance)  # type: ignore[attr-defined]
    return instance


# ------------------------------------------------------------------ stream retention

_moto_stream_add = StreamShard.add


def _stream_add(self: StreamShard, old: Item | None, new: Item | None) -> None:
    """Record a change, dropping records older than the retention period first."""
    horizon = _utcnow() - STREAM_RETENTION
    expired = 0
    for record in self.items:
        if record.record["dynamodb"]["ApproximateCreationDateTime"] >= horizon:
            break
        expired += 1
    if expired:
        # Sequence numbers are positions counted from starting_sequence_number: move it along.
        del self.items[:expired]
        self.starting_sequence_number += expired
    _moto_stream_add(self, old, new)


def _stream_get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """Records from sequence number ``start``; an iterator behind the trim horizon reads from it.

    DynamoDB answers TrimmedDataAccessException there; Lambda's mappings then carry on from the
    oldest record kept, which is what a reader here gets.
    """
    offset = max(0, start - self.starting_sequence_number)
    return [record.to_json() for record in self.items[offset : offset + quantity]]


def _utcnow() -> dt.datetime:
    return utcnow()  # naive UTC, as moto stamps records
