"""Domain events: what happened, told to other systems through the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

# CONTRACT §4's names, and the extensions we added (rules sync, activities).
EventType = Literal[
    # leads
    "LeadCaptured",
    "LeadMerged",
    "LeadAssigned",
    "LeadUnassigned",
    "LeadNurtureEnrolled",
    "LeadRequalified",
    "LeadNeedsEnrichment",
    "LeadFirstTouched",
    "LeadReassigned",
    "LeadConverted",
    "LeadDisqualified",
    "ActivityRecorded",
    "ConsentWithdrawn",
    # time
    "SlaWarning",
    "SlaBreached",
    "SlaEscalated",
    "SlaMet",
    "TimerFailed",
    # service
    "CaseOpened",
    "CaseResolved",
    "CaseReopened",
    # sales
    "OpportunityCreated",
    "OpportunityStageChanged",
    "OpportunityStalled",
    "OpportunityWon",
    "OpportunityLost",
    "QuoteCreated",
    "ApprovalRequested",
    "ApprovalDecided",
    "ApprovalEscalated",
    "QuoteApproved",
    "QuoteRejected",
    # fulfilment and finance
    "ContractSigned",
    "OrderCreated",
    "ShipmentRecorded",
    "InvoiceRequested",
    "InvoiceBlocked",
    "InvoiceIssued",
    "InvoicePaid",
    "InvoiceRejected",
    "DeliveryFailed",
    # customers
    "RenewalReminder",
    "RenewalHeld",
    "RenewalReleased",
    "RenewalOpportunityCreated",
    "HealthWarning",
    # rules
    "RulesPublished",
    "RulesRejected",
    "RulesRolledBack",
    "RulesSyncFailed",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


def iso(moment: datetime) -> str:
    """UTC, second precision... plus milliseconds so events of one request keep their order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; ValueError for anything else (or out of range)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range") from None


@dataclass(frozen=True)
class Event:
    type: EventType
    subject: str
    time: datetime
    data: dict[str, Any]
    rules_version: str | None = None
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "time": iso(self.time),
            "subject": self.subject,
            "rules_version": self.rules_version,
            "data": self.data,
        }
