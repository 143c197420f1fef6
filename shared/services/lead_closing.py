"""Closing a lead as not a fit (``POST /leads/{id}/disqualify``): its owner's load is released,
its SLA clock stops without a verdict and its pending timers go (CONTRACT §9 capacity)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from shared.domain.errors import Conflict, InvalidTransition, LeadNotFound, ValidationFailed
from shared.domain.events import Event, iso
from shared.domain.forms import text_problem
from shared.domain.leads import MAX_REASON, Lead
from shared.services.capture import BUSY
from shared.services.ports import ActiveRules, Change, Clock, Release, UnitOfWork
from shared.services.sla_clocks import close_clocks


def parse_disqualification(payload: dict[str, Any], owners: Collection[str]) -> dict[str, str]:
    """``{"reason", "by"}``: why, and who decided (someone on the Owners tab)."""
    errors: dict[str, str] = {}
    reason, by = payload.get("reason"), payload.get("by")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = "say why the lead is not a fit (text, required)"
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"must be at most {MAX_REASON} characters"
    elif problem := text_problem(reason, multiline=True):
        errors["reason"] = problem
    if not isinstance(by, str) or not by.strip():
        errors["by"] = "the owner_id of who disqualified the lead is required"
    elif problem := text_problem(by):
        errors["by"] = problem
    elif by.strip() not in owners:
        errors["by"] = f"{by.strip()[:60]!r} is not an owner_id on the Owners tab"
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return {"reason": str(reason).strip(), "by": str(by).strip()}


def disqualify(lead_id: str, payload: dict[str, Any], active: ActiveRules, uow: UnitOfWork, clock: Clock) -> Lead:
    request = parse_disqualification(payload, active.rules.owners)

    def attempt() -> Lead:
        lead = uow.leads.get(lead_id)
        if lead is None:
            raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
        if not lead.is_open:
            raise InvalidTransition(f"the lead is already {lead.status}; a closed lead cannot be disqualified")
        version, now = lead.version, clock()
        owner = lead.owner_id
        cancel = _close(lead, now, request["reason"])
        data = {"reason": request["reason"], "by": request["by"], "owner_id": owner, "team": lead.team}
        event = Event("LeadDisqualified", lead.subject, now, data, rules_version=active.version)
        release = Release(owner) if owner else None
        uow.commit(Change.of(lead, version, release=release, events=[event], cancel=cancel))
        return lead

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def disqualify_answer(
    lead_id: str, payload: dict[str, Any], active: ActiveRules, uow: UnitOfWork, clock: Clock
) -> dict[str, Any]:
    """POST /leads/{lead_id}/disqualify: the disqualified lead's view."""
    return disqualify(lead_id, payload, active, uow, clock).view()


def _close(lead: Lead, now: datetime, reason: str) -> list[str]:
    """The lead leaves everyone's open work; returns the timers to cancel."""
    lead.status, lead.closed_at, lead.close_reason = "disqualified", iso(now), reason
    lead.queue, lead.nurture, lead.updated_at = None, False, iso(now)
    return close_clocks(lead, iso(now), "disqualified")
