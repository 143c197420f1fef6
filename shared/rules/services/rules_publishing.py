"""publish_rules: validated rules content becomes the active, immutable version — or nothing
changes and the last good version stays live."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Clock
from shared.rules.domain.rules import Content, content_hash
from shared.time.domain.calendar_cells import PUBLIC_HOLIDAYS_TAB, public_holidays_rows


@dataclass(frozen=True)
class VersionRecord:
    """One published version: immutable once written; the active pointer carries a copy."""

    version_id: str
    number: int
    content_hash: str
    created_at: str
    source: str
    row_counts: dict[str, int]
    activated_at: str | None = None
    held_hash: str | None = None  # on the pointer after a rollback: the content rolled back from

    def to_dict(self) -> dict[str, Any]:
        return {
            "version_id": self.version_id,
            "number": self.number,
            "content_hash": self.content_hash,
            "created_at": self.created_at,
            "source": self.source,
            "row_counts": self.row_counts,
        }


class ActivationConflict(Exception):
    """Another publisher moved the active pointer first."""


class RulesStore(Protocol):
    def active(self) -> VersionRecord | None: ...
    def versions(self) -> list[VersionRecord]: ...
    def content(self, version_id: str) -> Content: ...
    def save_content(self, version_id: str, content: Content) -> None: ...
    def activate(
        self,
        record: VersionRecord,
        previous: VersionRecord | None,
        event: Event,
        *,
        new: bool,
        held_hash: str | None = None,
    ) -> None: ...
    def record_event(self, event: Event) -> None: ...
    def last_rejection(self, source: str) -> str | None: ...
    def remember_rejection(self, source: str, digest: str | None) -> None: ...


# published | unchanged | rejected | rolled_back | conflict (another publisher won)
# | valid (dry run) | failed (source unreadable)
# | held (the source still has the rules that were rolled back; edit it to publish again)
PublishStatus = Literal["published", "unchanged", "rejected", "rolled_back", "conflict", "valid", "failed", "held"]


@dataclass(frozen=True)
class PublishResult:
    status: PublishStatus
    version_id: str | None  # the version live after this
    number: int | None = None
    problems: list[str] = field(default_factory=list)
    report_error: str | None = None  # the result could not be written back into the sheet
    warnings: list[str] = field(default_factory=list)  # told, but they did not stop publishing


def version_id_for(number: int, digest: str) -> str:
    return f"v{number}-{digest[:8]}"


def publish_rules(
    content: Content | None, problems: list[str], source: str, store: RulesStore, clock: Clock
) -> PublishResult:
    """Publish valid content as a new version; reject invalid content with every problem."""
    now = clock()
    active = store.active()
    if content is None or problems:
        return _reject(problems, source, store, active, now)
    if store.last_rejection(source) is not None:
        store.remember_rejection(source, None)  # fixed: a later rejection is news again
    digest = content_hash(content)
    if active is not None and active.content_hash == digest:
        return PublishResult("unchanged", active.version_id, active.number)
    if active is not None and active.held_hash == digest:
        # the workbook still holds the rules someone rolled back: keep the rollback until it changes
        return PublishResult("held", active.version_id, active.number)
    number = max((v.number for v in store.versions()), default=0) + 1
    version_id = version_id_for(number, digest)
    row_counts = {tab: len(rows) for tab, rows in content.items()}
    record = VersionRecord(
        version_id=version_id,
        number=number,
        content_hash=digest,
        created_at=iso(now),
        source=source,
        row_counts=row_counts,
    )
    # resolved now, so the functions using these rules never import `holidays` (a cold start)
    stored = {**content, PUBLIC_HOLIDAYS_TAB: public_holidays_rows(content, now.date())}
    store.save_content(version_id, stored)
    data = {
        "version_id": version_id,
        "number": number,
        "content_hash": digest,
        "source": source,
        "row_counts": row_counts,
    }
    try:
        store.activate(record, active, Event("RulesPublished", f"rules/{version_id}", now, data, version_id), new=True)
    except ActivationConflict:
        return _conflict(store)
    return PublishResult("published", version_id, number)


def _reject(
    problems: list[str], source: str, store: RulesStore, active: VersionRecord | None, now: datetime
) -> PublishResult:
    """Nothing is published; RulesRejected tells it once per distinct set of problems."""
    live = active.version_id if active else None
    digest = hashlib.sha256("\n".join(problems).encode("utf-8")).hexdigest()
    if store.last_rejection(source) != digest:  # not the same bad workbook read again 5 minutes later
        store.remember_rejection(source, digest)
        data = {"source": source, "problems": problems[:500], "problem_count": len(problems)}
        store.record_event(Event("RulesRejected", f"rules/{source}", now, data, rules_version=live))
    return PublishResult("rejected", live, problems=problems)


def _conflict(store: RulesStore) -> PublishResult:
    active = store.active()
    message = "another publish changed the active rules version at the same moment; run the sync again"
    return PublishResult("conflict", active.version_id if active else None, problems=[message])


def find_version(store: RulesStore, version_ref: str) -> VersionRecord:
    """A published version by id (``v3-1a2b3c4d``), number (``3``) or ``v3``; LookupError if none."""
    for version in store.versions():
        if version_ref in (version.version_id, str(version.number), f"v{version.number}"):
            return version
    raise LookupError(f"no rules version {version_ref!r}; `closeloop rules versions` lists them")


def rollback_rules(version_ref: str, store: RulesStore, clock: Clock) -> PublishResult:
    """Re-activate an earlier version (by id like ``v3-1a2b3c4d`` or number ``3``)."""
    target = find_version(store, version_ref)
    active = store.active()
    if active is not None and active.version_id == target.version_id:
        return PublishResult("unchanged", target.version_id, target.number)
    now = clock()
    data = {
        "version_id": target.version_id,
        "number": target.number,
        "content_hash": target.content_hash,
        "from": active.version_id if active else None,
    }
    event = Event("RulesRolledBack", f"rules/{target.version_id}", now, data, rules_version=target.version_id)
    try:
        store.activate(target, active, event, new=False, held_hash=active.content_hash if active else None)
    except ActivationConflict:
        return _conflict(store)
    return PublishResult("rolled_back", target.version_id, target.number)


# ------------------------------------------------------------------ rules-sync


class SourceUnreadable(Exception):
    """The rule source could not be read (or written back to); the message is for the operator."""


@dataclass
class ReadRules:
    """What a source read: content when valid, and every problem as ``Tab!Cell: message``."""

    content: Content | None
    problems: list[str]
    warnings: list[str] = field(default_factory=list)  # e.g. holidays the package only estimates


class RuleSource(Protocol):
    """A workbook to publish from: a folder of CSVs, an xlsx file, a Google spreadsheet."""

    name: str

    def read(self) -> ReadRules: ...  # SourceUnreadable when it cannot

    def report(self, result: PublishResult, at: datetime) -> None: ...  # tell the sheet; may be a no-op


class RulesCacheControl(Protocol):
    def invalidate(self) -> None: ...


def sync_rules(
    source: RuleSource, store: RulesStore, cache: RulesCacheControl, clock: Clock, *, dry_run: bool = False
) -> PublishResult:
    """rules-sync: read the whole workbook, publish it or keep the last good version, tell the sheet."""
    try:
        read = source.read()
    except SourceUnreadable as exc:
        return _unreadable(source.name, str(exc), store, clock, dry_run=dry_run)
    if dry_run:
        status: PublishStatus = "rejected" if read.problems else "valid"
        return PublishResult(status, _live(store), problems=read.problems, warnings=read.warnings)
    result = replace(publish_rules(read.content, read.problems, source.name, store, clock), warnings=read.warnings)
    cache.invalidate()
    if result.status == "conflict":  # the other publisher reports its own result
        return result
    try:
        source.report(result, clock())
    except SourceUnreadable as exc:  # the version stands; only the report back to the sheet failed
        return replace(result, report_error=str(exc))
    return result


def _live(store: RulesStore) -> str | None:
    active = store.active()
    return active.version_id if active else None


def _unreadable(source: str, message: str, store: RulesStore, clock: Clock, *, dry_run: bool) -> PublishResult:
    """Nothing is published; the last good version stays live and RulesSyncFailed says why."""
    version = _live(store)
    if not dry_run:
        data = {"source": source, "error": message}
        store.record_event(Event("RulesSyncFailed", f"rules/{source}", clock(), data, rules_version=version))
    return PublishResult("failed", version, problems=[message])
