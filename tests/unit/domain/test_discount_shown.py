"""The discount a quote shows is the one the Discounts bands compare (CONTRACT §2.7, §14): cent
rounding never moves a quote typed at exactly 20 % into a "more than 20 %" band."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.sales.domain.discounts import first_match, rules_from_content
from shared.sales.domain.pricing import Product, price_lines, share

# the example workbook's matrix: over 500,000 and over 20 % → manager + director; over 5 % → manager
RULES = rules_from_content(
    {
        "Discounts": [
            {"priority": 10, "min_amount": 500000, "min_discount": 0.2, "approvers": "manager,director"},
            {"priority": 20, "min_discount": 0.05, "approvers": "manager"},
            {"priority": 30},
        ]
    }
)


def _priced(list_price: str, quantity: int, discount: str) -> tuple[str, int, Decimal]:
    products = {"P": Product("P", "Platform", Decimal(list_price), Decimal("0.5"))}
    priced = price_lines([{"sku": "P", "quantity": quantity, "discount": discount}], products)
    rule = first_match(RULES, priced.amount, priced.discount)
    assert rule is not None
    return share(priced.discount), rule.priority, priced.amount


def test_the_reported_quote_shows_20_percent_and_is_in_the_20_percent_band() -> None:
    # 625000.03 × 0.8 = 500000.024 → 500000.02: the exact discount is 20.0000032 %
    shown, band, amount = _priced("625000.03", 1, "20%")
    assert amount == Decimal("500000.02")
    assert shown == "0.2"
    assert band == 20  # "more than 5 %", not "more than 500,000 and more than 20 %"


def test_a_discount_is_shown_to_a_hundredth_of_a_percent() -> None:
    shown, _, _ = _priced("3", 1, "0.123456")  # 3 × 0.876544 = 2.629632 → 2.63: 12.333…%
    assert shown == "0.1233"


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=62_500_001, max_value=500_000_000),
    quantity=st.integers(min_value=1, max_value=7),
    typed=st.sampled_from(["20%", "0.2", "15%", "25%", "19.99%", "20.01%"]),
)
def test_the_band_always_agrees_with_the_discount_shown(cents: int, quantity: int, typed: str) -> None:
    shown, band, amount = _priced(str(Decimal(cents) / 100), quantity, typed)
    big_and_deep = amount > 500000 and Fraction(Decimal(shown)) > Fraction(1, 5)
    assert (band == 10) == big_and_deep, (shown, band, amount)
    if typed in ("20%", "0.2"):
        assert shown == "0.2" and band == 20
