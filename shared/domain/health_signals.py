"""The small per-account signals health is computed from (CONTRACT §2.10), kept on the account as
things happen so no computation ever scans cases, invoices or activities. Pure: time is passed in.

``signals`` is a plain dict on the account (it is stored as JSON):

- ``usage``: the latest usage report ``{"at", "active_users", "licensed_users", "source"}``;
- ``cases``: the account's open cases ``{case_id: {"priority", "opened_at"}}``;
- ``csat``: the latest CSAT of each case ``[{"case_id", "score", "at"}]`` within the support window;
- ``invoices``: invoices that can hurt payment health ``{invoice_id: {"status": "issued" | "rejected",
  "due_date", "at", "order_id"}}`` — an issued invoice until it is paid, a rejected one for the
  support window after its rejection;
- ``activity``: sales and service activity per day ``{"YYYY-MM-DD": count}`` within the engagement
  window.

Each list or map is bounded (a DynamoDB item stops at 400 KB): old entries give way first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from shared.domain.errors import ValidationFailed
from shared.domain.events import TIME_EXPECTED, in_the_future, iso, parse_iso

SUPPORT_WINDOW = timedelta(days=90)  # CSAT, and how long a rejected invoice counts
ENGAGEMENT_WINDOW = timedelta(days=30)
MAX_USERS = 10_000_000
MAX_OPEN_CASES = 200
MAX_CSAT = 100
MAX_INVOICES = 200
SERIOUS = ("P1", "P2")  # the case priorities the support dimension counts


def _prune_by_time(entries: dict[str, dict[str, Any]], limit: int) -> None:
    """Keep the ``limit`` newest entries (by ``at``)."""
    if len(entries) > limit:
        for key in sorted(entries, key=lambda k: str(entries[k].get("at") or ""))[: len(entries) - limit]:
            del entries[key]


# ------------------------------------------------------------------ usage reports


def parse_usage_report(payload: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``{"account_id" | "credit_code", "at"?, "active_users", "licensed_users"}``, every bad field
    named at once (400). Users are whole numbers ≥ 0 and ``licensed_users`` ≥ 1 (an account with no
    licences has no usage to measure); more active than licensed users is accepted (shared or
    over-deployed seats) and scores as full use. ``at`` defaults to now, at most 5 minutes ahead."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    account_id = account_ref(payload, errors)
    if account_id is not None:
        out["account_id"] = account_id
    for name, least in (("active_users", 0), ("licensed_users", 1)):
        value = payload.get(name)
        if value is None:
            errors[name] = "is required"
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[name] = "must be a whole number"
        elif not least <= value <= MAX_USERS:
            errors[name] = f"must be between {least} and {MAX_USERS:,}"
        else:
            out[name] = value
    out["at"] = _moment(payload.get("at"), now, errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return out


def account_ref(payload: Mapping[str, Any], errors: dict[str, str]) -> str | None:
    """The account a webhook names by ``account_id`` or ``credit_code`` (both: the same one);
    problems go into ``errors`` under the field's name."""
    from shared.domain.accounts import account_id_for, is_account_id
    from shared.domain.normalize import normalize_credit_code

    found: str | None = None
    account_id, credit_code = payload.get("account_id"), payload.get("credit_code")
    if account_id is None and credit_code is None:
        errors["account_id"] = "give the account_id or the account's credit_code"
    if account_id is not None:
        if not isinstance(account_id, str) or not is_account_id(account_id.strip()):
            errors["account_id"] = "must be an account id (ac_ and 20 hex digits)"
        else:
            found = account_id.strip()
    if credit_code is not None:
        try:
            derived = account_id_for(credit_code=normalize_credit_code(credit_code))
        except ValueError as bad:
            errors["credit_code"] = str(bad)
        else:
            if (found or derived) != derived:
                errors["credit_code"] = "names another account than account_id"
            found = derived
    return found


def moment_of(value: Any, now: datetime, errors: dict[str, str]) -> str:
    """A webhook's ``at``: now when absent, at most 5 minutes ahead; problems into ``errors``."""
    return _moment(value, now, errors)


def _moment(value: Any, now: datetime, errors: dict[str, str]) -> str:
    if value is None:
        return iso(now)
    if not isinstance(value, str):
        errors["at"] = TIME_EXPECTED
        return ""
    try:
        moment = parse_iso(value)
    except ValueError:
        errors["at"] = TIME_EXPECTED
        return ""
    if in_the_future(moment, now):
        errors["at"] = f"is in the future (now is {iso(now)})"
    return iso(moment)


def record_usage(signals: dict[str, Any], report: Mapping[str, Any], source: str | None) -> bool:
    """Keep the report if it is the latest (a late, older report changes nothing); True if kept."""
    current = signals.get("usage")
    if current and parse_iso(str(current["at"])) >= parse_iso(str(report["at"])):
        return False
    signals["usage"] = {
        "at": report["at"],
        "active_users": int(report["active_users"]),
        "licensed_users": int(report["licensed_users"]),
        "source": source,
    }
    return True


# ------------------------------------------------------------------ cases


def record_case(
    signals: dict[str, Any],
    case_id: str,
    priority: str,
    opened_at: str,
    is_open: bool,
    csat: tuple[int, str] | None,
    now: datetime,
) -> None:
    """What a case says about its account now: open or not, and its latest CSAT (score, at)."""
    cases: dict[str, dict[str, Any]] = signals.setdefault("cases", {})
    if is_open:
        cases[case_id] = {"priority": priority, "opened_at": opened_at, "at": opened_at}
        _prune_by_time(cases, MAX_OPEN_CASES)
    else:
        cases.pop(case_id, None)
    scores: list[dict[str, Any]] = [c for c in signals.get("csat", []) if c["case_id"] != case_id]
    if csat is not None:
        scores.append({"case_id": case_id, "score": int(csat[0]), "at": csat[1]})
    since = now - SUPPORT_WINDOW
    scores = [c for c in scores if parse_iso(str(c["at"])) >= since]
    scores.sort(key=lambda c: str(c["at"]))
    signals["csat"] = scores[-MAX_CSAT:]


# ------------------------------------------------------------------ invoices


def record_invoice(signals: dict[str, Any], invoice: Mapping[str, Any], order_id: str, now: datetime) -> None:
    """An invoice's status as finance wrote it back: issued (until paid) and rejected invoices are
    kept; a paid one is dropped; rejected ones leave after the support window."""
    invoices: dict[str, dict[str, Any]] = signals.setdefault("invoices", {})
    invoice_id, status = str(invoice["invoice_id"]), str(invoice.get("status"))
    if status in ("issued", "rejected"):
        invoices[invoice_id] = {
            "status": status,
            "due_date": invoice.get("due_date"),
            "at": invoice.get(f"{status}_at") or iso(now),
            "order_id": order_id,
        }
    else:
        invoices.pop(invoice_id, None)
    since = now - SUPPORT_WINDOW
    for key in [k for k, v in invoices.items() if v["status"] == "rejected" and parse_iso(str(v["at"])) < since]:
        del invoices[key]
    _prune_by_time(invoices, MAX_INVOICES)


# ------------------------------------------------------------------ engagement


def record_activity(signals: dict[str, Any], at: str, now: datetime) -> bool:
    """One sales or service activity on the account at ``at`` (counted per day, UTC); an activity
    older than the engagement window is history, not engagement. True if counted."""
    moment = parse_iso(at)
    days: dict[str, int] = signals.setdefault("activity", {})
    oldest = (now - ENGAGEMENT_WINDOW).date().isoformat()
    for day in [d for d in days if d < oldest]:
        del days[day]
    day = moment.date().isoformat()
    if day < oldest:
        return False
    days[day] = days.get(day, 0) + 1
    return True


__all__ = [
    "ENGAGEMENT_WINDOW",
    "SERIOUS",
    "SUPPORT_WINDOW",
    "parse_usage_report",
    "record_activity",
    "record_case",
    "record_invoice",
    "record_usage",
]
