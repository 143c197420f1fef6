"""Lists of aggregates (CONTRACT §11) from DynamoDB: every listed kind's table has a
``by_recency`` index — ``list_shard`` (one of a few), ``listed_at`` (``<time>#<id>``), with the
filtered values in ``list_fields`` — written with the aggregate by :func:`stamp`.

A page is one descending Query per shard (the filters a FilterExpression on ``list_fields``),
each reading until it has one match more than the page or its shard is done; the shards are
merged newest first. The one extra match tells whether anything follows, so the last page has no
cursor. A list page (:meth:`DynamoLists.rows`) is the index alone: each entry carries its row
(``list_fields["_row"]``), at the index's eventual consistency (a change shows within about a
second). Those who need the aggregates (:meth:`DynamoLists.page`, the Work tab) read them whole in
one consistent BatchGetItem, as is an entry written before rows were stored or with a row of an
older shape (its ``_row_version`` is not the listing's ``row_version``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pynamodb.connection import Connection
from pynamodb.models import Model

from shared.adapters.dynamo.faults import batch_get
from shared.adapters.dynamo.models import (
    AccountItem,
    CaseItem,
    ContractItem,
    InvoiceItem,
    ListedIndex,
    OpportunityItem,
    OrderItem,
    QuoteItem,
)
from shared.composition.services.list_specs import BY_KIND
from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract
from shared.fulfilment.domain.orders import ListedInvoice, Order
from shared.kernel.domain.stored_json import dumps
from shared.kernel.services.listing import (
    LIST_SHARDS,
    ListCondition,
    Listing,
    ListPage,
    ListPosition,
    matches,
    stored_listing,
)
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.quotes import Quote
from shared.service_desk.domain.cases import Case

# kind -> (its item model, the aggregate class its doc holds)
STORED: dict[str, tuple[type[Model], Any]] = {
    "case": (CaseItem, Case),
    "opportunity": (OpportunityItem, Opportunity),
    "quote": (QuoteItem, Quote),
    "contract": (ContractItem, Contract),
    "order": (OrderItem, Order),
    "account": (AccountItem, Account),
    "invoice": (InvoiceItem, ListedInvoice),
}

_TOP = "~"  # sorts after every time: no upper bound
_BOTTOM = " "  # sorts before every list key (a key may not be empty)
_MIN_PAGE = 100  # items read per Query at least (a selective filter would otherwise take many trips)
ROW = "_row"  # list_fields' key for the page row (JSON text); no filter is named so
ROW_VERSION = "_row_version"  # the listing's row_version the row was written with


def stamp(item: Model, kind: str, aggregate: Any) -> None:
    """Give an item its list attributes (called by each listed kind's table put)."""
    listed = stored_listing(BY_KIND[kind], aggregate)
    item.list_shard = listed.shard  # type: ignore[attr-defined]
    item.listed_at = listed.key  # type: ignore[attr-defined]
    row = {ROW: dumps(listed.row), ROW_VERSION: str(BY_KIND[kind].row_version)}
    item.list_fields = {**listed.fields, **row}  # type: ignore[attr-defined]


class DynamoLists:
    def __init__(self, connection: Connection | None = None) -> None:
        self._connection = connection or Connection(region=CaseItem.Meta.region)

    @property
    def client(self) -> Any:
        return self._connection.client

    def page(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        listed, more, _ = self._listed(listing, conditions, since, limit, after, with_rows=False)
        ids = [key.rpartition("#")[2] for key in listed]
        return ListPage(self._checked(listing, conditions, ids), ListPosition(listed[-1]) if more else None)

    def rows(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None = None,
    ) -> ListPage:
        listed, more, stored = self._listed(listing, conditions, since, limit, after, with_rows=True)
        unrowed = [key.rpartition("#")[2] for key in listed if key not in stored]
        whole = {listing.id_of(a): listing.summary(a) for a in self._checked(listing, conditions, unrowed)}
        rows = []
        for key in listed:
            row = json.loads(stored[key]) if key in stored else whole.get(key.rpartition("#")[2])
            if row is not None:
                rows.append(row)
        return ListPage(rows, ListPosition(listed[-1]) if more else None)

    def _listed(
        self,
        listing: Listing,
        conditions: tuple[ListCondition, ...],
        since: str | None,
        limit: int,
        after: ListPosition | None,
        with_rows: bool,
    ) -> tuple[list[str], bool, dict[str, str]]:
        """The page's list keys, newest first, whether more follow, and the rows stored with them
        (list key -> JSON text) when asked for."""
        table = STORED[listing.kind][0].Meta.table_name
        shards = [
            _ShardReader(
                self.client,
                table,
                str(n),
                since or _BOTTOM,
                after,
                conditions,
                listing.row_version if with_rows else None,
            )
            for n in range(LIST_SHARDS)
        ]
        listed = _merge(shards, limit + 1)
        rows = {key: row for shard in shards for key, row in shard.rows.items()}
        return listed[:limit], len(listed) > limit, rows

    def _checked(self, listing: Listing, conditions: tuple[ListCondition, ...], ids: list[str]) -> list[Any]:
        """The aggregates, read whole, that still meet the conditions: the index is eventually
        consistent, and an aggregate changed a moment ago is checked as read now."""
        model, aggregate_class = STORED[listing.kind]
        return [
            aggregate
            for aggregate in self._whole(model, aggregate_class, ids)
            if matches(stored_listing(listing, aggregate).fields, conditions)
        ]

    def _whole(self, model: type[Model], aggregate_class: Any, ids: list[str]) -> list[Any]:
        """The page's aggregates (their ``doc`` and version only: the rest of an item serves indexes)."""
        if not ids:
            return []
        table, key = model.Meta.table_name, str(model._hash_keyname)
        request = {
            table: {
                "Keys": [{key: {"S": i}} for i in dict.fromkeys(ids)],
                "ConsistentRead": True,
                "ProjectionExpression": "#key, #doc, #version",
                "ExpressionAttributeNames": {"#key": key, "#doc": "doc", "#version": "version"},
            }
        }
        found: dict[str, Any] = {}
        for raw in batch_get(self.client, request).get(table, []):
            aggregate = aggregate_class.from_dict(json.loads(raw["doc"]["S"]))
            aggregate.version = int(raw.get("version", {}).get("N", 0))
            found[raw[key]["S"]] = aggregate
        return [found[i] for i in ids if i in found]


def _merge(shards: list[_ShardReader], wanted: int) -> list[str]:
    """The newest ``wanted`` list keys across the shards. Each shard is read a share at a time, and
    read again only while it may still hold a key newer than the ``wanted``-th seen so far: about
    ``wanted`` index entries are read in all, not ``wanted`` from every shard."""
    # a shard's share of the newest keys, and two standard deviations more (shards are filled at
    # random): a second round of reads is rare
    mean = wanted / len(shards)
    share = math.ceil(mean + 2 * math.sqrt(mean)) + 1
    for shard in shards:
        shard.read(share)
    while True:
        keys = sorted((k for shard in shards for k in shard.keys), reverse=True)
        cutoff = keys[wanted - 1] if len(keys) >= wanted else None
        behind = [s for s in shards if not s.done and (cutoff is None or not s.keys or s.keys[-1] > cutoff)]
        if not behind:
            return keys[:wanted]
        for shard in behind:
            shard.read(share)


class _ShardReader:
    """One shard of a list index, read newest first in [low, after), a Query at a time."""

    def __init__(
        self,
        client: Any,
        table: str,
        shard: str,
        low: str,
        after: ListPosition | None,
        conditions: tuple[ListCondition, ...],
        row_version: int | None = None,
    ) -> None:
        self._client = client
        with_rows = row_version is not None
        self._row_version = str(row_version)
        self._upper = after.key if after else _TOP
        names = {"#shard": "list_shard", "#at": "listed_at", "#fields": "list_fields"}
        values: dict[str, Any] = {":shard": {"S": shard}, ":low": {"S": low}, ":upper": {"S": self._upper}}
        self._request: dict[str, Any] = {
            "TableName": table,
            "IndexName": ListedIndex.Meta.index_name,
            "KeyConditionExpression": "#shard = :shard AND #at BETWEEN :low AND :upper",
            "ScanIndexForward": False,
            # the row and its version only (not the filtered values): a page reads what it shows
            "ProjectionExpression": "#at, #fields.#row, #fields.#version" if with_rows else "#at",
        }
        expression = _filter(conditions, names, values)
        if with_rows:
            names |= {"#row": ROW, "#version": ROW_VERSION}
        elif not expression:
            del names["#fields"]  # DynamoDB refuses a name no expression uses
        if expression:
            self._request["FilterExpression"] = expression
        self._request["ExpressionAttributeNames"], self._request["ExpressionAttributeValues"] = names, values
        self._filtered = bool(expression)
        self.keys: list[str] = []
        self.rows: dict[str, str] = {}  # list key -> its stored row, when asked for and stored
        self.done = False

    def read(self, count: int) -> None:
        """At least ``count`` more matching keys, or to the shard's end."""
        target = len(self.keys) + count
        while not self.done and len(self.keys) < target:
            # a filter drops entries after the Limit counts them: then read a larger stretch at once
            step = max(target - len(self.keys), _MIN_PAGE) if self._filtered else target - len(self.keys)
            response = self._client.query(**self._request, Limit=step)
            # BETWEEN is inclusive: the cursor's own entry was on the previous page
            for item in response.get("Items", []):
                if (key := item["listed_at"]["S"]) == self._upper:
                    continue
                self.keys.append(key)
                stored = item.get("list_fields", {}).get("M", {})
                if ROW in stored and stored.get(ROW_VERSION, {}).get("S") == self._row_version:
                    self.rows[key] = stored[ROW]["S"]
            if "LastEvaluatedKey" in response:
                self._request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            else:
                self.done = True


def _filter(conditions: tuple[ListCondition, ...], names: dict[str, str], values: dict[str, Any]) -> str:
    """``list_fields.<field> IN (...)`` / ``< :value``, all of them."""
    names["#fields"] = "list_fields"
    parts = []
    for n, condition in enumerate(conditions):
        names[f"#f{n}"] = condition.field
        if condition.compare == "before":
            values[f":f{n}"] = {"S": condition.values[0]}
            parts.append(f"#fields.#f{n} < :f{n}")
        else:
            placeholders = []
            for m, value in enumerate(condition.values):
                values[f":f{n}_{m}"] = {"S": value}
                placeholders.append(f":f{n}_{m}")
            parts.append(f"#fields.#f{n} IN ({', '.join(placeholders)})")
    return " AND ".join(parts)
