"""The discount matrix (CONTRACT §2.7): exact band semantics at the boundaries, first match by
priority, and what publishing learns from the rows (gaps, rows that can never apply)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.sales.domain.discounts import DiscountRule, analyse, first_match, rules_from_content

SEEDS = rules_from_content(
    {
        "Discounts": [
            {"priority": 20, "min_discount": 0.05, "approvers": ["manager"]},
            {"priority": 10, "min_amount": 500000, "min_discount": 0.2, "approvers": ["manager", "director"]},
            {"priority": 30, "approvers": []},
        ]
    }
)
D = Decimal


@pytest.mark.parametrize(
    ("amount", "discount", "priority"),
    [
        (D("500000.01"), Fraction(21, 100), 10),  # more than 500,000 and more than 20%
        (D("500000.00"), Fraction(21, 100), 20),  # exactly 500,000 is not more than 500,000
        (D("500000.01"), Fraction(1, 5), 20),  # exactly 20% is not more than 20%
        (D("500000.01"), Fraction(1, 5) + Fraction(1, 10**12), 10),  # a hair over 20% is
        (D("10000000"), Fraction(1, 20), 30),  # exactly 5%: no approval
        (D("1"), Fraction(51, 1000), 20),
        (D("0"), Fraction(0), 30),
        (D("0"), Fraction(1), 20),  # 100% off (amount 0): the manager
    ],
)
def test_bands_are_more_than_min_and_at_most_max(amount: Decimal, discount: Fraction, priority: int) -> None:
    rule = first_match(SEEDS, amount, discount)
    assert rule is not None and rule.priority == priority


def test_max_bounds_are_inclusive() -> None:
    row = DiscountRule(1, max_amount=Fraction(100), max_discount=Fraction(1, 10))
    assert row.holds(D(100), Fraction(1, 10)) and not row.holds(D("100.01"), Fraction(1, 10))
    assert not row.holds(D(100), Fraction(1, 10) + Fraction(1, 10**9))


def test_a_float_bound_from_the_sheet_is_read_as_its_decimal_text() -> None:
    row = DiscountRule.from_row({"priority": 1, "min_discount": 0.2})  # 0.2 as a float is 0.2000000000000000111
    assert row.min_discount == Fraction(1, 5) and not row.holds(D(1), Fraction(1, 5))


def test_the_seeds_matrix_has_no_gap_and_no_dead_row() -> None:
    report = analyse(SEEDS)
    assert report.gaps == [] and report.never == []


def test_gaps_and_dead_rows_are_found_at_the_boundaries() -> None:
    # "more than 0%" misses a quote without a discount; a row under a catch-all can never apply
    rows = (DiscountRule(1, min_discount=Fraction(0)), DiscountRule(2, max_amount=Fraction(100)))
    report = analyse(rows)
    assert {(c.amount, c.discount) for c in report.gaps} == {(Fraction(101), Fraction(0))}
    assert analyse((DiscountRule(1), DiscountRule(2, min_amount=Fraction(5)))).never == [
        DiscountRule(2, min_amount=Fraction(5))
    ]


bounds = st.one_of(st.none(), st.integers(0, 8).map(lambda n: Fraction(n * 125000)))
shares = st.one_of(st.none(), st.integers(0, 10).map(lambda n: Fraction(n, 10)))
rows = st.lists(st.builds(lambda a, b, c, d: (a, b, c, d), bounds, bounds, shares, shares), min_size=1, max_size=6).map(
    lambda found: tuple(DiscountRule(i, *r) for i, r in enumerate(found, 1))
)
amounts = st.one_of(st.integers(0, 8).map(lambda n: Fraction(n * 125000)), st.fractions(0, 1_200_000))
discounts = st.one_of(st.integers(0, 10).map(lambda n: Fraction(n, 10)), st.fractions(0, 1))


def _holds(value: Fraction, low: Fraction | None, high: Fraction | None) -> bool:
    return (low is None or value > low) and (high is None or value <= high)


@given(rows, amounts, discounts)
def test_every_quote_matches_exactly_the_first_row_whose_bands_hold(
    matrix: tuple[DiscountRule, ...], amount: Fraction, discount: Fraction
) -> None:
    """The reference: walk the rows in priority order, test each band as §2.7 words it."""
    expected = next(
        (
            r
            for r in matrix
            if _holds(amount, r.min_amount, r.max_amount) and _holds(discount, r.min_discount, r.max_discount)
        ),
        None,
    )
    assert first_match(matrix, amount, discount) == expected
    # publishing's analysis agrees: a matrix without gaps matches every quote,
    # and a row it calls dead is never the first match
    report = analyse(matrix)
    if not report.gaps:
        assert expected is not None
    if expected is not None:
        assert expected not in report.never
