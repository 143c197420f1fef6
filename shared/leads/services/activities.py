"""record_activity: a sales activity on a lead; the owner's first real touch starts the clock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.customers.services.health import lead_engagement
from shared.customers.services.ports import CustomersWork
from shared.kernel.domain.errors import Conflict, LeadNotFound
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Clock
from shared.leads.domain.leads import TOUCH_TYPES
from shared.leads.services.capture import BUSY
from shared.leads.services.sla_clocks import stop_first_touch
from shared.rules.domain.active import ActiveRules
from shared.sales.services.opportunities import auto_convert

if TYPE_CHECKING:  # read at the edge (dispatch.py: command; links.py)
    from shared.leads.messages.leads import LeadActivity


def new_activity(command: LeadActivity, now: datetime) -> dict[str, Any]:
    """The activity as a lead or an opportunity records it."""
    return {
        "activity_id": f"act_{uuid.uuid4().hex[:16]}",
        "type": command.type,
        "by": command.by,
        "at": iso(command.at or now),
        "note": command.note,
    }


def record_activity(
    lead_id: str, command: LeadActivity, active: ActiveRules, uow: CustomersWork, clock: Clock
) -> dict[str, Any]:
    activity = new_activity(command, clock())

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
