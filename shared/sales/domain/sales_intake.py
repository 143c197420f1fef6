"""Reading the sales requests (CONTRACT §2.6, §2.7): the readers their messages
(shared/sales/messages/sales.py) check each field with — every bad field collected into one 400
naming it, before anything is read or written. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import DATE_EXPECTED, parse_date
from shared.kernel.domain.forms import printable_name
from shared.kernel.domain.normalize import _credit_code, _number, _text, normalize_country
from shared.sales.domain.pricing import money
from shared.sales.domain.stages import OPPORTUNITY_FIELDS, TOP_LEVEL_FIELDS

TEXT, NOTE = 200, 2000
DECISIONS = ("approve", "reject")


class Problems(dict[str, str]):
    """Field → what is wrong; raise() turns them into one 400."""

    def check(self) -> None:
        if self:
            raise ValidationFailed(f"{len(self)} field(s) are not valid", fields=dict(self))


def amount_of(value: Any) -> str:
    """Money as sent (``800000``, ``"800,000"``) as decimal text; ValueError says what is wrong."""
    return money(Decimal(str(_number(value, integer=False))))


def day_of(value: Any) -> str:
    """A date, ``YYYY-MM-DD``; ValueError: DATE_EXPECTED."""
    try:
        return parse_date(value).isoformat()
    except ValueError:
        raise ValueError(DATE_EXPECTED) from None


def _amount(value: Any, where: str, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        return amount_of(value)
    except ValueError as bad:
        problems[where] = str(bad)
        return None


def _date(value: Any, where: str, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        return day_of(value)
    except ValueError as bad:
        problems[where] = str(bad)
        return None


def read_fields(value: Any, problems: Problems, where: str = "fields") -> dict[str, Any]:
    """Opportunity fields: known names only (the Stages vocabulary), text, number or boolean."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems[where] = "must be an object of opportunity fields"
        return {}
    out: dict[str, Any] = {}
    for name, item in value.items():
        key = f"{where}.{printable_name(str(name))}"
        if name not in OPPORTUNITY_FIELDS:
            problems[key] = f"is not an opportunity field: use {', '.join(OPPORTUNITY_FIELDS)}"
        elif name == "amount":
            out[name] = _amount(item, key, problems)
        elif name == "close_date":
            out[name] = _date(item, key, problems)
        elif isinstance(item, bool) or item is None:
            out[name] = item
        elif isinstance(item, int | float):
            out[name] = _amount(item, key, problems)
        else:
            try:
                out[name] = _text(item, NOTE, multiline=True)
            except ValueError as bad:
                problems[key] = str(bad)
    return out


def read_account(value: Any, required: bool, problems: Problems) -> dict[str, Any]:
    """An opportunity's customer: company (required without a lead), credit code, country."""
    if value is None:
        if required:
            problems["account"] = "an account with at least company is required (or a lead_id)"
        return {}
    if not isinstance(value, dict):
        problems["account"] = "must be an object: company, credit_code, country"
        return {}
    account: dict[str, Any] = {}
    readers: tuple[tuple[str, Callable[[Any], str]], ...] = (
        ("company", lambda v: _text(v, TEXT)),
        ("credit_code", _credit_code),
        ("country", lambda v: normalize_country(_text(v, 60))),
    )
    for name, read in readers:
        if value.get(name) is None:
            continue
        try:
            account[name] = read(value[name])
        except ValueError as bad:
            problems[f"account.{name}"] = str(bad)
    if required and not account.get("company") and "account.company" not in problems:
        problems["account.company"] = "the customer's company name is required"
    return account


def apply_fields(target: Any, fields: dict[str, Any]) -> None:
    """Put parsed fields on an opportunity: amount and close_date on the opportunity itself."""
    for name, value in fields.items():
        if name in TOP_LEVEL_FIELDS:
            setattr(target, name, value)
        else:
            target.fields[name] = value
