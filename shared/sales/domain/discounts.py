"""The discount matrix (CONTRACT §2.7): which Discounts row decides a quote's approvers, and
what publishing must know about the rows (gaps no quote may fall in, rows that can never apply).

A band holds when ``amount > min_amount`` and ``amount <= max_amount``, and the same for the
discount; an empty bound is no bound. "More than 500,000 and more than 20%" is
``min_amount`` 500000, ``min_discount`` 20%. Rows may overlap: the lowest ``priority`` wins.

Comparisons are exact: amounts are Decimals, and the discount is the one the quote shows,
``1 − amount / list_total`` rounded half-up to 0.01 % (CONTRACT §14): cent rounding can never
move a quote typed at exactly 20 % into a "more than 20 %" band.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet

Number = Decimal | Fraction | int


def _bound(value: Any) -> Fraction | None:
    """A bound from the rules content (a float like 0.2 is read as its decimal text, 1/5)."""
    if value is None or value == "":
        return None
    return Fraction(Decimal(str(value)))


@dataclass(frozen=True, slots=True)
class DiscountRule:
    priority: int
    min_amount: Fraction | None = None
    max_amount: Fraction | None = None
    min_discount: Fraction | None = None
    max_discount: Fraction | None = None
    approvers: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DiscountRule:
        approvers = row.get("approvers") or ()
        if isinstance(approvers, str):
            approvers = approvers.replace("，", ",").split(",")
        return cls(
            priority=int(row["priority"]),
            min_amount=_bound(row.get("min_amount")),
            max_amount=_bound(row.get("max_amount")),
            min_discount=_bound(row.get("min_discount")),
            max_discount=_bound(row.get("max_discount")),
            approvers=tuple(str(a).strip() for a in approvers if str(a).strip()),
        )

    def holds(self, amount: Number, discount: Number) -> bool:
        return _in_band(Fraction(amount), self.min_amount, self.max_amount) and _in_band(
            Fraction(discount), self.min_discount, self.max_discount
        )

    def to_dict(self) -> dict[str, Any]:
        """The row as a quote records it (bounds as decimal text, so nothing turns into a float)."""
        return {
            "priority": self.priority,
            "min_amount": _show(self.min_amount),
            "max_amount": _show(self.max_amount),
            "min_discount": _show(self.min_discount),
            "max_discount": _show(self.max_discount),
            "approvers": list(self.approvers),
        }


def _in_band(value: Fraction, low: Fraction | None, high: Fraction | None) -> bool:
    return (low is None or value > low) and (high is None or value <= high)


def _show(value: Fraction | None) -> str | None:
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format(exact.normalize(), "f")


def rules_from_content(content: Mapping[str, list[dict[str, Any]]]) -> tuple[DiscountRule, ...]:
    return tuple(sorted((DiscountRule.from_row(r) for r in content.get("Discounts", [])), key=lambda r: r.priority))


def first_match(rules: Iterable[DiscountRule], amount: Number, discount: Number) -> DiscountRule | None:
    """The row with the lowest priority whose bands hold (``rules`` sorted by priority)."""
    return next((r for r in rules if r.holds(amount, discount)), None)


# ------------------------------------------------------------------ what publishing checks


def _pieces(bounds: Iterable[Fraction | None], low: Fraction, high: Fraction | None) -> list[Fraction]:
    """One representative value per piece of [low, high] on which every band is constant.

    Bands are (lo, hi], so between consecutive breakpoints p < q every band either holds on the
    whole of (p, q] or nowhere: q represents it; ``low`` itself is a piece of its own, and past
    the last breakpoint (when unbounded) last + 1 stands for everything above."""
    points = sorted({b for b in bounds if b is not None and b > low and (high is None or b < high)})
    edges = [low, *points, *([high] if high is not None else [])]
    values = [low, *edges[1:]]
    if high is None:
        values.append(edges[-1] + 1)
    return values


@dataclass(frozen=True)
class Cell:
    """A representative quote for one piece of the amount × discount plane."""

    amount: Fraction
    discount: Fraction


def cells(rules: tuple[DiscountRule, ...]) -> list[Cell]:
    """Every distinct situation a quote can be in, as far as the rows can tell: amount ≥ 0,
    discount in [0, 1]."""
    amounts = _pieces([b for r in rules for b in (r.min_amount, r.max_amount)], Fraction(0), None)
    discounts = _pieces([b for r in rules for b in (r.min_discount, r.max_discount)], Fraction(0), Fraction(1))
    return [Cell(a, d) for a in amounts for d in discounts]


@dataclass(frozen=True)
class MatrixReport:
    gaps: list[Cell]  # quotes no row matches
    never: list[DiscountRule]  # rows that higher rows cover entirely (or whose bands are empty)


def analyse(rules: tuple[DiscountRule, ...]) -> MatrixReport:
    """Which quotes match no row, and which rows can never be the first match."""
    used: set[int] = set()
    gaps = []
    for cell in cells(rules):
        rule = first_match(rules, cell.amount, cell.discount)
        if rule is None:
            gaps.append(cell)
        else:
            used.add(rule.priority)
    return MatrixReport(gaps, [r for r in rules if r.priority not in used])


def describe(cell: Cell) -> str:
    """ "an amount of 600,000 with a discount of 25%": a quote that would fall in ``cell``."""
    amount = Decimal(cell.amount.numerator) / Decimal(cell.amount.denominator)
    share = Decimal(cell.discount.numerator * 100) / Decimal(cell.discount.denominator)
    return f"an amount of {amount.normalize():,f} with a discount of {share.normalize():f}%"


def discounts_of(active: ActiveRules) -> tuple[DiscountRule, ...]:
    """The discount rules of the active rules' Discounts tab, read once per rules version."""
    return active.derive(_discounts)


def _discounts(rules: RuleSet) -> tuple[DiscountRule, ...]:
    return rules_from_content(rules.content)
