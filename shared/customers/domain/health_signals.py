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

from shared.kernel.domain.events import iso, parse_iso

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


NEITHER_NAMED = "give the account_id or the account's credit_code"
OTHER_ACCOUNT = "names another account than account_id"


def account_id_named(value: Any) -> str:
    """The account a webhook names by its id; ValueError says what is wrong."""
    from shared.customers.domain.accounts import is_account_id

    if not isinstance(value, str) or not is_account_id(value.strip()):
        raise ValueError("must be an account id (ac_ and 20 hex digits)")
    return value.strip()


def account_of_credit_code(value: Any) -> tuple[str, str]:
    """The credit code a webhook names an account by, normalised, and that account's id."""
    from shared.customers.domain.accounts import account_id_for
    from shared.kernel.domain.normalize import normalize_credit_code

    code = normalize_credit_code(value)
    return code, account_id_for(credit_code=code)


def user_count(value: Any, least: int) -> int:
    """A usage report's users: a whole number from ``least`` (licences: 1, an account with none
    has no usage to measure); more active than licensed users is accepted (shared seats)."""
    if value is None:
        raise ValueError("is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    if not least <= value <= MAX_USERS:
        raise ValueError(f"must be between {least} and {MAX_USERS:,}")
    return value


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
    "account_id_named",
    "account_of_credit_code",
    "record_activity",
    "record_case",
    "record_invoice",
    "record_usage",
    "user_count",
]
