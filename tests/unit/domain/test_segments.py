"""RFM and the first matching Segments row (CONTRACT §15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.customers.domain.accounts import Account
from shared.customers.domain.segments import (
    UNSEGMENTED,
    Rfm,
    SegmentPolicy,
    SegmentRow,
    first_match,
    record_purchase,
    resegment,
    rfm_of,
)
from shared.kernel.domain.events import iso
from shared.rules.domain.rules import Owner

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OWNERS = {
    "u_am": Owner("u_am", "AM", "CS", "am", manager_id="u_mgr"),
    "u_mgr": Owner("u_mgr", "Manager", "CS", "manager"),
}
# the example workbook's four layers
SEEDS = [
    {"priority": 10, "segment": "高价值客户", "max_recency_days": 90, "min_frequency": 2, "min_monetary": 500000},
    {"priority": 20, "segment": "流失风险客户", "min_recency_days": 181, "notify": ["am", "manager"], "note": "call"},
    {"priority": 30, "segment": "潜力客户", "min_recency_days": 91, "min_frequency": 2},
    {"priority": 40, "segment": "新客户", "max_recency_days": 90, "min_frequency": 1, "max_frequency": 1},
]


def purchase(days_ago: float, amount: str, n: int = 0) -> dict[str, Any]:
    return {"order_id": f"or_{n:020x}", "at": iso(NOW - timedelta(days=days_ago)), "amount": amount}


def segment_of(purchases: list[dict[str, Any]], rows: list[dict[str, Any]] = SEEDS) -> str | None:
    account = Account("ac_" + "0" * 20, "ACME", account_manager_id="u_am", purchases=purchases)
    resegment(account, SegmentPolicy.from_content(rows, 365), OWNERS, NOW, "v1")
    return account.segment


def test_rfm_counts_whole_days_the_window_and_decimal_amounts() -> None:
    rfm = rfm_of([purchase(400, "9.99", 1), purchase(30.5, "0.10", 2), purchase(10.2, "0.20", 3)], NOW, 365)
    assert rfm == Rfm(recency_days=10, frequency=2, monetary=Decimal("0.30"))


def test_the_seeds_four_layers() -> None:
    assert segment_of([purchase(5, "300000", 1), purchase(60, "200000", 2)]) == "高价值客户"
    assert segment_of([purchase(100, "10", 1), purchase(120, "10", 2)]) == "潜力客户"
    assert segment_of([purchase(3, "10", 1)]) == "新客户"
    assert segment_of([purchase(200, "999999", 1), purchase(220, "1", 2)]) == "流失风险客户"
    # two recent orders under 500,000: no layer holds
    assert segment_of([purchase(5, "300000", 1), purchase(60, "100000", 2)]) == UNSEGMENTED


def test_an_account_without_orders_has_no_segment_and_no_event() -> None:
    account = Account("ac_" + "0" * 20, "ACME")
    result = resegment(account, SegmentPolicy.from_content(SEEDS, 365), OWNERS, NOW, "v1")
    assert (account.segment, account.rfm, result.event) == (None, {}, None)


def test_a_change_records_the_event_once_with_the_row_and_its_people() -> None:
    account = Account("ac_" + "0" * 20, "ACME", account_manager_id="u_am", purchases=[purchase(200, "5", 1)])
    policy = SegmentPolicy.from_content(SEEDS, 365)
    first = resegment(account, policy, OWNERS, NOW, "v1")
    assert first.event is not None and first.event.type == "AccountSegmentChanged"
    data = first.event.data
    assert (data["from"], data["to"], data["notify"], data["note"]) == (None, "流失风险客户", ["u_am", "u_mgr"], "call")
    assert data["rfm"]["recency_days"] == 200 and data["rfm"]["monetary"] == "5"
    assert data["segment_row"]["priority"] == 20
    assert account.segment_since == iso(NOW)
    again = resegment(account, policy, OWNERS, NOW + timedelta(days=1), "v1")
    assert again.event is None and again.changed  # R moved: stored, not told
    assert account.segment_since == iso(NOW)


def test_an_order_is_in_the_ledger_once() -> None:
    ledger: list[dict[str, Any]] = []
    assert record_purchase(ledger, "or_1", iso(NOW), "10.00")
    assert not record_purchase(ledger, "or_1", iso(NOW), "10.00")
    assert len(ledger) == 1


# ------------------------------------------------------------------ properties

bound = st.one_of(st.none(), st.integers(0, 400))
money_bound = st.one_of(st.none(), st.integers(0, 10_000).map(Decimal))
rows = st.lists(
    st.builds(
        lambda p, a, b, c, d, e, f: SegmentRow(p, f"s{p}", a, b, c, d, e, f),
        st.integers(1, 1000),
        bound,
        bound,
        st.one_of(st.none(), st.integers(0, 5)),
        st.one_of(st.none(), st.integers(0, 5)),
        money_bound,
        money_bound,
    ),
    max_size=8,
    unique_by=lambda r: r.priority,
)
rfms = st.builds(Rfm, st.integers(0, 400), st.integers(0, 5), st.integers(0, 10_000).map(Decimal))


@given(rows, rfms)
def test_the_first_matching_row_by_priority_wins(table: list[SegmentRow], rfm: Rfm) -> None:
    chosen = first_match(rfm, table)
    holding = sorted((r for r in table if r.holds(rfm)), key=lambda r: r.priority)
    assert chosen == (holding[0] if holding else None)


@given(rfms)
def test_bounds_are_inclusive(rfm: Rfm) -> None:
    exact = SegmentRow(
        1,
        "exact",
        rfm.recency_days,
        rfm.recency_days,
        rfm.frequency,
        rfm.frequency,
        rfm.monetary,
        rfm.monetary,
    )
    assert first_match(rfm, [exact]) == exact
    above = SegmentRow(1, "above", min_recency_days=rfm.recency_days + 1)
    assert first_match(rfm, [above]) is None


@given(st.lists(st.integers(1, 10_000), max_size=3), rows)
def test_an_account_without_orders_before_now_is_never_segmented(later: list[int], table: list[SegmentRow]) -> None:
    """No orders at all, or only orders recorded after the instant computed for."""
    account = Account("ac_" + "0" * 20, "ACME", purchases=[purchase(-d / 10, "1", d) for d in later])
    result = resegment(account, SegmentPolicy(tuple(table)), OWNERS, NOW, "v1")
    assert account.segment is None and result.event is None and not result.changed


def test_a_new_segment_may_call_for_another_account_manager_who_is_then_told() -> None:
    account = Account("ac_" + "0" * 20, "ACME", account_manager_id="u_mgr", purchases=[purchase(200, "5", 1)])
    result = resegment(account, SegmentPolicy.from_content(SEEDS, 365), OWNERS, NOW, "v1", lambda a: "u_am")
    assert result.event is not None and account.account_manager_id == "u_am"
    assert (result.event.data["previous_owner_id"], result.event.data["notify"]) == ("u_mgr", ["u_am", "u_mgr"])
    assert account.history[-1]["changes"] == {"account_manager_id": ["u_mgr", "u_am"]}
    unchanged = resegment(account, SegmentPolicy.from_content(SEEDS, 365), OWNERS, NOW, "v1", lambda a: "u_mgr")
    assert unchanged.event is None and account.account_manager_id == "u_am"  # asked only on a change
