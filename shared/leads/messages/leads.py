"""Leads (CONTRACT §2.2–2.4): behaviour, activities, closing, the list's filters, and the lead as
answered (the capture itself: lead_capture.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, ValidationInfo, field_validator, model_validator

from shared.kernel.domain.events import TIME_EXPECTED, in_the_future, iso, parse_iso
from shared.kernel.domain.forms import text_problem
from shared.kernel.domain.normalize import KNOWN_FIELDS, TEXT_LIMIT, normalize_email
from shared.kernel.messages import validation as check
from shared.kernel.messages.types import Absent, OwnerId, declared, example, one_of
from shared.leads.domain.leads import ACTIVITY_TYPES, MAX_NOTE, MAX_REASON, TOUCH_TYPES
from shared.leads.messages.lead_capture import (
    EXAMPLE_LEAD,
    EXAMPLE_LEAD_ID,
    EXAMPLE_SUMMARY,
    EXAMPLE_TIME,
    LeadId,
    Owner,
    Quality,
    Score,
)
from shared.leads.services.leads_query import DEFAULT_LIMIT, DEFAULT_SINCE, MAX_LIMIT, MAX_SINCE
from shared.rules.domain.rules import BEHAVIOR_EVENTS, Grade

Time = datetime


# what `email` is read as when a `lead_id` names the lead: it is not looked at
_NAMED_BY_ID = object()


def _behaviour_at(value: Any) -> datetime | None:
    """When (ISO 8601); the person's own tools send it, so it may be ahead of ours. Absent: now."""
    if value is None:
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise check.refuse(TIME_EXPECTED) from None


class Behavior(check.Command):
    """Signed sources only (a public source → 401). Re-scores the lead; a nurture lead wakes (re-graded to at
    least mql and routed) when its score crosses `nurture_below`, its click rate exceeds `wake_click_rate`, or
    on a `wake_events` event. `unsubscribe` withdraws consent."""

    model_config = example(
        {"email": "zhang.wei@example.cn", "event": "webinar_attended"},
        anyOf=[{"required": ["email"]}, {"required": ["lead_id"]}],
    )

    email: Annotated[str, Field(json_schema_extra={"format": "email"})] | Absent = Field(
        None, description="the lead's email (when no `lead_id`)"
    )
    lead_id: str | Absent = Field(None, description="the lead's id; wins over `email`")
    event: Annotated[str, one_of(BEHAVIOR_EVENTS)] = Field(description="what the person did")
    at: Annotated[datetime | None, PlainValidator(_behaviour_at, json_schema_input_type=datetime)] = Field(
        None, description="when (ISO 8601); default now"
    )

    @model_validator(mode="before")
    @classmethod
    def _lead_id_wins(cls, value: Any) -> Any:
        """A lead_id names the lead: the email is then not looked at (nor refused)."""
        if isinstance(value, dict) and value.get("lead_id"):
            return {**value, "email": _NAMED_BY_ID}
        return value

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        """Normalised (one person, one key) — the lead is looked up by it."""
        if value is _NAMED_BY_ID:
            return None
        if not value:
            raise check.refuse("email or lead_id is required")
        return str(check.reading(normalize_email)(str(value)))

    @field_validator("lead_id", mode="before")
    @classmethod
    def _lead_id(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise check.refuse("must be text")
        return value

    @field_validator("event", mode="before")
    @classmethod
    def _event(cls, value: Any) -> Any:
        return check.one_of(BEHAVIOR_EVENTS, required=True)(value)


def _happened(value: Any, info: ValidationInfo) -> datetime:
    """When an activity happened (ISO 8601): recorded once it happened, so not in the future; default now."""
    now: datetime = check.context_of(info)["now"]
    if value is None:
        return now
    try:
        moment = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise check.refuse(TIME_EXPECTED)
    if in_the_future(moment, now):
        raise check.refuse(f"is in the future (now is {iso(now)}); an activity is recorded once it happened")
    return moment


# when an activity happened; read as now when not sent
Happened = Annotated[datetime | None, PlainValidator(_happened, json_schema_input_type=datetime)]


class LeadActivity(check.Command):
    """The first call, email or meeting by the lead's owner sets `first_touch_at` and emits
    `LeadFirstTouched`."""

    model_config = example({"type": "call", "by": "u_wu", "note": "wants a demo next week"})

    type: Annotated[str, one_of(ACTIVITY_TYPES)] = Field(
        description=f"{', '.join(TOUCH_TYPES)} by the lead's owner is a touch (the first sets `first_touch_at`)"
    )
    by: OwnerId = Field(description="the owner_id of who did it: someone on the Owners tab")
    at: Happened = Field(
        None, description="when (ISO 8601), not in the future (5 minutes of clock skew allowed); default now"
    )
    note: Annotated[str, Field(max_length=MAX_NOTE)] | None = Field(None, description="free text")

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return check.one_of(ACTIVITY_TYPES, required=True)(value)

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        # an inactive owner still did what they did
        return check.someone_on_the_tab("the owner_id of who did it is required", limit=TEXT_LIMIT)(value, info)

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: Any) -> Any:
        """Kept as written (a note may be several lines)."""
        if value is not None and (not isinstance(value, str) or len(value) > MAX_NOTE):
            raise check.refuse(f"must be text of at most {MAX_NOTE} characters")
        if isinstance(value, str) and (problem := text_problem(value, multiline=True)):
            raise check.refuse(problem)
        return value


class Disqualification(check.Command):
    """The lead's status becomes `disqualified`; its owner's load is released (they can take another
    lead), its SLA clock stops without a verdict and its pending timers are cancelled
    (`LeadDisqualified`). A closed lead is never routed again; disqualifying it again is a 409
    `invalid_transition`."""

    model_config = example({"reason": "student project, no budget", "by": "u_wu"})

    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON, pattern=r"\S")]
    by: OwnerId = Field(description="the owner_id of who decided: someone on the Owners tab")

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        """Why, in a sentence or a few lines (trimmed)."""
        if not isinstance(value, str) or not value.strip():
            raise check.refuse("say why the lead is not a fit (text, required)")
        if len(value) > MAX_REASON:
            raise check.refuse(f"must be at most {MAX_REASON} characters")
        if problem := text_problem(value, multiline=True):
            raise check.refuse(problem)
        return value.strip()

    @field_validator("by", mode="before")
    @classmethod
    def _by(cls, value: Any, info: ValidationInfo) -> str:
        return check.someone_on_the_tab("the owner_id of who disqualified the lead is required")(value, info)


class LeadFilters(BaseModel):
    """Read day by day through the capture-day index from now back to `since` (never a table scan).
    Filters combine; an unknown query parameter is a `400` naming it. With `cursor`, the window of the
    first page is kept; pass the same filters."""

    owner_id: Annotated[str, Field(min_length=1, max_length=200)] | Absent = Field(
        None, description="only leads this owner has"
    )
    team: Annotated[str, Field(min_length=1, max_length=200)] | Absent = Field(
        None, description="only leads of this team"
    )
    grade: Grade | Absent = Field(None, description="only leads of this grade")
    since: str | Absent = Field(
        None,
        description=f"how far back: a duration (`30m`, `12h`, `7d`, `2w`) or an ISO 8601 time; default "
        f"`{DEFAULT_SINCE}`, at most {MAX_SINCE.days} days",
    )
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] | Absent = Field(
        None, description=f"leads per page (default {DEFAULT_LIMIT})"
    )
    cursor: str | Absent = Field(None, description="the previous page's `next_cursor`")


# ------------------------------------------------------------------ answers

Queue = Annotated[str | None, Field(description="the team whose queue holds it when nobody could take it")]


class Touch(BaseModel):
    """one capture of the lead: where from, when"""

    source: str
    channel: str | None = None
    campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    message: str | None = None
    at: Time


class Activity(BaseModel):
    """a sales activity as recorded"""

    activity_id: str
    type: str
    by: str
    at: Time
    note: str | None = None


class ActivityRecorded(Activity):
    """the activity as recorded"""

    model_config = example({"activity_id": "act_0123456789abcdef", "type": "call", "by": "u_wu", "at": EXAMPLE_TIME,
                            "note": "wants a demo next week", "lead_id": EXAMPLE_LEAD_ID, "first_touch": True,
                            "opportunity_id": None})  # fmt: skip

    lead_id: str
    first_touch: bool = Field(description="this activity was the owner's first touch")
    opportunity_id: str | None = Field(
        description="the opportunity this touch converted the lead into (Settings `create_opportunity_on` = "
        "`first_touch`), else null"
    )


class ScoringPoints(BaseModel):
    rule_id: str
    points: float


class Candidate(BaseModel):
    owner_id: str
    available: bool
    reason: Literal["ok", "inactive", "paused", "at_capacity"]


class Decision(BaseModel):
    """why the lead has its grade, tier and owner"""

    rules_version: str | Absent = None
    score: int | Absent = None
    grade: Grade | Absent = None
    scoring: list[ScoringPoints] | Absent = Field(None, description="the Scoring rows that gave points")
    tier: str | Absent = None
    tier_rule: str | None = Field(None, description="the Tiers row (`tiers:<priority>`)")
    routing_rule: str | None = Field(None, description="the Routing row (`routing:<n>`)")
    routing_note: str | None = None
    team: str | None = None
    candidates: list[Candidate] | Absent = Field(
        None, description="the routing pool, each owner with whether they could take it"
    )
    chosen: str | None = Field(None, description="the owner chosen")
    turn: int | Absent = Field(None, description="the round-robin turn this lead took")
    reason: str | Absent = Field(None, description="the decision in a sentence")


class BehaviorEntry(BaseModel):
    event: str | Absent = None
    at: Time | Absent = None


class LeadState(BaseModel):
    """the stored lead: its normalised fields at the top level, then its state"""

    lead_id: LeadId
    employees: int | Absent = None
    budget: float | Absent = None
    industry_raw: str | Absent = Field(None, description="`industry` as posted")
    region: str | None = Field(None, description="from the Regions tab")
    extra: dict[str, str] | Absent = None
    flags: list[str] | Absent = None
    captured_at: Time
    updated_at: Time | None = None
    touches: list[Touch] = Field(description="the 50 most recent")
    touch_count: int | Absent = None
    activities: list[Activity] | Absent = Field(None, description="the 100 most recent")
    activity_count: int | Absent = None
    behavior: dict[str, int] | Absent = Field(None, description="behaviour event → count, all time")
    behavior_log: list[BehaviorEntry] | Absent = Field(None, description="the 50 most recent behaviour events")
    score: Score
    grade: Grade
    tier: str
    owner_id: Owner = None
    team: str | None = None
    queue: Queue = None
    assigned_at: Time | None = None
    first_touch_at: Time | None = None
    consent: bool | None = None
    nurture: bool | Absent = None
    quality: Quality
    decision: Decision
    sla: dict[str, dict[str, Any] | list[Any]] | Absent = Field(
        None,
        description="SLA clocks by name (CONTRACT §9), e.g. `first_touch`: due times, state, the SLA row and "
        "rules version that set it; `history`: clocks that ended without a verdict (the lead was reassigned or "
        "closed)",
    )
    status: Literal["open", "disqualified", "converted"] | Absent = Field(
        None, description="open until converted or disqualified; a closed lead is never routed again"
    )
    closed_at: Time | None = None
    close_reason: str | None = Field(None, description="why it was disqualified (`converted` when converted)")
    opportunity_id: str | None = Field(None, description="the opportunity it was converted into")
    erased_at: Time | None = Field(
        None,
        description="when its person was erased (`POST /privacy/erase` or `retention-sweep`): its personal "
        "fields are null, its facts kept",
    )


# the lead as answered: its normalised text fields (normalize.KNOWN_FIELDS) beside its state
TEXT_FIELDS = {name: (str | Absent, None) for name in KNOWN_FIELDS if name not in ("employees", "budget", "consent")}
Lead: type[BaseModel] = declared("Lead", TEXT_FIELDS, LeadState.__doc__, LeadState)


class LeadListItem(BaseModel):
    """a lead in a list: who, what it is worth, who has it (GET /leads/{lead_id} has the rest)"""

    lead_id: LeadId
    captured_at: Time
    name: str | None
    company: str | None
    email: str | None
    score: Score
    grade: Grade
    tier: str
    owner_id: Owner
    team: str | None
    queue: Queue
    assigned_at: Time | None
    first_touch_at: Time | None
    rules_version: str | None = Field(description="the rules version that last decided")
    quality: Quality


LISTED = {**EXAMPLE_SUMMARY, "captured_at": EXAMPLE_TIME, **{k: EXAMPLE_LEAD[k] for k in ("name", "company", "email")},
          "queue": None, "assigned_at": EXAMPLE_TIME, "first_touch_at": None}  # fmt: skip


class LeadList(BaseModel):
    """a page of leads"""

    model_config = example({"leads": [LISTED], "next_cursor": None})

    leads: list[LeadListItem] = Field(description="newest first")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null when there is none")
