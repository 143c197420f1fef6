"""Support cases (CONTRACT §2.5): opening one from the contact center, an event on it, and the
case as answered."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from shared.domain.case_clocks import CLOCK_NAMES, SLA_KIND_OF
from shared.domain.case_intake import CHANNELS, NOTE_LIMIT, TEXT_LIMIT
from shared.domain.cases import CASE_EVENT_TYPES, CaseStatus
from shared.messages.types import Absent, Country, CreditCode, Instant, OwnerId, Priority, example, one_of

EXAMPLE_CASE_ID = "cs_3b8e1f0a9c2d4e6f8a10"
CASE_ID_PATTERN = "^cs_[0-9a-f]{20}$"
CaseText = Annotated[str, Field(max_length=TEXT_LIMIT)]
EXAMPLE_CLOCK: dict[str, Any] = {
    "kind": "case_first_response", "clock": "first_response", "target_hours": 1.0,
    "due_at": "2026-11-22T09:00:00.000Z", "state": "running", "breached_at": None, "paused_hours": 0.0,
    "business_hours_used": 0.25, "business_hours": False, "calendar": None, "started_at": "2026-11-22T08:00:00.000Z",
    "stopped_at": None, "paused_since": None, "sla_row": 4, "rules_version": "v1-3f9a2c7e",
    "escalate_to": ["manager", "director"],
}  # fmt: skip


class CaseAccount(BaseModel):
    """`account_id`, or `credit_code`, or `company` + `country`: a stable account id follows"""

    account_id: CaseText | Absent = Field(None, description="an account id you already hold")
    credit_code: CreditCode | Absent = Field(None, description="China unified social credit code (checksum verified)")
    company: CaseText | Absent = Field(None, description="company name")
    country: Country | Absent = Field(None, description="ISO 3166-1 alpha-2 or a common name")


class CaseContact(BaseModel):
    """who reported it"""

    name: CaseText | Absent = Field(None, description="name")
    email: CaseText | Absent = Field(None, description="email")
    phone: Annotated[str, Field(max_length=40)] | Absent = Field(None, description="phone")


class CaseOpening(BaseModel):
    """Signed sources only. Routed like a lead by the Routing rows whose `object` is `case`; its
    first-response and resolution clocks start. The same `external_id` from the same source is the
    same case: `200` with it, nothing new."""

    model_config = example({
        "external_id": "CC-1001", "subject": "Line stopped", "priority": "P1", "channel": "phone",
        "account": {"company": "Acme", "country": "CN"}})  # fmt: skip

    external_id: CaseText = Field(
        min_length=1, description="the case's id in the contact center: the same id again is the same case"
    )
    subject: CaseText | Absent = Field(None, description="what the case is about")
    priority: Priority
    channel: Annotated[str, one_of(CHANNELS)] | Absent = None
    account: CaseAccount = Field(description=CaseAccount.__doc__)
    contact: CaseContact | Absent = None
    opened_at: Instant | Absent = Field(
        None,
        description="when it opened (ISO 8601); default now; at most 5 minutes in the future and at most a year ago",
    )


class CaseEventRecording(BaseModel):
    """An event that makes no sense in the case's state at its `at` → `409 invalid_transition`."""

    model_config = example({"type": "first_response", "by": "u_yang"})

    type: Annotated[str, one_of(CASE_EVENT_TYPES)]
    by: OwnerId = Field(description="the owner_id of who did it: someone on the Owners tab")
    at: Instant | Absent = Field(
        None,
        description="when (ISO 8601), not before the case opened, not in the future (5 minutes of clock skew "
        "allowed); default now. Late events are fine: clocks are recomputed in `at` order",
    )
    note: Annotated[str, Field(max_length=NOTE_LIMIT)] | None = None
    score: Annotated[int, Field(ge=1, le=5)] | Absent = Field(None, description="csat only")


class CaseClock(BaseModel):
    """one SLA clock of a case: its target, due time and state"""

    kind: Annotated[str, one_of(SLA_KIND_OF.values())]
    clock: Annotated[str, one_of(CLOCK_NAMES)] | Absent = None
    target_hours: float
    due_at: str | None = Field(description="null while paused: the due time moves with the pause")
    state: Literal["running", "paused", "met", "breached"]
    breached_at: str | None
    paused_hours: float = Field(description="time the clock would have counted but was paused")
    business_hours_used: float = Field(description="time counted (business or wall hours)")
    business_hours: bool | Absent = None
    calendar: str | None = None
    started_at: str | Absent = None
    stopped_at: str | None = None
    paused_since: str | None = None
    sla_row: int | Absent = None
    rules_version: str | Absent = None
    escalate_to: list[str] | Absent = None


class CaseSummary(BaseModel):
    """the case: its status, owner and clocks"""

    model_config = example({
        "case_id": EXAMPLE_CASE_ID, "status": "open", "priority": "P1", "account_id": "ac_5d1c0e9f8a7b6c5d4e3f",
        "owner_id": "u_yang", "team": "Support L2", "sla": {"first_response": EXAMPLE_CLOCK}})  # fmt: skip

    case_id: Annotated[str, Field(pattern=CASE_ID_PATTERN)]
    status: CaseStatus
    priority: str
    account_id: str
    owner_id: str | None = Field(description="null when nobody in the team could take it")
    team: str | None
    sla: dict[str, CaseClock]


class Case(CaseSummary):
    """the case, its history and its clocks"""

    model_config = example(None)

    history: list[dict[str, Any]] = Field(description="the newest events (100, or 64 KB), in `at` order")
    earlier_history: dict[str, Any] | None = Field(
        None, description="older entries, counted: `entries`, `by_type`, `first_at`, `last_at`"
    )
    first_contact_resolution: bool
    csat: int | None
    agent_contacts: int | Absent = None
    decision: dict[str, Any] | Absent = Field(None, description="the routing trace")


class CaseEventRecorded(CaseSummary):
    """recorded; the case's clocks after it"""

    model_config = example(None)

    event: dict[str, Any] = Field(description="the event as recorded")
