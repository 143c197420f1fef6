"""list_leads: recent leads for people (GET /leads, `closeloop leads list`), newest first, a page
at a time.

Read through the capture-day index from the newest day back to ``since`` — never a table scan —
so a page costs one Query per day it spans. The window is bounded (at most a year back) because
every empty day in it is still one Query.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.kernel.domain.errors import LeadNotFound, ValidationFailed
from shared.kernel.domain.events import iso, parse_iso
from shared.kernel.domain.forms import text_problem
from shared.kernel.services.listing import DEFAULT_LIMIT, MAX_LIMIT, parse_limit, parse_since, unknown_parameters
from shared.kernel.services.ports import Clock
from shared.leads.domain.leads import Lead, is_lead_id
from shared.leads.services.ports import LeadFilter, LeadPosition, LeadsWork
from shared.rules.domain.rules import GRADES

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "list_leads", "parse_query", "parse_since"]

DEFAULT_SINCE = "30d"
MAX_SINCE = timedelta(days=366)
PARAMETERS = ("owner_id", "team", "grade", "since", "limit", "cursor")


@dataclass(frozen=True)
class LeadQuery:
    since: datetime
    filters: LeadFilter
    limit: int
    after: LeadPosition | None = None


def parse_query(params: Mapping[str, str] | None, now: datetime) -> LeadQuery:
    """The query parameters, or one 400 naming every bad one (unknown names included: a typo
    like ``owner`` must not silently list everyone's leads)."""
    params = dict(params or {})
    errors: dict[str, str] = {}
    unknown_parameters(params, PARAMETERS, errors)  # the same rules as every list (listing.py)
    filters = {name: _text_filter(name, params.get(name), errors) for name in ("owner_id", "team")}
    grade = params.get("grade")
    if grade is not None and grade not in GRADES:
        errors["grade"] = f"must be one of {', '.join(GRADES)}"
    limit = parse_limit(params.get("limit"), errors)
    after: LeadPosition | None = None
    if params.get("cursor") is not None:
        try:
            after, since = decode_cursor(params["cursor"])  # the listing keeps its first page's window
            if not iso(since) <= after.captured_at <= iso(now):
                raise ValueError("a position outside its window")
            since = max(since, now - MAX_SINCE)
        except ValueError:
            errors["cursor"] = "is not a cursor this API gave out; start again without it"
            since = now
    else:
        since = _since(params.get("since", DEFAULT_SINCE), now, errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} query parameter(s) are not valid", fields=errors)
    return LeadQuery(since, LeadFilter(filters["owner_id"], filters["team"], grade), limit, after)


def _text_filter(name: str, value: str | None, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    problem = text_problem(value)
    if problem is None and not value.strip():
        problem = "is empty"
    if problem is None and len(value) > 200:
        problem = "is longer than 200 characters"
    if problem:
        errors[name] = problem
    return value.strip()


def _since(text: str, now: datetime, errors: dict[str, str]) -> datetime:
    try:
        since = parse_since(text, now)
    except (ValueError, OverflowError):
        errors["since"] = "must be a duration like 30m, 12h, 7d or 2w, or an ISO 8601 time"
        return now
    if since > now:
        errors["since"] = "is in the future"
    elif since < now - MAX_SINCE:
        errors["since"] = f"may reach back at most {MAX_SINCE.days} days"
    return since


def encode_cursor(position: LeadPosition, since: datetime) -> str:
    """Opaque to callers: where the page stopped and the window's start (fixed for the listing)."""
    raw = json.dumps({"at": position.captured_at, "id": position.lead_id, "since": iso(since)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[LeadPosition, datetime]:
    """ValueError for anything :func:`encode_cursor` did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        position = LeadPosition(parse_iso_text(data["at"]), str(data["id"]))
        since = parse_iso(str(data["since"]))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
        raise ValueError("not a cursor") from None
    if not is_lead_id(position.lead_id):
        raise ValueError("not a cursor")
    return position, since


def parse_iso_text(text: Any) -> str:
    """The stored form of a capture time (checked, unchanged: it is an index key)."""
    if not isinstance(text, str):
        raise ValueError("not a time")
    parse_iso(text)
    return text


def lead_summary(lead: Lead) -> dict[str, Any]:
    """A lead in a list: who, what it is worth, who has it. An admin view (api key), like
    GET /leads/{id}, so the email is in; the phone and the decision trace are one click away."""
    return {
        "lead_id": lead.lead_id,
        "captured_at": lead.captured_at,
        "name": lead.fields.get("name"),
        "company": lead.fields.get("company"),
        "email": lead.fields.get("email"),
        "score": lead.score,
        "grade": lead.grade,
        "tier": lead.tier,
        "owner_id": lead.owner_id,
        "team": lead.team,
        "queue": lead.queue,
        "assigned_at": lead.assigned_at,
        "first_touch_at": lead.first_touch_at,
        "rules_version": lead.decision.get("rules_version"),
        "quality": lead.quality,
    }


def get_lead(lead_id: str, uow: LeadsWork) -> dict[str, Any]:
    """GET /leads/{lead_id}: the lead's view."""
    lead = uow.leads.get(lead_id)
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
    return lead.view()


def list_leads(params: Mapping[str, str] | None, uow: LeadsWork, clock: Clock) -> dict[str, Any]:
    """``{"leads": [summary, ...], "next_cursor": "..." | None}``, newest first."""
    now = clock()
    query = parse_query(params, now)
    page = uow.leads.recent(query.since, now, query.filters, query.limit, query.after)
    cursor = encode_cursor(page.after, query.since) if page.after else None
    return {"leads": [lead_summary(lead) for lead in page.leads], "next_cursor": cursor}
