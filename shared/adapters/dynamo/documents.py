"""One way to store an aggregate as a DynamoDB item (issue 18: a generic document table instead
of a hand-written table class and ``get`` per kind).

An aggregate is one item: its whole self in ``doc`` (minus its version, which is the item's
``version`` attribute), and beside it the top-level attributes its indexes read — its key
included. The unit of work writes it with a versioned Put (``attribute_not_exists`` when new,
``version = read`` when changed); a listed kind is also stamped with its list attributes
(listing.py). Reading it back is one consistent GetItem.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pynamodb.models import Model

from shared.adapters.dynamo.faults import read_again
from shared.adapters.dynamo.listing import stamp
from shared.adapters.dynamo.models import PLAIN, PLAIN_MODELS


class Document(Protocol):
    version: int

    def to_dict(self) -> dict[str, Any]: ...


A = TypeVar("A", bound=Document)


@dataclass(frozen=True)
class DocumentTable(Generic[A]):
    kind: str  # the subject kind (``case`` of ``case/cs_…``), also its list kind
    model: type[Model]
    load: Callable[[dict[str, Any]], A]  # the aggregate from its ``doc``
    is_id: Callable[[str], bool]  # an id this kind could have (anything else is not looked up)
    indexed: Callable[[A], dict[str, Any]]  # the item's top-level attributes, its key included
    listed: bool = True  # stamped with the list attributes (CONTRACT §11)

    def item(self, aggregate: A) -> Model:
        doc = {k: v for k, v in aggregate.to_dict().items() if k != "version"}
        return self.model(**self.indexed(aggregate), doc=doc)

    def put(self, aggregate: A, expected_version: int | None) -> dict[str, Any]:
        """The Put of a transaction (the unit of work's AggregateTable)."""
        item = self.item(aggregate)
        if self.listed:
            stamp(item, self.kind, aggregate)
        if expected_version is not None:
            item.version = expected_version  # type: ignore[attr-defined]  # the save adds "version = expected"
        kwargs: dict[str, Any] = item.get_save_kwargs_from_instance()
        return kwargs

    def key(self, subject_id: str) -> tuple[str, dict[str, Any]]:
        return self.model.Meta.table_name, {str(self.model._hash_keyname): {"S": subject_id}}

    def from_item(self, item: Model) -> A:
        aggregate = self.load(dict(item.doc))  # type: ignore[attr-defined]
        aggregate.version = int(item.version or 0)  # type: ignore[attr-defined]
        return aggregate

    def page(self, limit: int, after: str | None = None) -> tuple[list[A], str | None]:
        """Up to ``limit`` aggregates after the id ``after`` in one Scan page, and where the next
        page starts (None: that was the last): for sweeps that visit every one anyway, so a Scan
        reads each once. A page AWS sheds is read again (faults.read_again): one shed page does
        not end the sweep."""
        key = str(self.model._hash_keyname)
        start = {key: {"S": after}} if after else None

        def scan() -> tuple[list[Model], dict[str, Any] | None]:
            results = self.model.scan(limit=limit, page_size=limit, last_evaluated_key=start)
            return list(results), results.last_evaluated_key

        items, last = read_again(scan)
        return [self.from_item(item) for item in items], (str(last[key]["S"]) if last else None)

    def get(self, ident: str) -> A | None:
        """The aggregate, read consistently; None when there is none (or the id cannot be one)."""
        if not self.is_id(ident):
            return None
        try:
            return self.from_item(self.model.get(ident, consistent_read=True))
        except self.model.DoesNotExist:
            return None


_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")  # what a plain kind's id may be: anything else is not looked up


def _plain(kind: str, aggregate: str) -> DocumentTable[Any]:
    """The table of a kind models.py PLAIN declares: read by its id only, no index, no list."""
    module, _, name = aggregate.partition(":")

    def load(doc: dict[str, Any]) -> Any:
        return getattr(importlib.import_module(module), name).from_dict(doc)

    def indexed(document: Any) -> dict[str, Any]:
        return {f"{kind}_id": getattr(document, f"{kind}_id")}

    return DocumentTable(kind, PLAIN_MODELS[kind], load, lambda text: bool(_ID.fullmatch(text)), indexed, False)


PLAIN_DOCUMENTS = {aggregate: _plain(kind, aggregate) for kind, aggregate in PLAIN.items()}  # by "module:Class"
