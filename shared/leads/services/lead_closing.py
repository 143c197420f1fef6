"""Closing a lead as not a fit (``POST /leads/{id}/disqualify``): its owner's load is released,
its SLA clock stops without a verdict and its pending timers go (CONTRACT §9 capacity)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.kernel.domain.errors import Conflict, InvalidTransition, LeadNotFound
from shared.kernel.domain.events import Event, iso
from shared.kernel.services.ports import Change, Clock, Release
from shared.leads.domain.leads import Lead
from shared.leads.services.capture import BUSY
from shared.leads.services.ports import LeadsWork
from shared.leads.services.sla_clocks import close_clocks
from shared.rules.domain.active import ActiveRules

if TYPE_CHECKING:  # read at the edge (functions/api/dispatch.py: command)
    from shared.leads.messages.leads import Disqualification


def disqualify(lead_id: str, command: Disqualification, active: ActiveRules, uow: LeadsWork, clock: Clock) -> Lead:

    def attempt() -> Lead:
        lead = uow.leads.get(lead_id)
        if lead is None:
            raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
        if not lead.is_open:
            raise InvalidTransition(f"the lead is already {lead.status}; a closed lead cannot be disqualified")
        version, now = lead.version, clock()
        owner = lead.owner_id
        cancel = _close(lead, now, command.reason)
        data = {"reason": command.reason, "by": command.by, "owner_id": owner, "team": lead.team}
        event = Event("LeadDisqualified", lead.subject, now, data, rules_version=active.version)
        release = Release(owner) if owner else None
        uow.commit(Change.of(lead, version, release=release, events=[event], cancel=cancel))
        return lead

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def disqualify_answer(
    lead_id: str, command: Disqualification, active: ActiveRules, uow: LeadsWork, clock: Clock
) -> dict[str, Any]:
    """POST /leads/{lead_id}/disqualify: the disqualified lead's view."""
    return disqualify(lead_id, command, active, uow, clock).view()


def _close(lead: Lead, now: datetime, reason: str) -> list[str]:
    """The lead leaves everyone's open work; returns the timers to cancel."""
    lead.status, lead.closed_at, lead.close_reason = "disqualified", iso(now), reason
    lead.queue, lead.nurture, lead.updated_at = None, False, iso(now)
    return close_clocks(lead, iso(now), "disqualified")
