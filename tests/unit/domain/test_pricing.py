"""Quote pricing in Decimal (CONTRACT §2.7): no float money, half-up cents, caps and bad lines."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from shared.kernel.domain import errors
from shared.sales.domain.pricing import Product, parse_discount, price_lines, share

PRODUCTS = {
    "A": Product("A", "Widget", Decimal("0.10"), Decimal("0.5")),
    "B": Product("B", "Licence", Decimal("120000"), Decimal("0.3")),
    "C": Product("C", "Day", Decimal("3333.33"), Decimal("0.15")),
}


def test_float_money_would_drift_decimal_does_not() -> None:
    # 0.10 × 3 in floats is 0.30000000000000004; in Decimal it is 0.30
    priced = price_lines([{"sku": "A", "quantity": 3}], PRODUCTS)
    assert priced.list_total == Decimal("0.30") and priced.amount == Decimal("0.30")
    assert priced.lines[0] == {
        "sku": "A",
        "name": "Widget",
        "quantity": 3,
        "list_price": "0.10",
        "discount": "0",
        "amount": "0.30",
    }


def test_a_line_rounds_half_up_to_the_cent_and_totals_add_the_rounded_lines() -> None:
    # 3333.33 × 1 × 0.85 = 2833.3305 → 2833.33; × 3 = 8499.9915 → 8499.99
    priced = price_lines(
        [{"sku": "C", "quantity": 1, "discount": "15%"}, {"sku": "C", "quantity": 3, "discount": 0.15}], PRODUCTS
    )
    assert [line["amount"] for line in priced.lines] == ["2833.33", "8499.99"]
    assert priced.amount == Decimal("11333.32") and priced.list_total == Decimal("13333.32")
    # 0.005 rounds up: 0.10 × 0.95 = 0.095 → 0.10
    assert price_lines([{"sku": "A", "quantity": 1, "discount": "5%"}], PRODUCTS).lines[0]["amount"] == "0.10"


def test_the_overall_discount_is_exact() -> None:
    priced = price_lines([{"sku": "B", "quantity": 3, "discount": "20%"}], PRODUCTS)
    assert priced.discount_exact == Fraction(1, 5) and share(priced.discount) == "0.2"
    thirds = price_lines(
        [{"sku": "B", "quantity": 1, "discount": "0"}, {"sku": "B", "quantity": 2, "discount": "0.3"}], PRODUCTS
    )
    assert thirds.discount_exact == Fraction(1, 5)  # (360000 − 288000) / 360000
    zero = price_lines(
        [{"sku": "A", "quantity": 1, "discount": "50%"}], {"A": Product("A", "Free", Decimal(0), Decimal(1))}
    )
    assert zero.discount_exact == 0  # nothing to discount from


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (0.15, "0.15"),
        ("15%", "0.15"),
        ("15 %", "0.15"),
        ("0.15", "0.15"),
        (0, "0"),
        (1, "1"),
        ("100%", "1"),
        (None, "0"),
        ("12.5％", "0.125"),
    ],
)
def test_discounts_read_as_shares(given: object, expected: str) -> None:
    assert parse_discount(given) == Decimal(expected)


@pytest.mark.parametrize("given", [-0.1, "101%", 1.5, "abc", True, [], "nan", "1e999", float("inf")])
def test_a_discount_that_is_not_a_share_is_refused(given: object) -> None:
    with pytest.raises(ValueError):
        parse_discount(given)


def test_bad_lines_are_named_one_by_one() -> None:
    lines = [
        {"sku": "NOPE", "quantity": 1},
        {"sku": "A", "quantity": 0},
        {"sku": "A", "quantity": 1.5},
        {"sku": "A", "quantity": 1, "discount": "-5%"},
        "A",
    ]
    with pytest.raises(errors.ValidationFailed) as bad:
        price_lines(lines, PRODUCTS)
    assert set(bad.value.fields) == {
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].quantity",
        "lines[3].discount",
        "lines[4]",
    }
    for empty in ([], None, {"sku": "A"}):
        with pytest.raises(errors.ValidationFailed) as missing:
            price_lines(empty, PRODUCTS)
        assert set(missing.value.fields) == {"lines"}


def test_a_discount_above_the_products_cap_is_its_own_400() -> None:
    with pytest.raises(errors.DiscountOverCap) as over:
        price_lines(
            [{"sku": "B", "quantity": 1, "discount": "30%"}, {"sku": "B", "quantity": 1, "discount": "30.01%"}],
            PRODUCTS,
        )
    assert over.value.fields == {"lines[1].discount": "30.01% is above the 30% cap of B"}
    assert over.value.code == "discount_over_cap"


@pytest.mark.parametrize(
    "given", ["1e999999999%", "1E+999999999", "-1E-999999", "-1e-999999%", "1e308", -1e308, "sNaN", "nan%", "-inf%"]
)
def test_a_decimal_exponent_at_the_ends_is_refused_not_an_overflow(given: object) -> None:
    with pytest.raises(ValueError):
        parse_discount(given)


@pytest.mark.parametrize("given", ["1E-999999", "1E-999999%", 1e-320, "4e-11"])
def test_a_share_finer_than_any_price_is_read_as_zero(given: object) -> None:
    assert parse_discount(given) == 0
    assert len(str(parse_discount(given))) < 20  # no million-digit number is carried further
