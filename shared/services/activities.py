"""record_activity: a sales activity on a lead; the owner's first real touch starts the clock."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from shared.domain.errors import Conflict, LeadNotFound, ValidationFailed
from shared.domain.events import TIME_EXPECTED, Event, in_the_future, iso, parse_iso
from shared.domain.forms import text_problem
from shared.domain.leads import ACTIVITY_TYPES, TOUCH_TYPES
from shared.services.capture import BUSY
from shared.services.health import lead_engagement
from shared.services.opportunities import auto_convert
from shared.services.ports import ActiveRules, Change, Clock, UnitOfWork
from shared.services.sla_clocks import stop_first_touch

# a person's clock may run a little ahead of ours; an activity further ahead has not happened yet


def parse_activity(payload: dict[str, Any], now: datetime, owners: Collection[str]) -> dict[str, Any]:
    """The activity, or one 400 naming every bad field. ``by`` is someone on the Owners tab
    (an inactive owner still did what they did); ``at`` is not in the future."""
    errors: dict[str, str] = {}
    kind = payload.get("type")
    if kind not in ACTIVITY_TYPES:
        errors["type"] = f"must be one of {', '.join(ACTIVITY_TYPES)}"
    by = payload.get("by")
    if not isinstance(by, str) or not by.strip() or len(by) > 200:
        errors["by"] = "the owner_id of who did it is required"
    elif problem := text_problem(by):
        errors["by"] = problem
    elif by.strip() not in owners:
        errors["by"] = f"{by.strip()[:60]!r} is not an owner_id on the Owners tab"
    at = payload.get("at")
    if at is None:
        at = iso(now)
    elif not isinstance(at, str):
        errors["at"] = TIME_EXPECTED
    else:
        try:
            moment = parse_iso(at)
        except ValueError:
            errors["at"] = TIME_EXPECTED
        else:
            if in_the_future(moment, now):
                errors["at"] = f"is in the future (now is {iso(now)}); an activity is recorded once it happened"
            at = iso(moment)
    note = payload.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        errors["note"] = "must be text of at most 2000 characters"
    elif isinstance(note, str) and (problem := text_problem(note, multiline=True)):
        errors["note"] = problem
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return {"activity_id": f"act_{uuid.uuid4().hex[:16]}", "type": kind, "by": str(by).strip(), "at": at, "note": note}


def record_activity(
    lead_id: str, payload: dict[str, Any], active: ActiveRules, uow: UnitOfWork, clock: Clock
) -> dict[str, Any]:
    activity = parse_activity(payload, clock(), active.rules.owners)

    def attempt() -> dict[str, Any]:
        lead = uow.leads.get(lead_id)
        if lead is None:
            raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
        version, now = lead.version, clock()
        lead.add_activity(activity)
        lead.updated_at = iso(now)
        events = [Event("ActivityRecorded", lead.subject, now, dict(activity), rules_version=active.version)]
        first_touch = (
            lead.first_touch_at is None and activity["type"] in TOUCH_TYPES and activity["by"] == lead.owner_id
        )
        if first_touch:
            lead.first_touch_at = activity["at"]
            data = {
                "owner_id": lead.owner_id,
                "type": activity["type"],
                "at": activity["at"],
                "assigned_at": lead.assigned_at,
            }
            events.append(Event("LeadFirstTouched", lead.subject, now, data, rules_version=active.version))
        stopped, cancel = stop_first_touch(lead, activity["at"], now, active) if first_touch else ([], [])
        change = Change.of(lead, version, events=[*events, *stopped], cancel=cancel)
        if activity["type"] in TOUCH_TYPES:  # a call, email or meeting engages the lead's account, if it is one
            change.merge(lead_engagement(uow, lead, activity["at"], active, now))
        converted = auto_convert(lead, "first_touch", active, now, change) if first_touch else None
        uow.commit(change)
        opportunity_id = converted.opportunity_id if converted else None
        return {**activity, "lead_id": lead_id, "first_touch": first_touch, "opportunity_id": opportunity_id}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))
