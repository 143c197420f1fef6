"""Rules versions in DynamoDB.

Layout (table ``closeloop-rules``):
- ``pk=content#<id>, sk=chunk#NNNN``: the gzip'd canonical JSON content, in chunks that fit
  DynamoDB's 400 KB item limit. Written first; invisible until a version points at them.
- ``pk=versions, sk=vNNNNNN``: one immutable record per version (id, number, hash, time,
  source, row counts).
- ``pk=active, sk=pointer``: which version the functions use.
A version record, the pointer move and its ``RulesPublished`` event commit in one transaction.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from shared.adapters.dynamo.models import RulesItem
from shared.adapters.outbox import outbox_put
from shared.kernel.domain.events import Event
from shared.rules.domain.rules import Content
from shared.rules.services.rules_publishing import ActivationConflict, VersionRecord

CHUNK_BYTES = 350_000


def _record(item: RulesItem) -> VersionRecord:
    meta = dict(item.meta or {})
    return VersionRecord(
        version_id=str(item.version_id),
        number=int(item.number or 0),
        content_hash=str(item.content_hash),
        created_at=str(meta.get("created_at", "")),
        source=str(meta.get("source", "")),
        row_counts=dict(meta.get("row_counts", {})),
        activated_at=meta.get("activated_at"),
        held_hash=meta.get("held_hash"),
    )


class DynamoRulesStore:
    def __init__(self, connection: Connection | None = None) -> None:
        self._connection = connection or Connection(region=RulesItem.Meta.region)

    def active(self) -> VersionRecord | None:
        """One small read: the pointer to the active version."""
        try:
            return _record(RulesItem.get("active", "pointer", consistent_read=True))
        except RulesItem.DoesNotExist:
            return None

    def versions(self) -> list[VersionRecord]:
        return [_record(item) for item in RulesItem.query("versions", consistent_read=True)]

    def content(self, version_id: str) -> Content:
        chunks = [item.chunk for item in RulesItem.query(f"content#{version_id}", consistent_read=True)]
        if not chunks:
            raise LookupError(f"rules version {version_id} has no stored content")
        data: Content = json.loads(gzip.decompress(b"".join(c for c in chunks if c)))
        return data

    def save_content(self, version_id: str, content: Content) -> None:
        blob = gzip.compress(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        with RulesItem.batch_write() as batch:
            for n, start in enumerate(range(0, len(blob), CHUNK_BYTES)):
                batch.save(
                    RulesItem(pk=f"content#{version_id}", sk=f"chunk#{n:04d}", chunk=blob[start : start + CHUNK_BYTES])
                )

    def activate(
        self,
        record: VersionRecord,
        previous: VersionRecord | None,
        event: Event,
        *,
        new: bool,
        held_hash: str | None = None,
    ) -> None:
        """Record the version (when new) and move the pointer, only if nobody moved it meanwhile."""
        meta = {**record.to_dict(), "activated_at": event.envelope()["time"], "held_hash": held_hash}
        pointer = RulesItem(
            pk="active",
            sk="pointer",
            version_id=record.version_id,
            number=record.number,
            content_hash=record.content_hash,
            meta=meta,
        )
        guard: Any = RulesItem.pk.does_not_exist()
        if previous is not None:
            guard = RulesItem.version_id == previous.version_id
        puts = [pointer.get_save_kwargs_from_instance(condition=guard)]
        if new:
            stored = RulesItem(
                pk="versions",
                sk=f"v{record.number:06d}",
                version_id=record.version_id,
                number=record.number,
                content_hash=record.content_hash,
                meta=record.to_dict(),
            )
            puts.append(stored.get_save_kwargs_from_instance(condition=RulesItem.pk.does_not_exist()))
        puts.append(outbox_put(event))
        try:
            self._connection.transact_write_items(
                condition_check_items=[], delete_items=[], put_items=puts, update_items=[]
            )
        except TransactWriteError as exc:
            raise ActivationConflict(str(exc)) from None

    def record_event(self, event: Event) -> None:
        self._connection.client.put_item(**outbox_put(event))

    def last_rejection(self, source: str) -> str | None:
        try:
            return RulesItem.get("rejected", source[:1024], consistent_read=True).content_hash
        except RulesItem.DoesNotExist:
            return None

    def remember_rejection(self, source: str, digest: str | None) -> None:
        # overwritten, never deleted: rules-sync's role has no DeleteItem
        RulesItem(pk="rejected", sk=source[:1024], content_hash=digest).save()
