"""Pricing a quote from the Products tab (CONTRACT §2.7), in Decimal: never float money.

Each line: ``list_price × quantity`` is its list amount; ``list amount × (1 − discount)``,
rounded half-up to the cent, its net amount. The quote: ``list_total`` = Σ list amounts,
``amount`` = Σ net, ``discount`` = 1 − amount / list_total rounded half-up to 0.01 % (0 when
the list total is 0).
Money is serialised as strings with two decimals (``"540000.00"``), shares as decimal
strings (``"0.2"``): JSON numbers would come back as floats in most clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from shared.kernel.domain.errors import DiscountOverCap, ValidationFailed
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet

CENT = Decimal("0.01")
FINEST_SHARE = Decimal("1E-10")
MAX_LINES = 100
MAX_QUANTITY = 1_000_000


SHOWN_DISCOUNT = Decimal("0.0001")  # a quote's overall discount: 0.01 % steps


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def share(value: Decimal) -> str:
    """A fraction 0..1 as decimal text: ``"0.2"``, ``"0.153846"`` (6 places at most)."""
    rounded = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    text = format(rounded.normalize(), "f")
    return "0" if text in ("-0", "0.000000") else text


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    list_price: Decimal
    max_discount: Decimal


def products_from_content(content: Mapping[str, list[dict[str, Any]]]) -> dict[str, Product]:
    return {
        str(r["sku"]): Product(
            sku=str(r["sku"]),
            name=str(r["name"]),
            list_price=Decimal(str(r["list_price"])),
            max_discount=Decimal(str(r["max_discount"])),
        )
        for r in content.get("Products", [])
    }


def parse_discount(value: Any) -> Decimal:
    """``0.15``, ``"0.15"`` or ``"15%"`` → Decimal('0.15'); ValueError when not a share 0..1."""
    if isinstance(value, bool):
        raise ValueError('must be a share like 0.15 or a percentage like "15%"')
    if value is None:
        return Decimal(0)
    try:
        if isinstance(value, str) and value.strip().endswith(("%", "％")):
            result = Decimal(value.strip()[:-1].strip())
            if result.is_finite() and result.adjusted() < 5:  # 1e999999999 % would overflow
                result /= 100
        elif isinstance(value, int | float | str | Decimal):
            result = Decimal(str(value).strip())
        else:
            raise ValueError
    except (ArithmeticError, ValueError):  # decimal's Overflow, InvalidOperation… are ArithmeticErrors
        raise ValueError('must be a share like 0.15 or a percentage like "15%"') from None
    if not result.is_finite() or result < 0 or result > 1:
        raise ValueError("must be between 0 and 1 (0% and 100%)")
    # 1E-999999 is a share too, but one no price can show: rounded so no later step carries a
    # million-digit number (a cap message, a stored line)
    return result.quantize(FINEST_SHARE, rounding=ROUND_HALF_UP).normalize()


@dataclass(frozen=True)
class Priced:
    lines: list[dict[str, Any]]  # sku, name, quantity, list_price, discount, amount (text)
    list_total: Decimal
    amount: Decimal

    @property
    def discount_exact(self) -> Fraction:
        """1 − amount / list_total, exactly (the discount matrix compares this)."""
        if self.list_total == 0:
            return Fraction(0)
        return 1 - Fraction(self.amount) / Fraction(self.list_total)

    @property
    def discount(self) -> Decimal:
        """The overall discount as shown and as the Discounts bands compare it (CONTRACT §14):
        rounded half-up to 0.01 %, so a quote typed at 20 % whose cents round to 20.0000032 %
        is 20 % on screen and in the "at most 20 %" band alike."""
        exact = self.discount_exact
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(SHOWN_DISCOUNT, rounding=ROUND_HALF_UP)


def price_lines(raw_lines: Any, products: Mapping[str, Product]) -> Priced:
    """Price ``lines`` (the request's list); one 400 naming every bad ``lines[i].…``, and a
    400 ``discount_over_cap`` when a discount is above its product's ``max_discount``."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise ValidationFailed("1 field(s) are not valid", fields={"lines": "at least one line is required"})
    if len(raw_lines) > MAX_LINES:
        raise ValidationFailed("1 field(s) are not valid", fields={"lines": f"at most {MAX_LINES} lines"})
    errors: dict[str, str] = {}
    over_cap: dict[str, str] = {}
    lines = []
    list_total = amount = Decimal(0)
    for i, raw in enumerate(raw_lines):
        line = _line(i, raw, products, errors, over_cap)
        if line is None:
            continue
        product, quantity, discount = line
        gross = product.list_price * quantity
        net = (gross * (1 - discount)).quantize(CENT, rounding=ROUND_HALF_UP)
        list_total, amount = list_total + gross, amount + net
        lines.append(
            {
                "sku": product.sku,
                "name": product.name,
                "quantity": quantity,
                "list_price": money(product.list_price),
                "discount": share(discount),
                "amount": money(net),
            }
        )
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    if over_cap:
        raise DiscountOverCap(f"{len(over_cap)} line(s) are discounted above their product's cap", fields=over_cap)
    return Priced(lines, list_total, amount)


def _line(
    i: int, raw: Any, products: Mapping[str, Product], errors: dict[str, str], over_cap: dict[str, str]
) -> tuple[Product, int, Decimal] | None:
    where = f"lines[{i}]"
    if not isinstance(raw, dict):
        errors[where] = "must be an object with sku, quantity and discount"
        return None
    sku, quantity = raw.get("sku"), raw.get("quantity")
    product = products.get(sku) if isinstance(sku, str) else None
    if product is None:
        shown = f"{sku[:60]!r}" if isinstance(sku, str) else "missing"
        errors[f"{where}.sku"] = f"{shown} is not a sku on the Products tab"
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= MAX_QUANTITY:
        errors[f"{where}.quantity"] = f"must be a whole number from 1 to {MAX_QUANTITY:,}"
    try:
        discount = parse_discount(raw.get("discount"))
    except ValueError as bad:
        errors[f"{where}.discount"] = str(bad)
        return None
    if product is None or not isinstance(quantity, int) or f"{where}.quantity" in errors:
        return None
    if discount > product.max_discount:
        cap = format((product.max_discount * 100).normalize(), "f")
        over_cap[f"{where}.discount"] = (
            f"{format((discount * 100).normalize(), 'f')}% is above the {cap}% cap of {product.sku}"
        )
    return product, quantity, discount


def products_of(active: ActiveRules) -> dict[str, Product]:
    """The products of the active rules' Products tab, read once per rules version."""
    return active.derive(_products)


def _products(rules: RuleSet) -> dict[str, Product]:
    return products_from_content(rules.content)
