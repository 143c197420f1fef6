"""The lead: its state, and the pure decisions made about it (score, grade, tier, route)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from shared.kernel.domain.documents import Document
from shared.kernel.domain.events import iso
from shared.kernel.domain.ids import derived_id
from shared.kernel.domain.normalize import KNOWN_FIELDS
from shared.leads.domain.lead_intake import NormalizedLead
from shared.leads.domain.routing import RoutingIndex
from shared.leads.domain.scoring import Quality, Score, grade_for, quality_of, score_lead, tier_for
from shared.rules.domain.rules import Grade, RoutingRule, RuleSet, Settings, Source

ROUTABLE_GRADES: tuple[Grade, ...] = ("sql", "mql")
LeadStatus = Literal["open", "disqualified", "converted"]
# A click rate over fewer e-mails says nothing: 1 click of 2 sent is not a 50% reader.
MIN_SENT_FOR_CLICK_RATE = 5
ACTIVITY_TYPES = ("call", "email", "meeting", "note")  # what a seller records on a lead
TOUCH_TYPES = ("call", "email", "meeting")  # the activities that are a first touch
MAX_REASON = 500  # a disqualification's reason
MAX_NOTE = 2000  # an activity's note
# The fields Tiers and Routing read. The lead keeps them as they were when it was routed
# (``routed_on``): a later post may fill them, but nobody re-routes a lead that has an owner.
ROUTED_ON_FIELDS = ("country", "region", "industry", "employees", "budget")
# A lead is one DynamoDB item (400 KB at most): it keeps its recent history and the totals;
# the full history is in the event log (LeadMerged, ActivityRecorded ...).
RECENT_TOUCHES, RECENT_ACTIVITIES, RECENT_BEHAVIOR = 50, 100, 50
# Fields a merge may fill when the stored lead has them empty: who the person is, not what
# this one post said (campaign, utm, consent and message belong to the touch).
TOUCH_FIELDS = ("campaign", "utm_source", "utm_medium", "utm_campaign", "consent", "message")
PERSON_FIELDS = (*(f for f in KNOWN_FIELDS if f not in TOUCH_FIELDS), "region", "industry_raw")


_LEAD_ID = re.compile(r"^ld_[0-9a-f]{20}$")


def is_lead_id(text: str) -> bool:
    """The shape every lead id has; anything else cannot name a lead (and never reaches the store)."""
    return bool(_LEAD_ID.match(text))


def lead_id_for(identity_key: str) -> str:
    """A lead's id follows from the identity key it was created with, so a repeat post can
    fetch the lead in the same read as its keys (one DynamoDB call instead of two)."""
    return derived_id("ld_", identity_key)


def identity_keys(fields: dict[str, Any]) -> list[str]:
    """The unique keys that make two posts the same person."""
    keys = []
    for name, prefix in (("email", "email"), ("phone", "phone"), ("credit_code", "credit")):
        if fields.get(name):
            keys.append(f"{prefix}#{fields[name]}")
    return keys


@dataclass
class Lead(Document):
    lead_id: str
    captured_at: str
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    touches: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    behavior: dict[str, int] = field(default_factory=dict)  # event name -> count, all time
    behavior_log: list[dict[str, Any]] = field(default_factory=list)  # the most recent events
    touch_count: int = 0
    activity_count: int = 0
    score: int = 0
    grade: Grade = "nurture"
    tier: str = "standard"
    owner_id: str | None = None
    team: str | None = None
    queue: str | None = None  # the team whose unassigned queue holds the lead, when nobody could take it
    assigned_at: str | None = None
    first_touch_at: str | None = None
    consent: bool | None = None
    nurture: bool = False
    quality: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] = field(default_factory=dict)
    # what routing matched on (grade and ROUTED_ON_FIELDS when it was routed): stored for replays
    # such as the backtest, not part of the API view
    routed_on: dict[str, Any] = field(default_factory=dict)
    sla: dict[str, Any] = field(default_factory=dict)  # clock name -> clock (shared/time/domain/sla.py)
    # open until converted or disqualified; a closed lead keeps its history and is never routed
    status: LeadStatus = "open"
    closed_at: str | None = None
    close_reason: str | None = None
    opportunity_id: str | None = None  # set when converted (CONTRACT §2.6)
    updated_at: str | None = None
    erased_at: str | None = None  # the person was erased (CONTRACT §12): personal fields are null
    # the identity keys this lead claimed (a merged post's second email too): an erasure gives them up
    claims: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def subject(self) -> str:
        return f"lead/{self.lead_id}"

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def view(self) -> dict[str, Any]:
        """The lead as GET /leads/{id} shows it: normalised fields at the top level."""
        hidden = ("fields", "behavior", "version", "routed_on", "claims")
        body = {k: v for k, v in self.to_dict().items() if k not in hidden}
        if self.erased_at:
            body["extra"] = None
        return {**self.fields, **body, "behavior": dict(self.behavior)}

    def summary(self, rules_version: str) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "score": self.score,
            "grade": self.grade,
            "tier": self.tier,
            "owner_id": self.owner_id,
            "team": self.team,
            "rules_version": rules_version,
            "quality": self.quality,
        }

    def add_touch(self, touch: dict[str, Any]) -> None:
        self.touches = [*self.touches, touch][-RECENT_TOUCHES:]
        self.touch_count = max(self.touch_count, len(self.touches) - 1) + 1

    def add_activity(self, activity: dict[str, Any]) -> None:
        self.activities = [*self.activities, activity][-RECENT_ACTIVITIES:]
        self.activity_count = max(self.activity_count, len(self.activities) - 1) + 1

    def add_behavior(self, event: str, at: str) -> None:
        self.behavior[event] = self.behavior.get(event, 0) + 1
        self.behavior_log = [*self.behavior_log, {"event": event, "at": at}][-RECENT_BEHAVIOR:]

    def absorb(self, incoming: NormalizedLead) -> list[str]:
        """Merge a repeat post: fill empty fields only. Returns the fields that were filled."""
        filled = []
        for name in PERSON_FIELDS:
            if self.fields.get(name) in (None, "") and incoming.fields.get(name) not in (None, ""):
                self.fields[name] = incoming.fields[name]
                filled.append(name)
        for key, value in incoming.extra.items():
            if key not in self.extra and len(self.extra) < 20:
                self.extra[key] = value
        if incoming.fields.get("consent") is not None and self.consent is None:
            self.consent = incoming.fields["consent"]
        if "industry" in filled:
            self.flags = [f for f in self.flags if f != "industry_unmapped"] + [
                f for f in incoming.flags if f == "industry_unmapped"
            ]
        return filled


def touch_of(source: Source, fields: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "source": source.source,
        "channel": source.channel,
        "campaign": fields.get("campaign") or fields.get("utm_campaign") or source.campaign,
        "utm_source": fields.get("utm_source"),
        "utm_medium": fields.get("utm_medium"),
        "message": fields.get("message"),
        "at": iso(at),
    }


@dataclass(frozen=True)
class Assessment:
    """Everything the rules say about a lead at one moment."""

    score: Score
    grade: Grade
    tier: str
    tier_rule: int | None
    quality: Quality
    routing_rule: RoutingRule | None
    context: dict[str, Any]


def routing_context(lead: Lead, grade: str, tier: str) -> dict[str, Any]:
    first = lead.touches[0] if lead.touches else {}
    return {
        **lead.fields,
        "grade": grade,
        "tier": tier,
        "source": first.get("source"),
        "channel": first.get("channel"),
    }


def assess(lead: Lead, rules: RuleSet, index: RoutingIndex, *, at_least_mql: bool = False) -> Assessment:
    """Score, grade, tier, quality and the matching Routing row. ``at_least_mql``: a woken lead."""
    score = score_lead(lead.fields, lead.behavior, rules, lead.touches)
    grade = grade_for(score.value, rules.settings)
    if at_least_mql and grade == "nurture":
        grade = "mql"
    if lead.nurture is False and lead.grade in ROUTABLE_GRADES and grade == "nurture" and lead.owner_id:
        grade = lead.grade  # an assigned lead is never demoted back to nurture by a re-score
    tier, tier_row = tier_for(lead.fields, rules)
    quality = quality_of(lead.fields, lead.flags, rules.settings)
    context = routing_context(lead, grade, tier)
    routing_rule = index.match(context) if grade in ROUTABLE_GRADES else None
    return Assessment(
        score=score,
        grade=grade,
        tier=tier,
        tier_rule=tier_row.priority if tier_row else None,
        quality=quality,
        routing_rule=routing_rule,
        context=context,
    )


def click_rate(behavior: Mapping[str, int]) -> float:
    """E-mail clicks per e-mail sent, all time; 0 until MIN_SENT_FOR_CLICK_RATE have been sent."""
    sent = behavior.get("email_sent", 0)
    return behavior.get("email_click", 0) / sent if sent >= MIN_SENT_FOR_CLICK_RATE else 0.0


def wakes(behavior: Mapping[str, int], score: int, settings: Settings, event: str | None = None) -> bool:
    """Settings' wake rule for a nurture lead: its score reaches ``nurture_below``, its click rate is
    above ``wake_click_rate``, or it does one of the ``wake_events``. ``event`` is the behaviour that
    just happened (the live path); without one (a re-judgement such as a backtest) any wake event
    the lead ever did counts, since it would have woken the lead when it happened."""
    if score >= settings.nurture_below or click_rate(behavior) > settings.wake_click_rate:
        return True
    if event is not None:
        return event in settings.wake_events
    return any(behavior.get(name, 0) > 0 for name in settings.wake_events)


@dataclass(frozen=True)
class Decision:
    """What the rules make of a lead as it stands: its assessment, and whether its behaviour
    wakes it (a nurture lead requalified: at least mql, routed if it has no owner)."""

    assessment: Assessment
    woken: bool


def decide(lead: Lead, rules: RuleSet, index: RoutingIndex, *, event: str | None = None) -> Decision:
    """The one decision the live path and the backtest share, so they cannot drift apart.

    Score, grade, tier and routing row (``assess``: an assigned lead is never demoted to
    nurture), then the wake rule for a lead whose consent stands. Live, ``event`` is the
    behaviour just recorded and only a lead that was nurture before it can wake (``unsubscribe``
    never wakes). Without an event — the lead re-judged as it is, e.g. under candidate rules —
    a lead the score alone would leave in nurture is woken by what its recorded behaviour shows,
    unless the live path already demoted it (nurture again, no longer enrolled: a woken lead
    nobody could take is demoted by its next post or behaviour, and only behaviour wakes again).
    """
    assessment = assess(lead, rules, index)
    if lead.consent is False or event == "unsubscribe":
        return Decision(assessment, woken=False)
    if event is not None:
        was_nurture = lead.grade == "nurture"
    else:  # a lead the live path put back into nurture after routing it waits for its next behaviour
        demoted = lead.grade == "nurture" and not lead.nurture
        was_nurture = assessment.grade == "nurture" and not demoted
    if not was_nurture:
        return Decision(assessment, woken=False)
    if wakes(lead.behavior, assessment.score.value, rules.settings, event):
        return Decision(assess(lead, rules, index, at_least_mql=True), woken=True)
    if assessment.grade != "nurture":  # only when nurture_below > sql_threshold, which the Settings check refuses
        assessment = replace(assessment, grade="nurture", routing_rule=None)
    return Decision(assessment, woken=False)


def apply_assessment(lead: Lead, assessment: Assessment, rules_version: str) -> None:
    lead.score = assessment.score.value
    lead.grade = assessment.grade
    lead.tier = assessment.tier
    lead.quality = assessment.quality.to_dict()
    lead.decision = {
        **lead.decision,
        "rules_version": rules_version,
        "score": assessment.score.value,
        "grade": assessment.grade,
        "scoring": [line.to_dict() for line in assessment.score.lines],
        "tier": assessment.tier,
        "tier_rule": f"tiers:{assessment.tier_rule}" if assessment.tier_rule is not None else None,
    }
    if lead.owner_id is None:  # what routing is (about to be) matched on; frozen once someone owns the lead
        lead.routed_on = {"grade": assessment.grade, **{f: lead.fields.get(f) for f in ROUTED_ON_FIELDS}}


def routed_context(lead: Lead, rules: RuleSet) -> dict[str, Any]:
    """The routing context a routed lead was matched on (its fields and grade then), tiered by
    ``rules``; a lead stored before ``routed_on`` existed is taken as it is now."""
    routed_on = lead.routed_on
    fields = dict(lead.fields)
    grade = lead.grade
    if routed_on:
        fields.update({f: routed_on.get(f) for f in ROUTED_ON_FIELDS})
        grade = routed_on.get("grade") or grade
    tier, _ = tier_for(fields, rules)
    return routing_context(Lead(lead.lead_id, lead.captured_at, fields=fields, touches=lead.touches), grade, tier)
