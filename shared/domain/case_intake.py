"""What the contact center sends: a new case, and events on a case. Every bad field is
collected into one 400 naming it; nothing is stored for a refused request."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.domain.cases import CASE_EVENT_TYPES
from shared.domain.errors import ValidationFailed
from shared.domain.events import TIME_EXPECTED, in_the_future, iso, parse_iso
from shared.domain.forms import text_problem
from shared.domain.ids import derived_id
from shared.domain.normalize import credit_code_problem, normalize_country, normalize_email

PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("phone", "chat", "email", "web")
# a sender's clock may run a little ahead of ours; further ahead has not happened yet
# a case reported more than a year after it opened is a data error (and its business-hours
# clocks would count years of calendar days)
OLDEST = timedelta(days=366)
TEXT_LIMIT = 200
NOTE_LIMIT = 2000


@dataclass
class CaseIntake:
    external_id: str
    priority: str
    opened_at: datetime
    account_id: str
    account: dict[str, Any]
    title: str | None = None
    channel: str | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    country: str | None = None  # the account's, for Routing rows on country


def _text(
    value: Any, errors: dict[str, str], name: str, *, required: bool = False, limit: int = TEXT_LIMIT
) -> str | None:
    if value is None or value == "":
        if required:
            errors[name] = "is required"
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors[name] = "must be text"
        return None
    text = str(value).strip()
    if not text and required:
        errors[name] = "is required"
    elif len(text) > limit:
        errors[name] = f"must be at most {limit} characters"
    elif problem := text_problem(text, multiline=limit > TEXT_LIMIT):
        errors[name] = problem
    else:
        return text or None
    return None


def _time(value: Any, now: datetime, errors: dict[str, str], name: str) -> datetime:
    if value is None or value == "":
        return now
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = parse_iso(value)
    except ValueError:
        errors[name] = TIME_EXPECTED
        return now
    if in_the_future(moment, now):
        errors[name] = f"is more than 5 minutes in the future (now is {iso(now)})"
    elif moment < now - OLDEST:
        errors[name] = f"is more than a year ago (now is {iso(now)})"
    return moment


def parse_case(payload: dict[str, Any], now: datetime) -> CaseIntake:
    errors: dict[str, str] = {}
    external_id = _text(payload.get("external_id"), errors, "external_id", required=True)
    priority = str(payload.get("priority") or "").strip().upper()
    if priority not in PRIORITIES:
        errors["priority"] = f"must be one of {', '.join(PRIORITIES)}"
    channel = payload.get("channel")
    if channel is not None and channel not in CHANNELS:
        errors["channel"] = f"must be one of {', '.join(CHANNELS)}"
    title = _text(payload.get("subject"), errors, "subject")
    opened_at = _time(payload.get("opened_at"), now, errors, "opened_at")
    account_id, account, country = _account(payload.get("account"), errors)
    contact = _contact(payload.get("contact"), errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    assert external_id is not None and account_id is not None
    return CaseIntake(external_id, priority, opened_at, account_id, account, title, channel, contact, country)


def _account(value: Any, errors: dict[str, str]) -> tuple[str | None, dict[str, Any], str | None]:
    """A stable account id: the one given, else from the credit code, else company + country."""
    if not isinstance(value, dict):
        errors["account"] = "is required: an object with account_id, credit_code, or company and country"
        return None, {}, None
    sent = {k: value.get(k) for k in ("account_id", "credit_code", "company", "country") if value.get(k) is not None}
    given = _text(value.get("account_id"), errors, "account.account_id")
    company = _text(value.get("company"), errors, "account.company")
    country = None
    if value.get("country") not in (None, ""):
        try:
            country = normalize_country(str(value["country"]))
        except ValueError as bad:
            errors["account.country"] = str(bad)
    code = _text(value.get("credit_code"), errors, "account.credit_code", limit=40)
    if code is not None:
        code = unicodedata.normalize("NFKC", code).upper().replace(" ", "")
        problem = credit_code_problem(code)
        if problem is not None:
            errors["account.credit_code"] = f"is not a valid unified social credit code: {problem}"
            code = None
    if given:
        return given, sent, country
    if code:
        return _account_id(f"credit#{code}"), sent, country
    if company and country:
        folded = " ".join(unicodedata.normalize("NFKC", company).casefold().split())
        return _account_id(f"company#{folded}#{country}"), sent, country
    if not any(k.startswith("account.") for k in errors):
        errors["account"] = "needs account_id, credit_code, or company and country"
    return None, sent, country


def _account_id(key: str) -> str:
    return derived_id("ac_", key)


def _contact(value: Any, errors: dict[str, str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors["contact"] = "must be an object with name, email, phone"
        return {}
    contact = {
        "name": _text(value.get("name"), errors, "contact.name"),
        "phone": _text(value.get("phone"), errors, "contact.phone", limit=40),
    }
    email = _text(value.get("email"), errors, "contact.email")
    if email is not None:
        try:
            email = normalize_email(email)
        except ValueError as bad:
            errors["contact.email"] = str(bad)
    contact["email"] = email
    return {k: v for k, v in contact.items() if v is not None}


def parse_case_event(payload: dict[str, Any], now: datetime, owners: Collection[str]) -> dict[str, Any]:
    """One event on a case: ``by`` is someone on the Owners tab; ``at`` is not in the future."""
    errors: dict[str, str] = {}
    kind = payload.get("type")
    if kind not in CASE_EVENT_TYPES:
        errors["type"] = f"must be one of {', '.join(CASE_EVENT_TYPES)}"
    by = _text(payload.get("by"), errors, "by", required=True)
    if by is not None and by not in owners:
        errors["by"] = f"{by[:60]!r} is not an owner_id on the Owners tab"
    at = _time(payload.get("at"), now, errors, "at")  # as activities: 5 minutes' skew allowed
    note = _text(payload.get("note"), errors, "note", limit=NOTE_LIMIT)
    score = payload.get("score")
    if kind == "csat":
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            errors["score"] = "must be a whole number from 1 to 5"
    elif score is not None:
        errors["score"] = "is only for csat events"
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    entry = {"event_id": f"ce_{uuid.uuid4().hex[:16]}", "type": kind, "at": iso(at), "by": by, "note": note}
    if kind == "csat":
        entry["score"] = score
    return entry
