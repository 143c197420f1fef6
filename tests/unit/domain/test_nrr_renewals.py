"""Net revenue retention agrees with the standard definition (CONTRACT §7, §14): revenue at ``to``
from the customers live at ``from`` ÷ their revenue at ``from`` — where a contract starting within
RENEWAL_GRACE_DAYS after the account's last one ended is a renewal, not churn plus a new customer.

The oracle below walks the calendar day by day, account by account: it shares nothing with the
rollups' delta-and-run-age bookkeeping."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from shared.kpis.domain.kpi_definitions import Window, compute
from shared.kpis.domain.kpi_rollups import RENEWAL_GRACE_DAYS, contribution

Contract = tuple[float, date, date]  # amount, first day, last day


def _facts(contracts: list[Contract]) -> dict[str, Any]:
    return {
        "contracts": {
            f"ct_{i}": [
                "2026-01-01T00:00:00.000Z",
                f"ev_{i}",
                f"ct_{i}",
                str(amount),
                start.isoformat(),
                end.isoformat(),
                "o_li",
                "sales",
            ]
            for i, (amount, start, end) in enumerate(contracts)
        }
    }


def rollup_parts(accounts: list[list[Contract]], window: Window) -> tuple[float, float]:
    """(numerator, denominator) of the rollups' net revenue retention."""
    items: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for contracts in accounts:
        for (period, _team, _owner, attr), amount in contribution(_facts(contracts), "UTC").items():
            items[period][attr] += amount
    kpi = compute(window, items)["kpis"]["net_revenue_retention"]
    return float(kpi["numerator"]), float(kpi["denominator"])


def rollup_nrr(accounts: list[list[Contract]], window: Window) -> float | None:
    numerator, denominator = rollup_parts(accounts, window)
    return None if denominator == 0 else numerator / denominator


def oracle_parts(accounts: list[list[Contract]], window: Window) -> tuple[float, float]:
    """Σ over accounts that are customers on ``start`` of their value on ``end`` ÷ Σ of their value
    on ``start``; an account that went without a contract for longer than the grace in between
    left (a return is a new customer). A day in a gap of at most the grace before a new contract
    keeps the value the account had before the gap."""

    def live(contracts: list[Contract], day: date) -> float:
        return sum(amount for amount, first, last in contracts if first <= day <= last)

    def value(contracts: list[Contract], day: date) -> float:
        if live(contracts, day) > 0:
            return live(contracts, day)
        ended = [last for _, _, last in contracts if last < day]  # the gap began after the last of them
        starts = [first for _, first, _ in contracts if first > day]
        if not ended or not starts:
            return 0.0
        lapsed, renewal = max(ended) + timedelta(days=1), min(starts)
        return live(contracts, lapsed - timedelta(days=1)) if (renewal - lapsed).days <= RENEWAL_GRACE_DAYS else 0.0

    before = after = 0.0
    for contracts in accounts:
        at_start = value(contracts, window.start)
        if at_start <= 0:
            continue
        before += at_start
        days = (window.start + timedelta(days=n) for n in range(1, (window.end - window.start).days + 1))
        if all(value(contracts, day) > 0 for day in days):
            after += value(contracts, window.end)
    return after, before


WINDOW = Window(date(2026, 1, 1), date(2027, 1, 1))


def test_a_renewal_starting_the_day_after_is_retained() -> None:
    # the old contract ends 2026-06-30; the renewal starts 2026-07-02 (one day with none)
    account = [(1200.0, date(2025, 7, 1), date(2026, 6, 30)), (1200.0, date(2026, 7, 2), date(2027, 7, 1))]
    assert rollup_nrr([account], WINDOW) == pytest.approx(1.0)


def test_a_renewal_the_next_day_is_no_gap_at_all() -> None:
    account = [(1000.0, date(2025, 7, 1), date(2026, 6, 30)), (1300.0, date(2026, 7, 1), date(2027, 6, 30))]
    assert rollup_nrr([account], WINDOW) == pytest.approx(1.3)


def test_a_return_after_more_than_the_grace_is_a_new_customer() -> None:
    gap = RENEWAL_GRACE_DAYS + 1
    account = [
        (1000.0, date(2025, 7, 1), date(2026, 6, 30)),
        (1000.0, date(2026, 7, 1) + timedelta(days=gap), date(2027, 6, 30)),
    ]
    assert rollup_nrr([account], WINDOW) == pytest.approx(0.0)


def _random_account(rng: random.Random) -> list[Contract]:
    contracts: list[Contract] = []
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(500))
    for _ in range(rng.randint(1, 4)):
        length = rng.choice([30, 90, 180, 365, 366])
        amount = float(rng.choice([1000, 1200, 5000, 7500]))
        contracts.append((amount, day, day + timedelta(days=length - 1)))
        # the next one: the day after, a few days late, about the grace, or long after
        day = day + timedelta(days=length + rng.choice([0, 1, 2, 7, 29, 30, 31, 45, 200]))
    return contracts


def test_random_accounts_agree_with_the_day_by_day_definition() -> None:
    rng = random.Random(16)
    differ = []
    for trial in range(400):
        accounts = [_random_account(rng) for _ in range(rng.randint(1, 4))]
        start = date(2025, 6, 1) + timedelta(days=rng.randrange(400))
        window = Window(start, start + timedelta(days=rng.choice([30, 90, 365])))
        ours, theirs = rollup_parts(accounts, window), oracle_parts(accounts, window)
        if any(abs(a - b) > 1e-6 for a, b in zip(ours, theirs, strict=True)):
            differ.append((trial, accounts, window, ours, theirs))
    assert not differ, differ[:2]
