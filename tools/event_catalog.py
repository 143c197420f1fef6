"""What each event type means and what its `data` holds: the small table docs/events.md is
generated from, next to shared/domain/events.py's EventType (the names).

A type with ``data`` is emitted today and lists every key its emitters put in ``data``
(tests/unit/test_generated_docs.py drives the services and compares); a type without is reserved:
named in CONTRACT §4, not emitted yet. Emitting one means filling in its ``data`` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.events import EventType
from tools.event_catalog_sales import SALES

LEAD = "lead/<lead_id>"
_SUMMARY = {
    "lead_id": "the lead",
    "score": "0–100, from the Scoring tab",
    "grade": "`sql`, `mql` or `nurture`",
    "tier": "from the Tiers tab",
    "rules_version": "the rules version that decided",
    "quality": '`{"score", "missing", "flags"}`: completeness over Settings `quality_fields`',
}
_BEFORE_ROUTING = {
    "owner_id": "as before routing: `null` for a new lead (`LeadAssigned` follows when it is routed)",
    "team": "as before routing, like `owner_id`",
}
CASE = "case/<case_id>"
LEAD_OR_CASE = "lead/<lead_id> or case/<case_id>"
_SLA = {
    "clock": "the clock's name: `first_touch` on a lead; `first_response` or `resolution` on a case",
    "kind": "the SLA kind (`lead_first_touch`, `case_first_response`, `case_resolution`)",
    "owner_id": "the lead's or case's owner the clock runs for",
    "due_at": "when the target is reached (business hours of the SLA row's calendar, or the wall clock; "
    "a case's due time moves with its pauses)",
    "sla_row": "the SLA row (1-based, from the top) that set the clock",
    "late_seconds": "how late the timer fired (0 when on time)",
}

_CASE_CHANGE = {
    "case_id": "the case",
    "at": "when it happened",
    "by": "who recorded it",
    "owner_id": "the case's owner",
    "priority": "`P1`–`P4`",
    "account_id": "the account",
    "first_contact_resolution": "resolved with exactly one agent contact and never reopened",
}
CONTRACT = "contract/<contract_id>"
_RENEWAL = {
    "contract_id": "the contract",
    "account_id": "the customer's account",
    "end_date": "its end date, `YYYY-MM-DD`",
    "account_manager_id": "the account manager (else whoever sold the contract)",
}
ORDER = "order/<order_id>"
INVOICE = "invoice/<invoice_id>"
_INVOICE = {
    "invoice_id": "the invoice",
    "order_id": "its order",
    "amount": "its total, a decimal string",
    "currency": "its currency",
    "account_id": "the buyer's account",
}
_WRITE_BACK = {
    "status": "`issued`, `paid` or `rejected`",
    "at": "when, as finance reported it",
    "invoice_number": "finance's number for it (once given), or `null`",
    "due_date": "when payment is due (once given), or `null`",
    "reason": "why, when rejected; else `null`",
    "notify": "the account manager told (empty if none)",
}


@dataclass(frozen=True)
class EventDoc:
    meaning: str  # one line: when it happens
    subject: str | None = None  # emitted types: the envelope's `subject`
    data: dict[str, str] | None = None  # key -> meaning; None: reserved, not emitted yet


CATALOG: dict[EventType, EventDoc] = {
    # leads
    "LeadCaptured": EventDoc(
        "a new lead was created by `POST /webhooks/leads/{source}`",
        subject=LEAD,
        data={"source": "the source it was posted to", **_SUMMARY, **_BEFORE_ROUTING},
    ),
    "LeadMerged": EventDoc(
        "a post matched an existing lead (same email, phone or credit code) and was merged into it",
        subject=LEAD,
        data={
            "source": "the source of this post",
            "filled": "the fields this post filled (empty ones only)",
            "touch": '`{"source", "channel", "campaign", "utm_source", "utm_medium", "message", "at"}`',
            **_SUMMARY,
            "owner_id": "the owner before any routing this merge causes",
            "team": "the team, like `owner_id`",
        },
    ),
    "LeadAssigned": EventDoc(
        "routing gave the lead an owner (weighted round robin within the Routing row's team)",
        subject=LEAD,
        data={"owner_id": "the owner", "team": "the owner's team", "routing_rule": "the Routing row (`routing:<n>`)"},
    ),
    "LeadUnassigned": EventDoc(
        "an sql or mql lead nobody can take: it waits in the team's queue",
        subject=LEAD,
        data={
            "team": "the Routing row's team whose queue holds it; `null` when no row matched",
            "reason": "`no_rule` (no Routing row matched), `no_capacity` (everyone inactive or full) or "
            "`reassign_no_capacity` (its SLA reassignment found nobody else free)",
            "from_owner_id": "the owner it was taken from (reassignment), else `null`",
        },
    ),
    "LeadNurtureEnrolled": EventDoc(
        "a lead graded `nurture`: not routed, nurtured",
        subject=LEAD,
        data={"score": "its score (below `nurture_below`)"},
    ),
    "LeadRequalified": EventDoc(
        "a nurture lead woke (a merge raised its grade, or behaviour: score, click rate or a wake event), "
        "or behaviour raised an mql lead to sql",
        subject=LEAD,
        data={
            "from": "`nurture` or `mql`",
            "to": "the new grade (`mql` or `sql`)",
            "event": "behaviour only: the behaviour event that woke it",
            "score": "behaviour only: its score after the event",
        },
    ),
    "LeadNeedsEnrichment": EventDoc(
        "a new lead's data quality is below Settings `quality_threshold`",
        subject=LEAD,
        data={
            "score": "completeness 0–100 over Settings `quality_fields`",
            "missing": "the quality fields it lacks",
            "flags": "e.g. `industry_unmapped`",
        },
    ),
    "LeadFirstTouched": EventDoc(
        "the owner's first call, email or meeting on the lead (`POST /leads/{lead_id}/activities`)",
        subject=LEAD,
        data={
            "owner_id": "the owner who touched it",
            "type": "`call`, `email` or `meeting`",
            "at": "when the touch happened",
            "assigned_at": "when the lead was assigned (first touch minus this is the response time)",
        },
    ),
    "LeadReassigned": EventDoc(
        "the lead, still untouched after its SLA row's `reassign_after_hours`, moved to someone else in the "
        "same routing pool: the old owner's load released, the new owner's taken, a new clock started (CONTRACT §9)",
        subject=LEAD,
        data={
            "from_owner_id": "who had it",
            "owner_id": "who has it now",
            "team": "the routing pool's team",
            "reason": "`sla_reassign`",
        },
    ),
    "LeadConverted": EventDoc(
        "the lead became an opportunity (CONTRACT §2.6): closed as `converted`, its owner's load released, its "
        "SLA clock stopped without a verdict, its timers cancelled",
        subject=LEAD,
        data={
            "opportunity_id": "the opportunity it became",
            "owner_id": "the lead's owner (whose load is released), or null",
            "opportunity_owner_id": "the opportunity's owner",
            "trigger": "`manual` (`POST /opportunities`), `sql` or `first_touch` (Settings `create_opportunity_on`)",
        },
    ),
    "LeadDisqualified": EventDoc(
        "the lead was closed as not a fit (`POST /leads/{lead_id}/disqualify`): its owner's load released, its "
        "SLA clock stopped without a verdict, its timers cancelled",
        subject=LEAD,
        data={
            "reason": "why, as given",
            "by": "who decided (an owner_id)",
            "owner_id": "who had it, or `null`",
            "team": "its team, or `null`",
        },
    ),
    "ActivityRecorded": EventDoc(
        "a sales activity was recorded on a lead or an opportunity (the full history; each keeps the latest 100)",
        subject="lead/<lead_id> or opportunity/<opportunity_id>",
        data={
            "activity_id": "`act_…`",
            "type": "`call`, `email`, `meeting` or `note`",
            "by": "who did it (an owner_id)",
            "at": "when it happened",
            "note": "free text, or `null`",
        },
    ),
    "ConsentWithdrawn": EventDoc(
        "an `unsubscribe` behaviour: marketing consent withdrawn, nurture stopped",
        subject=LEAD,
        data={"at": "when the person unsubscribed"},
    ),
    "PersonErased": EventDoc(
        "a person was erased (CONTRACT §12: `POST /privacy/erase`, or the daily `retention-sweep` under "
        "Settings `lead_retention_days`): their lead's and case contacts' personal fields, their events' "
        "and our alerts' copies are gone, their identity keys given up; recorded with a hash, never the "
        "email or phone. Counts are of records that still held something personal (zeros when erased again)",
        subject="person/<identifier_sha256>",
        data={
            "identifier": "`email` or `phone`: what the person was named by",
            "identifier_sha256": "SHA-256 (hex) of the normalised email (lower case) or phone (E.164)",
            "reason": "`request` (`POST /privacy/erase`) or `retention` (`retention-sweep`)",
            "leads": "leads erased",
            "cases": "cases whose contact was erased",
            "events": "recorded events whose data was erased",
        },
    ),
    # time
    "SlaWarning": EventDoc(
        "an SLA clock reached its `warn_at` share of the target; the owner is told",
        subject=LEAD_OR_CASE,
        data={**_SLA, "notify": "who is told: the owner"},
    ),
    "SlaBreached": EventDoc(
        "an SLA clock passed its target; the first `escalate_to` role up the owner's manager chain is told",
        subject=LEAD_OR_CASE,
        data={**_SLA, "role": "the `escalate_to` role told", "notify": "the owner_id(s) told (empty if none found)"},
    ),
    "SlaEscalated": EventDoc(
        "a breached clock stayed open one more full target; the next `escalate_to` role is told",
        subject=LEAD_OR_CASE,
        data={**_SLA, "role": "the `escalate_to` role told", "notify": "the owner_id(s) told (empty if none found)"},
    ),
    "SlaMet": EventDoc(
        "an SLA clock stopped in time (a lead's first touch; a case's first response or resolution)",
        subject=LEAD_OR_CASE,
        data={
            "clock": _SLA["clock"],
            "kind": _SLA["kind"],
            "owner_id": _SLA["owner_id"],
            "due_at": _SLA["due_at"],
            "stopped_at": "when the clock stopped (the touch's, first response's or resolution's time)",
        },
    ),
    "TimerFailed": EventDoc(
        "a timer's effect failed for the third time: it is set aside (out of every sweep, an alarm in AWS) "
        "until `closeloop timers retry` puts it back (CONTRACT §13)",
        subject="the lead, case, contract, quote or delivery the timer acts on",
        data={
            "timer_id": "the timer (`closeloop timers list --failed` shows it)",
            "kind": "what it does: `sla_warn`, `sla_breach`, `renewal_reminder`, ...",
            "due_at": "when it was due",
            "failures": "how many times its effect failed (3)",
            "error": "the last error (its class and message)",
            "set_by": "the rule that set it, or null",
        },
    ),
    # service
    "CaseOpened": EventDoc(
        "a support case arrived from the contact center (CONTRACT §2.5), was routed and its clocks started",
        subject=CASE,
        data={
            "case_id": "the case",
            "source": "the signed source it came from",
            "external_id": "its id in the contact center",
            "status": "`open`",
            "priority": "`P1`–`P4`",
            "channel": "phone, chat, email, web (or null)",
            "account_id": "the stable account id (given, or from the credit code, or company + country)",
            "opened_at": "when it opened (sent, or the time it arrived)",
            "owner_id": "who takes it (null when nobody in the team could)",
            "team": "the team (null when nobody could take it)",
            "routing_rule": "the Routing row (`routing:<priority>`) that chose the team, or null",
            "sla": "clock name → due time (`first_response`, `resolution`, as SLA rows apply)",
        },
    ),
    "CaseResolved": EventDoc(
        "a case was resolved",
        subject=CASE,
        data=_CASE_CHANGE,
    ),
    "CaseReopened": EventDoc(
        "a resolved case was reopened; its resolution clock resumes", subject=CASE, data=_CASE_CHANGE
    ),
    # sales
    **{kind: EventDoc(*doc) for kind, doc in SALES.items()},  # tools/event_catalog_sales.py
    # fulfilment and finance
    "ContractSigned": EventDoc(
        "a completed e-sign envelope for an approved quote (CONTRACT §2.8): the contract, its order and account "
        "are created in the same transaction; delivered to the ERP",
        subject="contract/<contract_id>",
        data={
            "contract_id": "`ct_…`, derived from the source and envelope id",
            "quote_id": "the signed quote",
            "opportunity_id": "its opportunity (now won), or `null`",
            "order_id": "the order created with it (`OrderCreated` carries its lines)",
            "account_id": "the customer account",
            "account": "`{name, credit_code, country}`",
            "amount": "the contract's total, a decimal string",
            "annual_value": "the amount per year of the term (for net revenue retention)",
            "currency": "Settings `currency` when quoted",
            "signed_at": "when it was signed",
            "start_date": "first day of the term",
            "end_date": "last day of the term",
            "owner_id": "the account manager",
            "sold_by": "the quote's owner",
        },
    ),
    "OrderCreated": EventDoc(
        "the order of a signed contract, with the quote's lines: what the ERP consumes (delivered to the ERP URL)",
        subject=ORDER,
        data={
            "order_id": "`or_…`, derived from the contract: one order per contract",
            "contract_id": "the signed contract",
            "quote_id": "the quote it sells",
            "opportunity_id": "the opportunity won",
            "account": '`{"account_id", "name", "credit_code", "country", "address"?}`: the buyer',
            "lines": '`[{"sku", "name", "quantity", "unit_price", "amount"}]`, money as decimal strings',
            "amount": 'the order\'s total, a decimal string (`"20199.99"`)',
            "currency": "ISO 4217 (Settings `currency`)",
        },
    ),
    "ShipmentRecorded": EventDoc(
        "a shipment status from the warehouse or logistics (`POST /webhooks/shipments/{source}`); a repeat of "
        "the same status and time records nothing",
        subject=ORDER,
        data={
            "order_id": "the order",
            "shipment_id": "the shipment (the warehouse's id)",
            "status": "the status reported: `shipped`, `delivered` or `signed`",
            "shipment_status": "the shipment's status now: the furthest reported (a late `shipped` never undoes "
            "`signed`)",
            "previous_status": "its status before this report; `null` for a new shipment",
            "at": "when it happened, as reported",
            "lines": '`[{"sku", "quantity"}]` the shipment holds',
            "source": "the signed source that reported it",
        },
    ),
    "InvoiceRequested": EventDoc(
        "the order (or, with `invoice_on` = `shipment_signed`, one shipment) is shipped and signed for: finance "
        "is asked to invoice it, exactly once (delivered to the finance URL)",
        subject=INVOICE,
        data={
            "invoice_id": "`inv_…`, derived from the order and the shipment (or the whole order)",
            "order_id": "the order",
            "contract_id": "its contract",
            "account": '`{"name", "credit_code", "country", "address"?}`: the buyer, as it is when invoiced',
            "lines": '`[{"sku", "name", "quantity", "unit_price", "amount"}]` signed for',
            "amount": "the invoice's total, a decimal string; a line's invoices add up to its amount exactly",
            "currency": "the order's currency",
            "shipments": '`[{"shipment_id", "signed_at"}]` it covers',
            "last_signed_at": "when its last shipment was signed for (the KPI `invoice_lead_days_median` counts "
            "from here)",
            "owner_id": "the account manager (the KPIs' owner and team filters), or `null`",
        },
    ),
    "InvoiceBlocked": EventDoc(
        "an owed invoice waits: the buyer is in China and has no valid unified social credit code (a 发票 names "
        "the buyer by it); its account manager is told; `PATCH /accounts/{id}` with the code releases it",
        subject=INVOICE,
        data={**_INVOICE, "reason": "`missing_tax_id`", "notify": "the account manager told (empty if none)"},
    ),
    "InvoiceIssued": EventDoc(
        "finance wrote back that it issued the invoice", subject=INVOICE, data={**_INVOICE, **_WRITE_BACK}
    ),
    "InvoicePaid": EventDoc(
        "finance wrote back that the invoice is paid", subject=INVOICE, data={**_INVOICE, **_WRITE_BACK}
    ),
    "InvoiceRejected": EventDoc(
        "finance wrote back that it rejected the invoice (with its reason)",
        subject=INVOICE,
        data={**_INVOICE, **_WRITE_BACK},
    ),
    "DeliveryFailed": EventDoc(
        "an outbound delivery (an alert, the ERP, finance) failed for good: a 4xx, or 3 days of retries "
        "(CONTRACT §10); it is also on the dead-letter queue",
        subject="what it was about: lead/<lead_id>, order/<order_id>, invoice/<invoice_id>, …",
        data={
            "delivery_id": "the delivery (`closeloop deliveries retry ID` sends it again)",
            "kind": "`alert`, `erp` or `finance`",
            "channel": "`email`, a chat channel's name, `erp` or `finance`",
            "to": "alerts: the owner_id it was for; null otherwise",
            "cause": "what caused it: the timer id (alerts) or the event id (ERP, finance)",
            "attempts": "attempts in this round of retries",
            "last_answer": "the receiver's last answer: status and reason, `timeout` or `refused`",
        },
    ),
    "DeliveryRetried": EventDoc(
        "someone sent a delivery again by hand (`closeloop deliveries retry`): a new round of retries "
        "starts; the envelope's `actor` says who (CONTRACT §12)",
        subject="what it was about: lead/<lead_id>, order/<order_id>, invoice/<invoice_id>, …",
        data={
            "delivery_id": "the delivery sent again",
            "kind": "`alert`, `erp` or `finance`",
            "channel": "`email`, a chat channel's name, `erp` or `finance`",
            "to": "alerts: the owner_id it was for; null otherwise",
            "status_before": "`failed` or `pending`",
            "attempts_before": "attempts recorded before this round",
        },
    ),
    # customers
    "RenewalReminder": EventDoc(
        "a contract ends in `days_before` days (CONTRACT §2.11): one per Renewals row, at 09:00 Settings "
        "`timezone`, set at signing; fired once, late after an outage; the `notify` roles are told",
        subject=CONTRACT,
        data={
            "days_before": "the Renewals row's days before the end",
            "contract_id": "the contract",
            "end_date": "its end date, `YYYY-MM-DD`",
            "amount": "its total, a decimal string",
            "currency": "its currency",
            "account_id": "the customer's account",
            "renewal_row": "the Renewals row (1-based) of the rules version the contract was signed under",
            "due_at": "when it was due (09:00 local on `end_date − days_before`)",
            "late_seconds": "how late it fired (0 when on time; an outage makes it fire late, once)",
            "on_hold": "an unresolved P1 case holds the renewal (`RenewalHeld` follows)",
            "case_ids": "the unresolved P1 cases holding it (empty when not on hold)",
            "notify": "the row's `notify` roles up the account manager's chain (`am`: the account manager)",
        },
    ),
    "RenewalHeld": EventDoc(
        "an unresolved P1 case holds the account's renewal: a reminder fired while one is open, or a P1 case "
        "opened or reopened once a reminder had fired; the renewal quote's approvals wait",
        subject=CONTRACT,
        data={
            **_RENEWAL,
            "case_ids": "the unresolved P1 cases holding it",
            "since": "when the hold began",
            "notify": "the account manager's manager (the escalation; empty at the top)",
        },
    ),
    "RenewalReleased": EventDoc(
        "the last open P1 case of the account resolved: the hold ends and the renewal's approvals proceed",
        subject=CONTRACT,
        data={
            **_RENEWAL,
            "case_id": "the case whose resolution released it",
            "held_since": "when the hold began",
            "notify": "the account manager and their manager",
        },
    ),
    "RenewalOpportunityCreated": EventDoc(
        "the reminder of the Renewals row with `create_opportunity` opened the renewal opportunity in the "
        "funnel's first stage (`OpportunityCreated` in the same transaction; once per contract)",
        subject=CONTRACT,
        data={
            "opportunity_id": "`op_…`, derived from the contract (one renewal opportunity per contract)",
            "contract_id": "the contract being renewed",
            "account_id": "the customer's account",
            "owner_id": "the account manager (else whoever sold the contract)",
            "amount": "the contract's total, a decimal string",
            "currency": "its currency",
            "name": "`Renewal: <company> (ends <end_date>)`",
            "close_date": "the contract's end date",
            "days_before": "the Renewals row that opened it",
        },
    ),
    "HealthWarning": EventDoc(
        "an account's health score, or one of its dimensions, newly fell below its threshold (Health tab, "
        "Settings `health_threshold`): once when it falls, not again while it stays below; recomputed on "
        "every change to the account's signals and daily by `health-sweep` (CONTRACT §2.10)",
        subject="account/<account_id>",
        data={
            "account_id": "the account",
            "company": "its company name",
            "score": "the health score now, 0–100 (the Health tab's weighted mean), or `null` without data",
            "threshold": "Settings `health_threshold`",
            "fell": "what newly fell below: dimension names (`usage`, `support`, `payment`, `engagement`) "
            "and `score` for the weighted mean",
            "below": "everything below its threshold now (what fell, and what was already below)",
            "dimensions": '`{name: {"score", "threshold"}}` for each of the four dimensions (score `null`: no data)',
            "owner_id": "the account manager, or `null`",
            "notify": "the account manager told (empty if none)",
        },
    ),
    "AccountSegmentChanged": EventDoc(
        "an account's RFM segment changed (Segments tab, Settings `rfm_window_days`): when an order is "
        "recorded and by the daily `segment-sweep`; once per change (CONTRACT §15)",
        subject="account/<account_id>",
        data={
            "account_id": "the account",
            "company": "its company name",
            "from": "the segment it had, or `null` (its first segment)",
            "to": "the segment it has now: a Segments row's `segment`, or `unsegmented` (no row matched)",
            "rfm": '`{"recency_days", "frequency", "monetary", "computed_at"}` (monetary a decimal string)',
            "segment_row": "the Segments row that matched (its bounds, `notify`, `note`), or `null`",
            "owner_id": "the account manager (after any move the new segment calls for), or `null`",
            "previous_owner_id": "the account manager before, when a Routing row with `object` = `account` naming "
            "the new segment gave the account another one; else `null`",
            "notify": "the people the row's `notify` roles name up the account manager's chain",
            "note": "the row's `note`: the playbook the alert carries",
        },
    ),
    "NpsAnswerRecorded": EventDoc(
        "a net promoter answer was recorded on an account (`POST /webhooks/surveys/{source}`); the same "
        "respondent's later answer in the same quarter replaces theirs (CONTRACT §15); folded into the `nps` KPI",
        subject="account/<account_id>",
        data={
            "account_id": "the account",
            "respondent": "who answered: `r-` and a SHA-256 of their normalised email (never the address), or "
            "`anon-` and a hash of the answer when no email was given",
            "score": "0–10: promoters 9–10, passives 7–8, detractors 0–6",
            "at": "when it was answered",
            "quarter": "the calendar quarter (UTC) it counts for, e.g. `2026-Q4`",
            "replaced": "true when it replaced the respondent's earlier answer for the quarter",
            "source": "the survey source (Sources tab)",
            "owner_id": "the account manager, or `null`",
        },
    ),
    # rules
    "RulesPublished": EventDoc(
        "a valid workbook became the active rules version",
        subject="rules/<version_id>",
        data={
            "version_id": "`v<number>-<hash8>`",
            "number": "the version's number",
            "content_hash": "SHA-256 of the canonical content",
            "source": "where it was read (`dir:…`, `xlsx:…`, `sheets:…`)",
            "row_counts": "rows per tab",
        },
    ),
    "RulesRejected": EventDoc(
        "a workbook was invalid: nothing published, the last good version stays (told once per set of problems)",
        subject="rules/<source>",
        data={
            "source": "where it was read",
            "problems": "`Tab!Cell: message`, the first 500",
            "problem_count": "how many problems in all",
        },
    ),
    "RulesRolledBack": EventDoc(
        "an earlier version was made active again (`closeloop rules rollback`)",
        subject="rules/<version_id>",
        data={
            "version_id": "the version now active",
            "number": "its number",
            "content_hash": "its content hash",
            "from": "the version that was active before",
        },
    ),
    "RulesSyncFailed": EventDoc(
        "rules-sync could not read the source: nothing published, the last good version stays",
        subject="rules/<source>",
        data={"source": "the source", "error": "why it could not be read"},
    ),
}
