"""list_audit: who changed what (CONTRACT §12) — GET /audit and `closeloop audit list`.

Each entry is an event envelope with its ``actor``: which API key (by name; a personal key's
person, or the person an admin or integration key acted for), action link, webhook source,
schedule or operator at the CLI made the change, and when. Filters: ``subject`` (every event of
one quote, lead, ... whoever made it), ``actor`` (the changes one key, link or operator made),
neither (every audited change); ``since`` (a duration like ``7d`` or an ISO time), ``to``.
Paged like GET /leads, newest first; read from indexes, never a scan.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import iso, parse_iso
from shared.kernel.domain.forms import text_problem
from shared.kernel.services.listing import parse_limit, parse_since, unknown_parameters
from shared.kernel.services.ports import AuditLog, AuditPosition, Clock

PARAMETERS = ("subject", "actor", "since", "from", "to", "limit", "cursor")
DEFAULT_SINCE = "30d"  # every audited change: walked a day at a time, so the window is bounded
MAX_DAYS = timedelta(days=366)
ALL_TIME = "1900-01-01T00:00:00.000Z"  # one subject's or one actor's changes: an index range, any age


def list_audit(params: Mapping[str, str] | None, log: AuditLog, clock: Clock) -> dict[str, Any]:
    """``{"audit": [envelope, ...], "next_cursor": "..." | None}``, newest first."""
    now = clock()
    query = _parse(dict(params or {}), now)
    page = log.page(query["subject"], query["actor"], query["since"], query["until"], query["limit"], query["after"])
    cursor = _encode(page.after, query) if page.after else None
    return {"audit": page.entries, "next_cursor": cursor}


def _parse(params: dict[str, str], now: datetime) -> dict[str, Any]:
    errors: dict[str, str] = {}
    unknown_parameters(params, PARAMETERS, errors)  # the same rules as every list (listing.py)
    subject, actor = _text(params, "subject", errors), _text(params, "actor", errors)
    if subject is not None and actor is not None:
        errors["actor"] = "give subject or actor, not both"
    limit = parse_limit(params.get("limit"), errors)
    filtered = subject is not None or actor is not None
    until = _instant(params, "to", now, errors, future=True) if "to" in params else now
    after, since = None, now
    if params.get("cursor") is not None:
        try:
            after, since, until = _decode(params["cursor"], subject, actor)
        except ValueError:
            errors["cursor"] = "is not a cursor this API gave out for these filters; start again without it"
    elif "from" in params or "since" in params:
        since = _instant(params, "from" if "from" in params else "since", now, errors)
    else:
        since = parse_iso(ALL_TIME) if filtered else parse_since(DEFAULT_SINCE, now)
    if not errors and since > until:
        errors["since" if "since" in params else "from"] = "is after the end of the window"
    if not errors and not filtered and until - since > MAX_DAYS:
        errors["since" if "since" in params else "from"] = (
            f"every change is listed a day at a time: at most {MAX_DAYS.days} days (or filter by subject or actor)"
        )
    if errors:
        raise ValidationFailed(f"{len(errors)} query parameter(s) are not valid", fields=errors)
    return {
        "subject": subject,
        "actor": actor,
        "since": iso(since),
        "until": iso(until),
        "limit": limit,
        "after": after,
    }


def _text(params: dict[str, str], name: str, errors: dict[str, str]) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    problem = text_problem(value) or ("is empty" if not value.strip() else None)
    if problem is None and len(value) > 200:
        problem = "is longer than 200 characters"
    if problem:
        errors[name] = problem
    return value.strip()


def _instant(
    params: dict[str, str], name: str, now: datetime, errors: dict[str, str], future: bool = False
) -> datetime:
    """A duration back from now or an ISO time; only ``to`` may be ahead (a sweep run --at a later time)."""
    try:
        moment = parse_since(params[name], now)
    except (ValueError, OverflowError):
        errors[name] = "must be a duration like 30m, 12h, 7d or 2w, or an ISO 8601 time"
        return now
    if moment > now and not future:
        errors[name] = "is in the future"
    return moment


def _encode(position: AuditPosition, query: dict[str, Any]) -> str:
    """Opaque: where the page stopped, the listing's window and filters (a cursor is for them only)."""
    raw = {"at": position.time, "id": position.event_id, "since": query["since"], "until": query["until"]}
    raw |= {"subject": query["subject"], "actor": query["actor"]}
    text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _decode(cursor: str, subject: str | None, actor: str | None) -> tuple[AuditPosition, datetime, datetime]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = AuditPosition(str(data["at"]), str(data["id"]))
        since, until = parse_iso(str(data["since"])), parse_iso(str(data["until"]))
        parse_iso(position.time)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("not a cursor") from None
    if (data.get("subject"), data.get("actor")) != (subject, actor) or not position.event_id.startswith("evt_"):
        raise ValueError("a cursor of another listing")
    if not iso(since) <= position.time <= iso(until):
        raise ValueError("a position outside its window")
    return position, since, until
