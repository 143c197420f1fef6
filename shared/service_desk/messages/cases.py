"""Support cases (CONTRACT §2.5): opening one from the contact center, an event on it, and the
case as answered."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.kernel.domain.normalize import credit_code_problem, normalize_country, normalize_email
from shared.kernel.messages import validation as check
from shared.kernel.messages.types import Absent, Country, CreditCode, OwnerId, example, one_of
from shared.service_desk.domain.case_clocks import CLOCK_NAMES, SLA_KIND_OF
from shared.service_desk.domain.case_intake import CHANNELS, NOTE_LIMIT, OLDEST, PRIORITIES, TEXT_LIMIT, account_id_for
from shared.service_desk.domain.cases import CASE_EVENT_TYPES, CaseStatus

EXAMPLE_CASE_ID = "cs_3b8e1f0a9c2d4e6f8a10"
CASE_ID_PATTERN = "^cs_[0-9a-f]{20}$"
CaseText = Annotated[str, Field(max_length=TEXT_LIMIT)]
# a case's priority, either case
Priority = Annotated[str, Field(json_schema_extra={"enum": [*PRIORITIES, *(p.lower() for p in PRIORITIES)]})]
# what a person typed, checked and trimmed before its type (CONTRACT §2's sentences, validation.py)
SomeText = Annotated[CaseText | Absent, BeforeValidator(check.text(limit=TEXT_LIMIT))]
Phone = Annotated[Annotated[str, Field(max_length=40)] | Absent, BeforeValidator(check.text(limit=40))]
EXAMPLE_CLOCK: dict[str, Any] = {
    "kind": "case_first_response", "clock": "first_response", "target_hours": 1.0,
    "due_at": "2026-11-22T09:00:00.000Z", "state": "running", "breached_at": None, "paused_hours": 0.0,
    "business_hours_used": 0.25, "business_hours": False, "calendar": None, "started_at": "2026-11-22T08:00:00.000Z",
    "stopped_at": None, "paused_since": None, "sla_row": 4, "rules_version": "v1-3f9a2c7e",
    "escalate_to": ["manager", "director"],
}  # fmt: skip


class CaseAccount(check.Command):
    """`account_id`, or `credit_code`, or `company` + `country`: a stable account id follows"""

    account_id: SomeText = Field(None, description="an account id you already hold")
    credit_code: CreditCode | Absent = Field(None, description="China unified social credit code (checksum verified)")
    company: SomeText = Field(None, description="company name")
    country: Country | Absent = Field(None, description="ISO 3166-1 alpha-2 or a common name")
    _sent: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_as_sent(cls, value: Any, handler: ModelWrapValidatorHandler[CaseAccount]) -> CaseAccount:
        account = handler(value)
        if isinstance(value, dict):
            account._sent = {
                k: value[k] for k in ("account_id", "credit_code", "company", "country") if value.get(k) is not None
            }
        return account

    @field_validator("credit_code", mode="before")
    @classmethod
    def _credit_code(cls, value: Any) -> str | None:
        code = check.text(limit=40)(value)
        if code is None:
            return None
        code = unicodedata.normalize("NFKC", code).upper().replace(" ", "")
        if problem := credit_code_problem(code):
            raise check.refuse(f"is not a valid unified social credit code: {problem}")
        return code

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        try:
            return normalize_country(str(value))
        except ValueError as bad:
            raise check.refuse(str(bad)) from None

    @model_validator(mode="after")
    def _identified(self) -> CaseAccount:
        if not (self.account_id or self.credit_code or (self.company and self.country)):
            raise check.refuse("needs account_id, credit_code, or company and country")
        return self

    @property
    def stable_id(self) -> str:
        """The id given, else one derived from the credit code, else from company and country."""
        return self.account_id or account_id_for(self.credit_code, self.company, self.country)

    @property
    def as_sent(self) -> dict[str, Any]:
        """What the contact center sent of the account: stored with the case as it came."""
        return dict(self._sent)


class CaseContact(check.Command):
    """who reported it"""

    name: SomeText = Field(None, description="name")
    email: CaseText | Absent = Field(None, description="email")
    phone: Phone = Field(None, description="phone")

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        email = check.text(limit=TEXT_LIMIT)(value)
        try:
            return None if email is None else normalize_email(email)
        except ValueError as bad:
            raise check.refuse(str(bad)) from None


class CaseOpening(check.Command):
    """Signed sources only. Routed like a lead by the Routing rows whose `object` is `case`; its
    first-response and resolution clocks start. The same `external_id` from the same source is the
    same case: `200` with it, nothing new."""

    model_config = example({
        "external_id": "CC-1001", "subject": "Line stopped", "priority": "P1", "channel": "phone",
        "account": {"company": "Acme", "country": "CN"}})  # fmt: skip

    external_id: Annotated[CaseText, BeforeValidator(check.text(limit=TEXT_LIMIT, required=True))] = Field(
        min_length=1, description="the case's id in the contact center: the same id again is the same case"
    )
    subject: SomeText = Field(None, description="what the case is about")
    priority: Priority
    channel: Annotated[Annotated[str, one_of(CHANNELS)] | Absent, BeforeValidator(check.one_of(CHANNELS))] = None
    account: Annotated[
        CaseAccount,
        check.an_object("is required: an object with account_id, credit_code, or company and country", required=True),
    ] = Field(description=CaseAccount.__doc__)
    contact: Annotated[CaseContact | Absent, check.an_object("must be an object with name, email, phone")] = None
    opened_at: Annotated[datetime | Absent, BeforeValidator(check.moment(OLDEST))] = Field(
        None,
        description="when it opened (ISO 8601); default now; at most 5 minutes in the future and at most a year ago",
        json_schema_extra={"format": "date-time"},
    )

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> str:
        priority = str(value or "").strip().upper()
        if priority not in PRIORITIES:
            raise check.refuse(f"must be one of {', '.join(PRIORITIES)}")
        return priority


class CaseEventRecording(check.Command):
    """An event that makes no sense in the case's state at its `at` → `409 invalid_transition`."""

    model_config = example({"type": "first_response", "by": "u_yang"})

    type: Annotated[str, one_of(CASE_EVENT_TYPES), BeforeValidator(check.one_of(CASE_EVENT_TYPES, required=True))]
    by: OwnerId = Field(description="the owner_id of who did it: someone on the Owners tab")
    at: Annotated[datetime | Absent, BeforeValidator(check.moment(OLDEST))] = Field(
        None,
        description="when (ISO 8601), not before the case opened, not in the future (5 minutes of clock skew "
        "allowed); default now. Late events are fine: clocks are recomputed in `at` order",
        json_schema_extra={"format": "date-time"},
    )
    note: Annotated[
        Annotated[str, Field(max_length=NOTE_LIMIT)] | None,
        BeforeValidator(check.text(limit=NOTE_LIMIT, multiline=True)),
    ] = None
    score: Annotated[int, Field(ge=1, le=5)] | Absent = Field(None, description="csat only")

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        by = check.text(limit=TEXT_LIMIT, required=True)(value)
        assert by is not None
        if by not in check.context_of(info)["active"].rules.owners:
            raise check.refuse(f"{by[:60]!r} is not an owner_id on the Owners tab")
        return by

    @field_validator("score", mode="before")
    @classmethod
    def _score(cls, value: Any, info: ValidationInfo) -> int | None:
        if info.data.get("type") == "csat":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                raise check.refuse("must be a whole number from 1 to 5")
            return value
        if value is not None:
            raise check.refuse("is only for csat events")
        return None


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
