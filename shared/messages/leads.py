"""Leads (CONTRACT §2.1–2.4): capture from a form or a marketing tool, behaviour, activities, closing
— the commands, the list's filters and the answers. A lead's limits are normalize.py's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from shared.domain.forms import HONEYPOT_FIELD
from shared.domain.leads import ACTIVITY_TYPES, MAX_REASON, TOUCH_TYPES
from shared.domain.normalize import EXTRA_KEYS_LIMIT, KNOWN_FIELDS, MESSAGE_LIMIT, NUMBER_MAX_DIGITS, TEXT_LIMIT
from shared.domain.redirects import MAX_REDIRECT_LENGTH
from shared.domain.rules import BEHAVIOR_EVENTS, Grade
from shared.messages.types import Absent, Instant, OwnerId, Text, example, one_of
from shared.services.leads_query import DEFAULT_LIMIT, DEFAULT_SINCE, MAX_LIMIT, MAX_SINCE

LEAD_ID_PATTERN = "^ld_[0-9a-f]{20}$"
EXAMPLE_LEAD_ID = "ld_5f0c3a1e9b2d4c6a8e10"
EXAMPLE_TIME = "2026-11-22T08:00:00.000Z"
THANKS = "https://www.example.com/thanks"
# The README's lead: one example, everywhere.
EXAMPLE_LEAD = {"email": "zhang.wei@example.cn", "name": "张伟", "company": "上海精密制造", "province": "上海",
                "industry": "制造业", "employees": 1500, "title": "采购总监", "phone": "13800138000"}  # fmt: skip
EXAMPLE_SUMMARY = {"lead_id": EXAMPLE_LEAD_ID, "score": 90, "grade": "sql", "tier": "vip", "owner_id": "u_wu",
                   "team": "Enterprise", "rules_version": "v1-3f9a2c7e",
                   "quality": {"score": 100, "missing": [], "flags": []}}  # fmt: skip
LeadId = Annotated[str, Field(pattern=LEAD_ID_PATTERN)]
Score = Annotated[int, Field(ge=0, le=100)]
Time = datetime
EMAIL_OR_PHONE = [{"required": ["email"]}, {"required": ["phone"]}]
CONSENT_WORDS = "`true/false/1/0/yes/no/on/off/y/n/是/否`, any case"
KEPT = (
    "Text fields are trimmed; a missing, null or empty field is not given. Other fields are kept under `extra`: "
    f"at most {EXTRA_KEYS_LIMIT} keys, plain values of at most {TEXT_LIMIT} characters. Single-line text may not "
    "hold control or bidi-override characters."
)
EXTRA_VALUE = {
    "type": ["string", "number", "boolean", "null"],
    "maxLength": TEXT_LIMIT,
    "description": "kept under `extra`",
}
FORM_EXTRA_VALUE = {"type": "string", "maxLength": TEXT_LIMIT, "description": "kept under `extra`"}
HONEYPOT = 'honeypot: hidden from people; any value but empty → `200 {"status": "received"}`, nothing stored'


class LeadText(BaseModel):
    """CONTRACT §2.1's fields with the limits normalize.py enforces, as a form sends them (text only)."""

    email: Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"})] | Absent = Field(
        None,
        description="required unless `phone` is given; a valid address (no DNS look-up), stored NFKC-normalised "
        "and lower-cased",
    )
    phone: Annotated[str, Field(max_length=40)] | Absent = Field(
        None,
        description="required unless `email` is given; any common format, stored as E.164 (default region from "
        "`country`, else Settings `default_country`); an extension after the number (`转 123`, `分机 123`, "
        "`ext. 123`, `x123`, `#123`) is stored apart as `phone_ext`",
    )
    name: Text | Absent = Field(None, description="full name; else `first_name` + `last_name` are joined")
    first_name: Text | Absent = Field(None, description="given name")
    last_name: Text | Absent = Field(None, description="family name")
    company: Text | Absent = Field(None, description="company name")
    title: Text | Absent = Field(None, description="job title")
    country: Text | Absent = Field(
        None, description="ISO 3166-1 alpha-2 or a common name (English or Chinese); stored as alpha-2"
    )
    province: Text | Absent = Field(
        None, description="free text; with `country`, gives the region through the Regions tab"
    )
    industry: Text | Absent = Field(
        None, description="free text; mapped through the Industries tab (unmapped → `other`, flag `industry_unmapped`)"
    )
    employees: str | Absent = Field(None, description="company size, a whole number ≥ 0")
    budget: str | Absent = Field(None, description="budget ≥ 0 in Settings `currency`")
    credit_code: Annotated[str, Field(max_length=40)] | Absent = Field(
        None,
        description="China unified social credit code (GB 32100-2015): 18 characters, the registration authority "
        "and organisation type codes, a six-digit region code, the organisation code with its own check character "
        "and the final check character verified (spaces and lower case tolerated)",
    )
    campaign: Text | Absent = Field(None, description="campaign of this touch")
    utm_source: Text | Absent = Field(None, description="UTM source")
    utm_medium: Text | Absent = Field(None, description="UTM medium")
    utm_campaign: Text | Absent = Field(None, description="UTM campaign")
    consent: str | Absent = Field(None, description=f"marketing consent: {CONSENT_WORDS}")
    message: Annotated[str, Field(max_length=MESSAGE_LIMIT)] | Absent = Field(
        None, description="free text; line breaks and tabs allowed"
    )
    honeypot: str | Absent = Field(None, validation_alias=HONEYPOT_FIELD, description=HONEYPOT)


Digits = Annotated[int, Field(ge=0, le=10**NUMBER_MAX_DIGITS - 1)]
NumberText = Annotated[str, Field(max_length=40, description="a number as text; `,` separators allowed")]


class LeadCapture(LeadText):
    """the capture as JSON: numbers and consent may be typed (they keep the form's place in the field order,
    so mypy sees a narrower field widened: the ignores below)"""

    model_config = example(EXAMPLE_LEAD, anyOf=EMAIL_OR_PHONE, description=KEPT, additionalProperties=EXTRA_VALUE)

    employees: Digits | NumberText | Absent = Field(None, description="company size, a whole number ≥ 0")  # type: ignore[assignment]
    budget: Annotated[float, Field(ge=0, le=10**NUMBER_MAX_DIGITS - 1)] | NumberText | Absent = Field(  # type: ignore[assignment]
        None, description="budget ≥ 0 in Settings `currency`"
    )
    consent: bool | Literal[0, 1] | str | Absent = Field(  # type: ignore[assignment]
        None, description=f"marketing consent: a boolean, 0/1, or {CONSENT_WORDS}"
    )


def lead_form(max_fields: int, redirect_field: str) -> type[BaseModel]:
    """The capture as a browser form sends it (urlencoded or multipart): text fields only, at most
    ``max_fields`` of them, and where to send the browser after (functions/api/body.py, inbound.py)."""
    form_note = f" A form has at most {max_fields} fields; multipart parts are text fields (a file → 400)."
    redirect = Field(
        None,
        alias=redirect_field,
        max_length=MAX_REDIRECT_LENGTH,
        json_schema_extra={"format": "uri"},
        description="after the post, send the browser here with `303` (refusals add `?error=<code>` and "
        "`&fields=<names>` of the refused fields, never their values); must be a plain http(s) URL on one of the "
        "source's `allowed_origins`, else `400 invalid_redirect`",
    )
    form: type[BaseModel] = create_model(
        "LeadForm",
        __base__=LeadText,
        redirect=(str | Absent, redirect),
    )
    posted = {**{k: str(v) for k, v in EXAMPLE_LEAD.items()}, HONEYPOT_FIELD: "", redirect_field: THANKS}
    form.model_config.update(
        example(posted, anyOf=EMAIL_OR_PHONE, description=KEPT + form_note, additionalProperties=FORM_EXTRA_VALUE)
    )
    form.model_rebuild(force=True)
    return form


class Behavior(BaseModel):
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
    at: Instant | Absent = Field(None, description="when (ISO 8601); default now")


class LeadActivity(BaseModel):
    """The first call, email or meeting by the lead's owner sets `first_touch_at` and emits
    `LeadFirstTouched`."""

    model_config = example({"type": "call", "by": "u_wu", "note": "wants a demo next week"})

    type: Annotated[str, one_of(ACTIVITY_TYPES)] = Field(
        description=f"{', '.join(TOUCH_TYPES)} by the lead's owner is a touch (the first sets `first_touch_at`)"
    )
    by: OwnerId = Field(description="the owner_id of who did it: someone on the Owners tab")
    at: Instant | Absent = Field(
        None, description="when (ISO 8601), not in the future (5 minutes of clock skew allowed); default now"
    )
    note: Annotated[str, Field(max_length=2000)] | None = Field(None, description="free text")


class Disqualification(BaseModel):
    """The lead's status becomes `disqualified`; its owner's load is released (they can take another
    lead), its SLA clock stops without a verdict and its pending timers are cancelled
    (`LeadDisqualified`). A closed lead is never routed again; disqualifying it again is a 409
    `invalid_transition`."""

    model_config = example({"reason": "student project, no budget", "by": "u_wu"})

    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON, pattern=r"\S")]
    by: OwnerId = Field(description="the owner_id of who decided: someone on the Owners tab")


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

Owner = Annotated[
    str | None, Field(description="the owner's owner_id; null for a nurture lead or when nobody can take it")
]
Queue = Annotated[str | None, Field(description="the team whose queue holds it when nobody could take it")]


class Quality(BaseModel):
    """how complete the lead is"""

    score: Score = Field(description="completeness")
    missing: list[str] = Field(description="Settings quality_fields")
    flags: list[str] = Field(description="e.g. industry_unmapped")


class LeadSummary(BaseModel):
    """the lead: its score, grade, tier and owner"""

    lead_id: LeadId
    score: Score
    grade: Grade
    tier: str = Field(description="from the Tiers tab; `standard` when no row matches")
    owner_id: Owner
    team: str | None = Field(description="the owner's team; null when not assigned")
    rules_version: str = Field(description="the rules version that decided")
    quality: Quality


class Created(LeadSummary):
    """a new lead"""

    model_config = example({"status": "created", **EXAMPLE_SUMMARY})

    status: Literal["created"]


class Merged(LeadSummary):
    """merged into an existing lead"""

    status: Literal["merged"]


class Received(BaseModel):
    """the honeypot was filled: nothing was stored"""

    model_config = example(None, additionalProperties=False)

    status: Literal["received"]


class SeeOther(BaseModel):
    """a form post with `_redirect`: where the browser goes"""

    model_config = example({"status": "see_other", "location": THANKS})

    status: Literal["see_other"]
    location: str


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
Lead: type[BaseModel] = create_model(
    "Lead",
    __base__=LeadState,
    __doc__=LeadState.__doc__,
    **{name: (str | Absent, None) for name in KNOWN_FIELDS if name not in ("employees", "budget", "consent")},  # type: ignore[call-overload]
)


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
