"""Reading the sales requests (CONTRACT §2.6, §2.7): every bad field collected into one 400
naming it, before anything is read or written. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.domain.errors import ValidationFailed
from shared.domain.events import DATE_EXPECTED, TIME_EXPECTED, in_the_future, iso, parse_date, parse_iso
from shared.domain.forms import printable_name, text_problem
from shared.domain.normalize import _credit_code, _number, _text, normalize_country
from shared.domain.pricing import money
from shared.domain.stages import LOST, OPPORTUNITY_FIELDS, TOP_LEVEL_FIELDS

TEXT, NOTE = 200, 2000
DECISIONS = ("approve", "reject")


class Problems(dict[str, str]):
    """Field → what is wrong; raise() turns them into one 400."""

    def check(self) -> None:
        if self:
            raise ValidationFailed(f"{len(self)} field(s) are not valid", fields=dict(self))


def _owner(payload: dict[str, Any], name: str, owners: Collection[str], problems: Problems) -> str | None:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT:
        problems[name] = "an owner_id from the Owners tab is required"
    elif problem := text_problem(value):
        problems[name] = problem
    elif value.strip() not in owners:
        problems[name] = f"{value.strip()[:60]!r} is not an owner_id on the Owners tab"
    else:
        return value.strip()
    return None


def _optional_text(payload: dict[str, Any], name: str, limit: int, problems: Problems, multiline: bool = False) -> Any:
    value = payload.get(name)
    if value is None:
        return None
    try:
        return _text(value, limit, multiline=multiline) or None
    except ValueError as bad:
        problems[name] = str(bad)
        return None


def _amount(value: Any, where: str, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        return money(Decimal(str(_number(value, integer=False))))
    except ValueError as bad:
        problems[where] = str(bad)
        return None


def _date(value: Any, where: str, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        return parse_date(value).isoformat()
    except ValueError:
        problems[where] = DATE_EXPECTED
        return None


def parse_at(value: Any, now: datetime, problems: Problems, name: str = "at") -> str:
    """An ISO 8601 time not in the future (5 minutes of skew allowed); default now."""
    if value is None:
        return iso(now)
    try:
        moment = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        problems[name] = TIME_EXPECTED
        return iso(now)
    if in_the_future(moment, now):
        problems[name] = f"is in the future (now is {iso(now)})"
    return iso(moment)


def parse_fields(value: Any, problems: Problems, where: str = "fields") -> dict[str, Any]:
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


def _account(value: Any, required: bool, problems: Problems) -> dict[str, Any]:
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


def parse_new_opportunity(payload: dict[str, Any], owners: Collection[str]) -> dict[str, Any]:
    problems = Problems()
    lead_id = payload.get("lead_id")
    if lead_id is not None and (not isinstance(lead_id, str) or not lead_id.strip() or len(lead_id) > TEXT):
        problems["lead_id"] = "must be the id of a lead (ld_…)"
    name = _optional_text(payload, "name", TEXT, problems)
    if name is None and "name" not in problems:
        problems["name"] = "a name for the opportunity is required"
    request = {
        "lead_id": lead_id if isinstance(lead_id, str) else None,
        "name": name,
        "owner_id": _owner(payload, "owner_id", owners, problems),
        "account": _account(payload.get("account"), lead_id is None, problems),
        "amount": _amount(payload.get("amount"), "amount", problems),
        "close_date": _date(payload.get("close_date"), "close_date", problems),
        "fields": parse_fields(payload.get("fields"), problems),
    }
    problems.check()
    return request


def parse_stage_move(
    payload: dict[str, Any], stages: Collection[str], owners: Collection[str], now: datetime
) -> dict[str, Any]:
    problems = Problems()
    stage = payload.get("stage")
    if not isinstance(stage, str) or (stage not in stages and stage != LOST):
        problems["stage"] = f"must be one of {', '.join([*stages, LOST])}"
    reason = _optional_text(payload, "reason", NOTE, problems, multiline=True)
    if stage == LOST and reason is None and "reason" not in problems:
        problems["reason"] = "say why the opportunity was lost (required for lost)"
    request = {
        "stage": stage,
        "by": _owner(payload, "by", owners, problems),
        "at": parse_at(payload.get("at"), now, problems),
        "fields": parse_fields(payload.get("fields"), problems),
        "reason": reason,
    }
    problems.check()
    return request


def apply_fields(target: Any, fields: dict[str, Any]) -> None:
    """Put parsed fields on an opportunity: amount and close_date on the opportunity itself."""
    for name, value in fields.items():
        if name in TOP_LEVEL_FIELDS:
            setattr(target, name, value)
        else:
            target.fields[name] = value


def parse_quote_request(payload: dict[str, Any], owners: Collection[str], today: date) -> dict[str, Any]:
    problems = Problems()
    opportunity_id = payload.get("opportunity_id")
    if not isinstance(opportunity_id, str) or not opportunity_id.strip() or len(opportunity_id) > TEXT:
        problems["opportunity_id"] = "the id of the opportunity (op_…) is required"
    valid_until = _date(payload.get("valid_until"), "valid_until", problems)
    if valid_until is not None and date.fromisoformat(valid_until) < today:
        problems["valid_until"] = f"is in the past (today is {today.isoformat()})"
    request = {
        "opportunity_id": opportunity_id,
        "by": _owner(payload, "by", owners, problems),
        "valid_until": valid_until,
        "lines": payload.get("lines"),
    }
    problems.check()
    return request


def parse_decision(payload: dict[str, Any], owners: Collection[str]) -> dict[str, Any]:
    problems = Problems()
    decision = payload.get("decision")
    if decision not in DECISIONS:
        problems["decision"] = "must be approve or reject"
    request = {
        "decision": decision,
        "by": _owner(payload, "by", owners, problems),
        "note": _optional_text(payload, "note", NOTE, problems, multiline=True),
    }
    problems.check()
    return request
