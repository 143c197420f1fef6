"""Open work at risk, per team (the workbook's ``Work`` tab, written by kpi-snapshot): leads
awaiting their first touch, open cases by SLA clock, quotes waiting on an approver, invoices
blocked, renewals on hold.

Every section is read from an index, never a table scan: leads from the capture-day index (the
last :data:`LEAD_DAYS` days), the rest from the list index (CONTRACT §11) filtered on the stored
status. Each read stops at :data:`READ_LIMIT` records; a section shows its :data:`ROWS` most
urgent and says how many more there are. Rows carry ids, owners and names only: no e-mail or
phone leaves the store here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.composition.services.list_specs import CASES, CONTRACTS, INVOICES, QUOTES
from shared.composition.services.ports import AllWork
from shared.kernel.domain.events import iso
from shared.kernel.services.listing import ListCondition
from shared.leads.services.ports import LeadFilter
from shared.rules.domain.active import ActiveRules

ROWS = 20  # rows shown per section
READ_LIMIT = 200  # records read per section (one list page)
LEAD_DAYS = 7  # leads awaiting a first touch are looked for among those captured this many days back
SECTIONS = ("leads", "cases", "approvals", "invoices", "renewals")
OPEN_CASE = ("open", "reopened", "waiting_on_customer")  # every status but resolved


@dataclass
class Section:
    rows: list[dict[str, Any]] = field(default_factory=list)  # most urgent first, at most ROWS
    more: int = 0  # rows read but not shown
    read_all: bool = True  # False: the read stopped at READ_LIMIT, there are more still


def work_at_risk(uow: AllWork, active: ActiveRules, now: datetime) -> dict[str, Any]:
    """``{"sections": {name: Section}, "teams": {team: {section: count}}}``; counts per team are
    of the records read."""
    owners = active.rules.owners
    sections = {
        "leads": _leads(uow, now),
        "cases": _cases(uow, active, now),
        "approvals": _approvals(uow),
        "invoices": _invoices(uow),
        "renewals": _renewals(uow),
    }
    teams: dict[str, dict[str, int]] = {}
    built: dict[str, Section] = {}
    for name, rows in sections.items():
        read, complete = rows
        for row in read:
            owner = owners.get(row.get("owner_id") or "")
            row["owner"] = owner.name if owner else None
            row["team"] = row.get("team") or (owner.team if owner else None) or ""
            if "waiting_on" in row:
                approver = owners.get(row["waiting_on"] or "")
                row["waiting_on_name"] = approver.name if approver else None
            counts = teams.setdefault(row["team"], dict.fromkeys(SECTIONS, 0))
            counts[name] += 1
        read.sort(key=lambda r: (str(r.get("due") or "~"), r["id"]))
        built[name] = Section(read[:ROWS], max(0, len(read) - ROWS), complete)
    return {"sections": built, "teams": dict(sorted(teams.items()))}


Read = tuple[list[dict[str, Any]], bool]


def _leads(uow: AllWork, now: datetime) -> Read:
    page = uow.leads.recent(now - timedelta(days=LEAD_DAYS), now, LeadFilter(), READ_LIMIT)
    rows = []
    for lead in page.leads:
        clock = lead.sla.get("first_touch") or {}
        if not lead.is_open or lead.first_touch_at or clock.get("state") not in ("running", "breached"):
            continue
        rows.append(
            {
                "id": lead.lead_id,
                "subject": lead.subject,
                "name": lead.fields.get("name"),
                "company": lead.fields.get("company"),
                "owner_id": lead.owner_id,
                "team": lead.team or lead.queue,
                "due": clock.get("due_at"),
                "state": clock["state"],
            }
        )
    return rows, page.after is None


def _cases(uow: AllWork, active: ActiveRules, now: datetime) -> Read:
    page = uow.lists.page(CASES, (ListCondition("status", OPEN_CASE),), None, READ_LIMIT)
    rows = []
    for case in page.items:
        for name, clock in case.clocks(active.calendars, now).items():
            if clock.state not in ("running", "paused", "breached"):
                continue
            rows.append(
                {
                    "id": case.case_id,
                    "subject": case.subject,
                    "name": case.title,
                    "priority": case.priority,
                    "clock": name,
                    "state": clock.state,
                    "due": None if clock.state == "paused" else iso(clock.due),
                    "owner_id": case.owner_id,
                    "team": case.team or case.queue,
                }
            )
    return rows, page.after is None


def _approvals(uow: AllWork) -> Read:
    page = uow.lists.page(QUOTES, (ListCondition("status", ("pending_approval",)),), None, READ_LIMIT)
    rows = []
    for quote in page.items:
        step = quote.pending_step() or {}
        holder = step["escalated_to"][-1]["owner_id"] if step.get("escalated_to") else step.get("approver_id")
        rows.append(
            {
                "id": quote.quote_id,
                "subject": quote.subject,
                "name": f"{quote.amount} {quote.currency}",
                "owner_id": quote.owner_id,
                "waiting_on": holder,
                "role": step.get("role"),
                "due": step.get("due_at"),
                "since": step.get("requested_at"),
            }
        )
    return rows, page.after is None


def _invoices(uow: AllWork) -> Read:
    page = uow.lists.page(INVOICES, (ListCondition("status", ("blocked",)),), None, READ_LIMIT)
    managers: dict[str, str | None] = {}  # account id -> its account manager, who chases the invoice
    rows = []
    for invoice in page.items:
        if invoice.account_id not in managers:
            account = uow.accounts.get(invoice.account_id)
            managers[invoice.account_id] = account.account_manager_id if account else None
        rows.append(
            {
                "id": invoice.invoice_id,
                "subject": invoice.subject,
                "name": f"{invoice.amount} {invoice.currency}",
                "order_id": invoice.order_id,
                "account_id": invoice.account_id,
                "owner_id": managers[invoice.account_id],
                "why": invoice.blocked_reason,
                "due": invoice.created_at,  # the oldest blocked first
            }
        )
    return rows, page.after is None


def _renewals(uow: AllWork) -> Read:
    conditions = (ListCondition("status", ("active",)), ListCondition("on_hold", ("true",)))
    page = uow.lists.page(CONTRACTS, conditions, None, READ_LIMIT)
    rows = []
    for contract in page.items:
        hold = contract.hold or {}
        rows.append(
            {
                "id": contract.contract_id,
                "subject": contract.subject,
                "account_id": contract.account_id,
                "owner_id": contract.owner_id,
                "end_date": contract.end_date,
                "cases": ", ".join(hold.get("case_ids") or []),
                "due": contract.end_date,
                "since": hold.get("since"),
            }
        )
    return rows, page.after is None
