"""The leads' events (CONTRACT §2.1–§2.4, §2.6, §12): captured, merged, routed, touched, closed, erased."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from shared.composition.domain.privacy import IdentifierKind
from shared.kernel.messages.event_types import CLOSED, KPI_NEEDS, KPI_READS, EventData, Instant, OwnerId
from shared.rules.domain.rules import BehaviorEvent, CreateOpportunityOn, Grade


@with_config(CLOSED)
class Quality(TypedDict):
    """Completeness over Settings `quality_fields`."""

    score: int
    missing: list[str]
    flags: list[str]


@with_config(CLOSED)
class Touch(TypedDict):
    """One post's touch on a merged lead."""

    source: str
    channel: str
    campaign: str | None
    utm_source: str | None
    utm_medium: str | None
    message: str | None
    at: Instant


class LeadCaptured(EventData):
    """a new lead was created by `POST /webhooks/leads/{source}`"""

    subject = "lead/<lead_id>"
    source: str = Field(description="the source it was posted to")
    lead_id: str = Field(description="the lead")
    score: int = Field(description="0–100, from the Scoring tab")
    grade: Grade = Field(description="`sql`, `mql` or `nurture`", json_schema_extra=KPI_NEEDS)
    tier: str = Field(description="from the Tiers tab")
    rules_version: str = Field(description="the rules version that decided")
    quality: Quality = Field(description='`{"score", "missing", "flags"}`: completeness over Settings `quality_fields`')
    owner_id: OwnerId | None = Field(
        description="as before routing: `null` for a new lead (`LeadAssigned` follows when it is routed)"
    )
    team: str | None = Field(description="as before routing, like `owner_id`")


class LeadMerged(EventData):
    """a post matched an existing lead (same email, phone or credit code) and was merged into it"""

    subject = "lead/<lead_id>"
    source: str = Field(description="the source of this post")
    filled: list[str] = Field(description="the fields this post filled (empty ones only)")
    touch: Touch = Field(description='`{"source", "channel", "campaign", "utm_source", "utm_medium", "message", "at"}`')
    lead_id: str = Field(description="the lead")
    score: int = Field(description="0–100, from the Scoring tab")
    grade: Grade = Field(description="`sql`, `mql` or `nurture`", json_schema_extra=KPI_NEEDS)
    tier: str = Field(description="from the Tiers tab")
    rules_version: str = Field(description="the rules version that decided")
    quality: Quality = Field(description='`{"score", "missing", "flags"}`: completeness over Settings `quality_fields`')
    owner_id: OwnerId | None = Field(description="the owner before any routing this merge causes")
    team: str | None = Field(description="the team, like `owner_id`")


class LeadAssigned(EventData):
    """routing gave the lead an owner (weighted round robin within the Routing row's team)"""

    subject = "lead/<lead_id>"
    owner_id: OwnerId = Field(description="the owner", json_schema_extra=KPI_READS)
    team: str = Field(description="the owner's team", json_schema_extra=KPI_READS)
    routing_rule: str = Field(description="the Routing row (`routing:<n>`)")


class LeadUnassigned(EventData):
    """an sql or mql lead nobody can take: it waits in the team's queue"""

    subject = "lead/<lead_id>"
    team: str | None = Field(
        description="the Routing row's team whose queue holds it; `null` when no row matched",
        json_schema_extra=KPI_READS,
    )
    reason: Literal["no_rule", "no_capacity", "reassign_no_capacity"] = Field(
        description=(
            "`no_rule` (no Routing row matched), `no_capacity` (everyone inactive or full) or "
            "`reassign_no_capacity` (its SLA reassignment found nobody else free)"
        )
    )
    from_owner_id: OwnerId | None = Field(description="the owner it was taken from (reassignment), else `null`")


class LeadNurtureEnrolled(EventData):
    """a lead graded `nurture`: not routed, nurtured"""

    subject = "lead/<lead_id>"
    score: int = Field(description="its score (below `nurture_below`)")


class LeadRequalified(EventData):
    """a nurture lead woke (a merge raised its grade, or behaviour: score, click rate or a wake event), or behaviour
    raised an mql lead to sql"""

    subject = "lead/<lead_id>"
    from_: Literal["nurture", "mql"] = Field(alias="from", description="`nurture` or `mql`")
    to: Literal["mql", "sql"] = Field(description="the new grade (`mql` or `sql`)", json_schema_extra=KPI_NEEDS)
    event: BehaviorEvent | None = Field(default=None, description="behaviour only: the behaviour event that woke it")
    score: int | None = Field(default=None, description="behaviour only: its score after the event")


class LeadNeedsEnrichment(EventData):
    """a new lead's data quality is below Settings `quality_threshold`"""

    subject = "lead/<lead_id>"
    score: int = Field(description="completeness 0–100 over Settings `quality_fields`")
    missing: list[str] = Field(description="the quality fields it lacks")
    flags: list[str] = Field(description="e.g. `industry_unmapped`")


class LeadFirstTouched(EventData):
    """the owner's first call, email or meeting on the lead (`POST /leads/{lead_id}/activities`)"""

    subject = "lead/<lead_id>"
    owner_id: OwnerId = Field(description="the owner who touched it", json_schema_extra=KPI_READS)
    type: Literal["call", "email", "meeting"] = Field(description="`call`, `email` or `meeting`")
    at: Instant = Field(description="when the touch happened", json_schema_extra=KPI_NEEDS)
    assigned_at: Instant = Field(
        description="when the lead was assigned (first touch minus this is the response time)",
        json_schema_extra=KPI_NEEDS,
    )


class LeadReassigned(EventData):
    """the lead, still untouched after its SLA row's `reassign_after_hours`, moved to someone else in the same
    routing pool: the old owner's load released, the new owner's taken, a new clock started (CONTRACT §9)"""

    subject = "lead/<lead_id>"
    from_owner_id: OwnerId = Field(description="who had it")
    owner_id: OwnerId = Field(description="who has it now", json_schema_extra=KPI_READS)
    team: str = Field(description="the routing pool's team", json_schema_extra=KPI_READS)
    reason: Literal["sla_reassign"] = Field(description="`sla_reassign`")


class LeadConverted(EventData):
    """the lead became an opportunity (CONTRACT §2.6): closed as `converted`, its owner's load released, its SLA
    clock stopped without a verdict, its timers cancelled"""

    subject = "lead/<lead_id>"
    counted_by_kpis = True  # a converted lead reached sql (and mql) at the event's time
    opportunity_id: str = Field(description="the opportunity it became")
    owner_id: OwnerId | None = Field(description="the lead's owner (whose load is released), or null")
    opportunity_owner_id: OwnerId = Field(description="the opportunity's owner")
    trigger: CreateOpportunityOn = Field(
        description="`manual` (`POST /opportunities`), `sql` or `first_touch` (Settings `create_opportunity_on`)"
    )


class LeadDisqualified(EventData):
    """the lead was closed as not a fit (`POST /leads/{lead_id}/disqualify`): its owner's load released, its SLA
    clock stopped without a verdict, its timers cancelled"""

    subject = "lead/<lead_id>"
    reason: str = Field(description="why, as given")
    by: OwnerId = Field(description="who decided (an owner_id)")
    owner_id: OwnerId | None = Field(description="who had it, or `null`")
    team: str | None = Field(description="its team, or `null`")


class ActivityRecorded(EventData):
    """a sales activity was recorded on a lead or an opportunity (the full history; each keeps the latest 100)"""

    subject = "lead/<lead_id> or opportunity/<opportunity_id>"
    activity_id: str = Field(description="`act_…`")
    type: Literal["call", "email", "meeting", "note"] = Field(description="`call`, `email`, `meeting` or `note`")
    by: OwnerId = Field(description="who did it (an owner_id)")
    at: Instant = Field(description="when it happened")
    note: str | None = Field(description="free text, or `null`")


class ConsentWithdrawn(EventData):
    """an `unsubscribe` behaviour: marketing consent withdrawn, nurture stopped"""

    subject = "lead/<lead_id>"
    at: Instant = Field(description="when the person unsubscribed")


class PersonErased(EventData):
    """a person was erased (CONTRACT §12: `POST /privacy/erase`, or the daily `retention-sweep` under Settings
    `lead_retention_days`): their lead's and case contacts' personal fields, their events' and our alerts' copies
    are gone, their identity keys given up; recorded with a hash, never the email or phone. Counts are of records
    that still held something personal (zeros when erased again)"""

    subject = "person/<identifier_sha256>"
    identifier: IdentifierKind = Field(description="`email` or `phone`: what the person was named by")
    identifier_sha256: str = Field(description="SHA-256 (hex) of the normalised email (lower case) or phone (E.164)")
    reason: Literal["request", "retention"] = Field(
        description="`request` (`POST /privacy/erase`) or `retention` (`retention-sweep`)"
    )
    leads: int = Field(description="leads erased")
    cases: int = Field(description="cases whose contact was erased")
    events: int = Field(description="recorded events whose data was erased")
