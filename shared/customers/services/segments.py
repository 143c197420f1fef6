"""Customer segments (CONTRACT §15): an account's RFM and segment recomputed when an order is
recorded (inside the order's own transaction: the account is saved there anyway, so a segment
costs no extra request) and by the daily ``segment-sweep``.

``AccountSegmentChanged`` and the alerts to the new row's ``notify`` roles go in the same Change
as the account, so they are recorded once per change, whichever of the two sees it first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.customers.domain.accounts import Account
from shared.customers.domain.segments import UNSEGMENTED, SegmentPolicy, first_match, record_purchase, resegment, rfm_of
from shared.customers.services.account_managers import segment_manager
from shared.customers.services.account_sweep import sweep_accounts
from shared.deliveries.services.alerts import alert_deliveries
from shared.fulfilment.domain.orders import Order
from shared.fulfilment.services.ports import OrdersWork
from shared.kernel.domain.errors import Conflict
from shared.kernel.services.ports import Change, Save
from shared.rules.domain.active import ActiveRules

BUSY = "this account is being changed by many requests at once; please retry"
PAGE_SIZE = 100
MAX_LISTED_FAILURES = 20


def policy_of(active: ActiveRules) -> SegmentPolicy:
    return SegmentPolicy.from_content(active.rules.content.get("Segments", []), active.rules.settings.rfm_window_days)


def segment_effects(account: Account, active: ActiveRules, uow: OrdersWork, now: datetime) -> Change | None:
    """Recompute the account's segment now (changing it in place, and its account manager when a
    Routing row names the new segment). None: nothing to store; else the event and the alerts of
    a change of segment (the caller saves the account)."""

    def manager_for(changed: Account) -> str | None:
        return segment_manager(changed, active, uow)

    result = resegment(account, policy_of(active), active.rules.owners, now, active.version, manager_for)
    if not result.changed:
        return None
    change = Change()
    if result.event is not None:
        change.events.append(result.event)
        alerts = alert_deliveries([result.event], account.company, active, result.event.id, now)
        change.saves.extend(Save(d, None) for d in alerts)
    return change


def order_segment(account: Account, order: Order, active: ActiveRules, uow: OrdersWork, now: datetime) -> Change:
    """For the order's own transaction (which saves ``account``): the order in the account's
    ledger and its segment recomputed, with the event and alerts if it changed."""
    record_purchase(account.purchases, order.order_id, order.created_at, order.amount)
    return segment_effects(account, active, uow, now) or Change()


# ------------------------------------------------------------------ segment-sweep


@dataclass
class SweepReport:
    accounts: int = 0
    updated: int = 0  # RFM or segment written
    unchanged: int = 0  # nothing to write (no orders, or the same RFM)
    changed_segment: int = 0  # AccountSegmentChanged recorded
    failed: list[str] = field(default_factory=list)
    next_after: str | None = None  # where the next run carries on, else None (done)

    def summary(self) -> dict[str, Any]:
        return {
            "finished": self.next_after is None,
            "accounts": self.accounts,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "segment_changes": self.changed_segment,
            "failed": len(self.failed),
            "failed_accounts": self.failed[:MAX_LISTED_FAILURES],
        }


def sweep_segments(
    active: ActiveRules,
    uow: OrdersWork,
    now: datetime,
    page_size: int = PAGE_SIZE,
    after: str | None = None,
    time_left: Callable[[], float] | None = None,
) -> SweepReport:
    """Every account's RFM and segment as of ``now``, a page of accounts at a time from the
    account after ``after``; an account that cannot be written is counted and skipped. When
    ``time_left`` runs low between pages the run stops and says where to carry on."""
    tally = sweep_accounts(uow, lambda account: _sweep_one(account, active, uow, now), page_size, after, time_left)
    return SweepReport(tally.accounts, tally.updated, tally.unchanged, tally.counted, tally.failed, tally.next_after)


def _sweep_one(listed: Account, active: ActiveRules, uow: OrdersWork, now: datetime) -> int | None:
    """None: nothing to write; else the number of segment changes written (0 or 1)."""
    first = [listed]

    def attempt() -> int | None:
        account = first.pop() if first else uow.accounts.get(listed.account_id)
        if account is None:
            return None
        version = account.version
        backfilled = _backfill(account, uow)
        effects = segment_effects(account, active, uow, now)
        if effects is None and not backfilled:
            return None
        change = Change(saves=[Save(account, version)])
        if effects is not None:
            change.merge(effects)
        uow.commit(change)
        return len(change.events)

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _backfill(account: Account, uow: OrdersWork) -> bool:
    """Orders recorded before accounts kept their ledger: read once, then never again."""
    known = {p["order_id"] for p in account.purchases}
    added = False
    for order_id in account.orders:
        if order_id in known:
            continue
        order = uow.orders.get(order_id)
        if order is not None:
            added = record_purchase(account.purchases, order.order_id, order.created_at, order.amount) or added
    return added


def accounts_per_segment(active: ActiveRules, uow: OrdersWork) -> dict[str, int]:
    """Accounts in each segment now (the Segments tab's segments in priority order, then
    ``unsegmented``), counted on the ``by_segment`` index: one count Query per segment."""
    names = list(dict.fromkeys(row.segment for row in policy_of(active).rows))
    return {name: uow.accounts.count_in_segment(name) for name in [*names, UNSEGMENTED]}


# ------------------------------------------------------------------ rules backtest


@dataclass
class SegmentMoves:
    """What a candidate Segments tab (and ``rfm_window_days``) would do to today's accounts."""

    accounts: int = 0  # accounts read
    with_orders: int = 0  # the ones that have a segment at all
    moved: int = 0  # would be in another segment than under the live rules
    moves: dict[str, int] = field(default_factory=dict)  # "from → to" -> accounts
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "with_orders": self.with_orders,
            "moved": self.moved,
            "moves": dict(sorted(self.moves.items(), key=lambda kv: (-kv[1], kv[0]))),
            "examples": self.examples,
        }


def backtest_segments(
    live: ActiveRules, candidate: ActiveRules, uow: OrdersWork, now: datetime, examples: int = 5
) -> SegmentMoves:
    """How many accounts the candidate would put in another segment than the live rules do, both
    computed at ``now`` from each account's orders (nothing is written). Reads every account a page
    at a time: an operator's look from the CLI, never a request path."""
    before, after = policy_of(live), policy_of(candidate)
    report = SegmentMoves()
    cursor: str | None = None
    while True:
        accounts, cursor = uow.accounts.page(PAGE_SIZE, cursor)
        for account in accounts:
            report.accounts += 1
            old, new = _segment_under(account, before, now), _segment_under(account, after, now)
            if old is None and new is None:
                continue
            report.with_orders += 1
            if old != new:
                report.moved += 1
                key = f"{old} → {new}"
                report.moves[key] = report.moves.get(key, 0) + 1
                if len(report.examples) < examples:
                    report.examples.append({"account_id": account.account_id, "from": old, "to": new})
        if cursor is None:
            return report


def _segment_under(account: Account, policy: SegmentPolicy, now: datetime) -> str | None:
    rfm = rfm_of(account.purchases, now, policy.window_days)
    if rfm is None:
        return None
    row = first_match(rfm, policy.rows)
    return row.segment if row else UNSEGMENTED


__all__ = [
    "SegmentMoves",
    "SweepReport",
    "accounts_per_segment",
    "backtest_segments",
    "order_segment",
    "policy_of",
    "segment_effects",
    "sweep_segments",
]
