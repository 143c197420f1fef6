"""Customer segments by RFM (CONTRACT §15). Pure: time is passed in.

- **R** ``recency_days``: whole days from the account's latest order to ``now``;
  **F** ``frequency``: its orders in the last Settings ``rfm_window_days``;
  **M** ``monetary``: the sum of those orders' amounts (Decimal, written as text).
- The Segments tab: the first row by ascending ``priority`` whose bounds all hold (inclusive; an
  empty bound is no bound) gives the segment; none → ``unsegmented``. An account without orders
  has no RFM and no segment.

The account keeps a small ledger of its orders (``purchases``: order id, time, amount), written in
the same transaction as the order, so RFM is computed from the account alone: the sweep reads one
item per account, an order costs no extra read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.customers.domain.accounts import Account
from shared.customers.domain.renewals import notify_people
from shared.kernel.domain.events import Event, iso, parse_iso
from shared.rules.domain.rules import Owner

UNSEGMENTED = "unsegmented"
DEFAULT_WINDOW_DAYS = 365
MAX_PURCHASES = 1000  # one DynamoDB item: the oldest orders give way (they are outside any window)
BOUNDS = ("recency_days", "frequency", "monetary")


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """One Segments row; ``None`` bounds hold for anything."""

    priority: int
    segment: str
    min_recency_days: int | None = None
    max_recency_days: int | None = None
    min_frequency: int | None = None
    max_frequency: int | None = None
    min_monetary: Decimal | None = None
    max_monetary: Decimal | None = None
    notify: tuple[str, ...] = ()
    note: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SegmentRow:
        def whole(name: str) -> int | None:
            value = row.get(name)
            return None if value is None else int(value)

        def amount(name: str) -> Decimal | None:
            value = row.get(name)
            return None if value is None else Decimal(str(value))

        return cls(
            priority=int(row["priority"]),
            segment=str(row["segment"]),
            min_recency_days=whole("min_recency_days"),
            max_recency_days=whole("max_recency_days"),
            min_frequency=whole("min_frequency"),
            max_frequency=whole("max_frequency"),
            min_monetary=amount("min_monetary"),
            max_monetary=amount("max_monetary"),
            notify=tuple(str(r) for r in row.get("notify") or ()),
            note=str(row["note"]) if row.get("note") else None,
        )

    def holds(self, rfm: Rfm) -> bool:
        return (
            _within(rfm.recency_days, self.min_recency_days, self.max_recency_days)
            and _within(rfm.frequency, self.min_frequency, self.max_frequency)
            and _within(rfm.monetary, self.min_monetary, self.max_monetary)
        )

    def view(self) -> dict[str, Any]:
        """The row as events and the account show it (amounts as text)."""
        out: dict[str, Any] = {"priority": self.priority, "segment": self.segment}
        for name in ("recency_days", "frequency", "monetary"):
            for side in ("min", "max"):
                value = getattr(self, f"{side}_{name}")
                out[f"{side}_{name}"] = str(value) if isinstance(value, Decimal) else value
        out["notify"] = list(self.notify)
        out["note"] = self.note
        return out


def _within(value: int | Decimal, low: int | Decimal | None, high: int | Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass(frozen=True)
class SegmentPolicy:
    """The Segments tab (by ascending priority) and Settings ``rfm_window_days``."""

    rows: tuple[SegmentRow, ...]
    window_days: int = DEFAULT_WINDOW_DAYS

    @classmethod
    def from_content(cls, rows: Iterable[Mapping[str, Any]], window_days: int | None) -> SegmentPolicy:
        parsed = sorted((SegmentRow.from_row(r) for r in rows), key=lambda r: r.priority)
        return cls(tuple(parsed), DEFAULT_WINDOW_DAYS if not window_days else int(window_days))


@dataclass(frozen=True)
class Rfm:
    recency_days: int
    frequency: int
    monetary: Decimal

    def view(self, computed_at: datetime) -> dict[str, Any]:
        return {
            "recency_days": self.recency_days,
            "frequency": self.frequency,
            "monetary": str(self.monetary),
            "computed_at": iso(computed_at),
        }


def rfm_of(purchases: Sequence[Mapping[str, Any]], now: datetime, window_days: int) -> Rfm | None:
    """RFM at ``now`` from ``[{"at", "amount"}]``; None without orders. Orders recorded after
    ``now`` (a sweep run for an earlier instant) do not count yet."""
    dated = [(parse_iso(str(p["at"])), Decimal(str(p["amount"]))) for p in purchases]
    dated = [(at, amount) for at, amount in dated if at <= now]
    if not dated:
        return None
    latest = max(at for at, _ in dated)
    since = now - timedelta(days=window_days)
    recent = [amount for at, amount in dated if at > since]
    return Rfm((now - latest) // timedelta(days=1), len(recent), sum(recent, Decimal(0)))


def first_match(rfm: Rfm, rows: Sequence[SegmentRow]) -> SegmentRow | None:
    """The first row (by ascending priority) whose bounds all hold; None: unsegmented."""
    for row in sorted(rows, key=lambda r: r.priority):
        if row.holds(rfm):
            return row
    return None


def record_purchase(purchases: list[dict[str, Any]], order_id: str, at: str, amount: str) -> bool:
    """Add an order to the account's ledger (once per order, oldest first); False if it was there."""
    if any(p["order_id"] == order_id for p in purchases):
        return False
    purchases.append({"order_id": order_id, "at": at, "amount": amount})
    purchases.sort(key=lambda p: str(p["at"]))
    del purchases[:-MAX_PURCHASES]
    return True


@dataclass(frozen=True)
class Resegment:
    """What recomputing one account gave: its RFM (None: no orders), the row that matched, and
    whether anything is to be stored; ``event`` when the segment changed."""

    rfm: Rfm | None
    row: SegmentRow | None
    changed: bool
    event: Event | None = None


def resegment(
    account: Account,
    policy: SegmentPolicy,
    owners: Mapping[str, Owner],
    now: datetime,
    rules_version: str | None,
    manager_for: Callable[[Account], str | None] | None = None,
) -> Resegment:
    """Compute the account's RFM and segment at ``now`` and keep them on it (``segment``,
    ``segment_since``, ``rfm``, ``segment_row``); ``AccountSegmentChanged`` when the segment is
    not the one it had, telling the new row's ``notify`` roles (up the account manager's chain).
    ``manager_for``: on a change, the account manager the account's new segment calls for (a
    Routing row with ``object`` = account naming it), or None to keep the one it has."""
    rfm = rfm_of(account.purchases, now, policy.window_days)
    if rfm is None:
        return Resegment(None, None, False)
    row = first_match(rfm, policy.rows)
    segment = row.segment if row else UNSEGMENTED
    row_view = row.view() if row else None
    before = {k: v for k, v in (account.rfm or {}).items() if k != "computed_at"}
    now_rfm = rfm.view(now)
    same_rfm = before == {k: v for k, v in now_rfm.items() if k != "computed_at"}
    if account.segment == segment and same_rfm and account.segment_row == row_view:
        return Resegment(rfm, row, False)
    event = None
    if account.segment != segment:
        previous_manager, previous_segment = account.account_manager_id, account.segment
        account.segment, account.segment_since = segment, iso(now)
        moved_to = manager_for(account) if manager_for else None
        if moved_to and moved_to != previous_manager:
            account.apply({"account_manager_id": moved_to}, iso(now), f"segment:{segment}")
        data = {
            "account_id": account.account_id,
            "company": account.company,
            "from": previous_segment,
            "to": segment,
            "rfm": now_rfm,
            "segment_row": row_view,
            "owner_id": account.account_manager_id,
            "previous_owner_id": previous_manager if account.account_manager_id != previous_manager else None,
            "notify": notify_people(account.account_manager_id, row.notify, owners) if row else [],
            "note": row.note if row else None,
        }
        event = Event("AccountSegmentChanged", account.subject, now, data, rules_version=rules_version)
    account.rfm, account.segment_row = now_rfm, row_view
    return Resegment(rfm, row, True, event)


__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "UNSEGMENTED",
    "Resegment",
    "Rfm",
    "SegmentPolicy",
    "SegmentRow",
    "first_match",
    "record_purchase",
    "resegment",
    "rfm_of",
]
