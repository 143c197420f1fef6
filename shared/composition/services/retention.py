"""retention-sweep (CONTRACT §12): Settings ``lead_retention_days`` erases, once a day, the leads
nothing happened to for that many days — no capture or merge, touch, activity or behaviour — and
with no open work: no SLA clock still running on them (a pending timer) and no open opportunity.

The erasure is the one ``POST /privacy/erase`` does to a lead (shared/composition/services/privacy.py), with
``PersonErased`` (reason ``retention``). An empty setting keeps every lead and reads nothing.
The sweep visits every lead a Scan page at a time (it is not a request path), stops between pages
before its time budget ends and says where to carry on; one lead that cannot be erased (a race lost
every retry, a bad item) is counted and skipped — the next day's run tries it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.composition.domain.privacy import retention_ended
from shared.composition.services.ports import AllWork, PersonalRecords
from shared.composition.services.privacy import Erasure, erase_lead_records
from shared.kernel.services.paged_sweep import ITEM_FAULTS, sweep_pages
from shared.leads.domain.leads import Lead
from shared.rules.domain.active import ActiveRules

PAGE_SIZE = 100
MAX_LISTED_FAILURES = 20


@dataclass
class RetentionReport:
    leads: int = 0  # visited
    erased: int = 0
    kept: int = 0  # still within retention, with open work, or erased already
    events: int = 0  # recorded events whose data was erased
    failed: list[str] = field(default_factory=list)  # lead ids that could not be erased
    next_after: str | None = None  # where the next run carries on (the time budget ran out), else None

    def summary(self) -> dict[str, Any]:
        return {
            "finished": self.next_after is None,
            "leads": self.leads,
            "erased": self.erased,
            "kept": self.kept,
            "events": self.events,
            "failed": len(self.failed),
            "failed_leads": self.failed[:MAX_LISTED_FAILURES],
        }


def sweep_retention(
    active: ActiveRules,
    uow: AllWork,
    records: PersonalRecords,
    now: datetime,
    page_size: int = PAGE_SIZE,
    after: str | None = None,
    time_left: Callable[[], float] | None = None,
) -> RetentionReport:
    """Erase every lead whose retention ended as of ``now``, from the lead after ``after``."""
    report = RetentionReport()
    days = active.rules.settings.lead_retention_days
    if not days:
        return report  # keep: nothing to read

    def visit(listed: Lead) -> None:
        report.leads += 1
        try:
            # the page is a Scan (eventually consistent): a candidate is judged again as stored now
            ended = retention_ended(listed.to_dict(), days, now)
            lead = uow.leads.get(listed.lead_id) if ended else None
            if lead is None or not _due(lead, days, uow, now):
                report.kept += 1
                return
            erasure = Erasure()
            erase_lead_records(lead, None, "retention", uow, records, now, erasure, unchanged_since=lead.version)
        except ITEM_FAULTS:
            report.failed.append(listed.lead_id)
            return
        report.erased += erasure.leads
        report.events += erasure.events

    report.next_after = sweep_pages(lambda start: uow.leads.page(page_size, start), visit, after, time_left)
    return report


def _due(lead: Lead, days: int, uow: AllWork, now: datetime) -> bool:
    """Retention ended and no open work: no clock running on it, no open opportunity."""
    if not retention_ended(lead.to_dict(), days, now):
        return False
    if uow.timers.pending(about=lead.subject):
        return False
    if lead.opportunity_id:
        opportunity = uow.opportunities.get(lead.opportunity_id)
        if opportunity is not None and opportunity.status == "open":
            return False
    return True


__all__ = ["RetentionReport", "sweep_retention"]
