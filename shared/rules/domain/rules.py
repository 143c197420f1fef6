"""Business rules as published data.

A rules version's *content* is the canonical, JSON-ready form of the workbook:
``{tab: [row, ...]}`` where each row maps the tab's English column names to typed
values (``None`` for a blank cell, ``[]`` for a blank list). ``admin_sheets`` turns a
workbook into content (and reports every problem at its cell); this module turns
content into the typed rules the domain evaluates. Content is what gets hashed,
versioned and diffed, so it stays plain data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, field
from typing import Any, Literal, get_args

JSON = Any
Content = dict[str, list[dict[str, JSON]]]

# The vocabularies, once each: a Literal type for mypy and its values for validation.
Grade = Literal["sql", "mql", "nurture"]
Role = Literal["sdr", "ae", "senior_ae", "manager", "director", "am", "cs", "support", "finance"]
SourceKind = Literal["signed", "public"]
BehaviorEvent = Literal[
    "email_sent",
    "email_open",
    "email_click",
    "page_view",
    "whitepaper_download",
    "webinar_attended",
    "demo_request",
    "unsubscribe",
]
ScoringOp = Literal["eq", "in", "gte", "lte", "contains", "exists"]
CreateOpportunityOn = Literal["manual", "sql", "first_touch"]
# The signed webhook routes, by the kind in their path (/webhooks/<kind>/{source}); a source posts
# only the kinds its Sources `webhooks` cell names (CONTRACT §12).
WebhookKind = Literal["leads", "behavior", "cases", "esign", "shipments", "usage", "surveys"]

GRADES: tuple[Grade, ...] = get_args(Grade)
ROLES: tuple[Role, ...] = get_args(Role)
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
BEHAVIOR_EVENTS: tuple[BehaviorEvent, ...] = get_args(BehaviorEvent)
SCORING_OPS: tuple[ScoringOp, ...] = get_args(ScoringOp)
CREATE_OPPORTUNITY_ON: tuple[CreateOpportunityOn, ...] = get_args(CreateOpportunityOn)
WEBHOOK_KINDS: tuple[WebhookKind, ...] = get_args(WebhookKind)
# An empty `webhooks` cell, or a workbook without the column (CONTRACT §3): what a marketing
# source needs, nothing that signs contracts, ships goods or opens cases.
DEFAULT_WEBHOOKS: tuple[WebhookKind, ...] = ("leads", "behavior")


@dataclass(frozen=True, slots=True)
class Settings:
    sql_threshold: float = 80
    nurture_below: float = 60
    default_country: str = "CN"
    currency: str = "CNY"
    quality_fields: tuple[str, ...] = ("email", "phone", "name", "company", "title", "industry", "country")
    quality_threshold: float = 60
    wake_click_rate: float = 0.08
    wake_events: tuple[str, ...] = ("whitepaper_download", "demo_request")
    timezone: str = "Asia/Shanghai"
    locale: str = "en"  # the language of alerts: en | zh-CN
    invoice_on: str = "order_signed"  # order_signed | shipment_signed (CONTRACT §2.9)
    create_opportunity_on: str = "manual"  # manual | sql | first_touch (CONTRACT §2.6)
    health_threshold: float = 60  # an account's health score below this warns (CONTRACT §2.10)
    rfm_window_days: int = 365  # the days an account's orders count for F and M (CONTRACT §15)
    link_ttl_hours: int = 72  # an alert's action links work this long (CONTRACT §12)
    lead_retention_days: int | None = None  # erase leads idle this long (CONTRACT §12); None: keep

    @classmethod
    def from_rows(cls, rows: list[dict[str, JSON]]) -> Settings:
        values: dict[str, JSON] = {}
        for row in rows:
            key, value = row.get("key"), row.get("value")
            if key in cls.__dataclass_fields__ and value not in (None, "", []):
                values[str(key)] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Source:
    source: str
    kind: SourceKind
    allowed_origins: tuple[str, ...] = ()
    channel: str | None = None
    campaign: str | None = None
    active: bool = True
    webhooks: tuple[str, ...] = ()  # the webhook kinds it may post; empty = DEFAULT_WEBHOOKS

    def may_post(self, kind: str) -> bool:
        return kind in (self.webhooks or DEFAULT_WEBHOOKS)


@dataclass(frozen=True, slots=True)
class Owner:
    owner_id: str
    name: str
    team: str
    role: str
    email: str | None = None
    manager_id: str | None = None
    capacity: int | None = None  # None = no limit
    weight: int = 1
    active: bool = True
    timezone: str | None = None
    notify: tuple[str, ...] = ()


def manager_chain(owner_id: str, owners: dict[str, Owner]) -> list[Owner]:
    """The owner's managers, nearest first (a loop in manager_id stops the walk)."""
    chain: list[Owner] = []
    seen = {owner_id}
    current = owners.get(owner_id)
    while current is not None and current.manager_id and current.manager_id not in seen:
        seen.add(current.manager_id)
        current = owners.get(current.manager_id)
        if current is not None:
            chain.append(current)
    return chain


def escalation_target(owner_id: str, role: str, owners: dict[str, Owner]) -> Owner | None:
    """The nearest person up the chain with ``role`` (e.g. the owner's manager, then director)."""
    return next((o for o in manager_chain(owner_id, owners) if o.role == role), None)


@dataclass(frozen=True, slots=True)
class TierRule:
    priority: int
    tier: str
    min_employees: int | None = None
    max_employees: int | None = None
    industry: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    min_budget: float | None = None


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """One Routing row. Empty condition = any. ``row`` is the sheet row, for the trace."""

    priority: int
    team: str
    role: tuple[str, ...] = ()
    owner_id: str | None = None
    country: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    min_employees: int | None = None
    max_employees: int | None = None
    tier: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    note: str | None = None
    object: str | None = None  # what the row routes: lead (None), case, account
    case_priority: tuple[str, ...] = ()  # cases: P1..P4
    segment: tuple[str, ...] = ()  # accounts: customer segments (CONTRACT §15)

    @property
    def rule_id(self) -> str:
        return f"routing:{self.priority}"

    @property
    def routes(self) -> str:
        return self.object or "lead"


@dataclass(frozen=True, slots=True)
class ScoringRule:
    rule_id: str
    field: str  # a lead field, or "event:<name>"
    op: str
    value: JSON = None
    points: float = 0
    max_times: int | None = None
    note: str | None = None

    @property
    def event(self) -> str | None:
        return self.field[len("event:") :] if self.field.startswith("event:") else None


@dataclass(frozen=True, slots=True)
class RegionRule:
    country: str
    province: str | None
    region: str


def _tuple(value: JSON) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def _build(cls: Any, row: dict[str, JSON]) -> Any:
    """Build a rule dataclass from a content row: unknown columns dropped, lists as tuples."""
    kwargs: dict[str, JSON] = {}
    for name, spec in cls.__dataclass_fields__.items():
        if name not in row:
            continue
        value = row[name]
        if "tuple" in str(spec.type):
            kwargs[name] = _tuple(value)
        elif value is None and spec.default is not MISSING and spec.default is not None:
            continue  # blank cell: keep the declared default (e.g. weight 1, active true)
        else:
            kwargs[name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class RuleSet:
    """The typed rules of one version."""

    version: str
    settings: Settings
    sources: dict[str, Source]
    owners: dict[str, Owner]
    tiers: tuple[TierRule, ...]
    routing: tuple[RoutingRule, ...]
    scoring: tuple[ScoringRule, ...]
    industries: dict[str, str]  # lower-cased synonym -> canonical
    regions: tuple[RegionRule, ...]
    content: Content = field(repr=False, default_factory=dict)

    @classmethod
    def from_content(cls, content: Content, version: str) -> RuleSet:
        def tab(name: str) -> list[dict[str, JSON]]:
            return content.get(name, [])

        return cls(
            version=version,
            settings=Settings.from_rows(tab("Settings")),
            sources={r["source"]: _build(Source, r) for r in tab("Sources")},
            owners={r["owner_id"]: _build(Owner, r) for r in tab("Owners")},
            tiers=tuple(sorted((_build(TierRule, r) for r in tab("Tiers")), key=lambda t: t.priority)),
            routing=tuple(sorted((_build(RoutingRule, r) for r in tab("Routing")), key=lambda t: t.priority)),
            scoring=tuple(_build(ScoringRule, r) for r in tab("Scoring")),
            industries={str(r["value"]).strip().lower(): str(r["canonical"]) for r in tab("Industries")},
            regions=tuple(_build(RegionRule, r) for r in tab("Regions")),
            content=content,
        )

    def owners_of(self, team: str) -> list[Owner]:
        return sorted((o for o in self.owners.values() if o.team == team), key=lambda o: o.owner_id)

    def source_named(self, name: str) -> Source:
        """The Sources row a webhook posts as — any webhook: a warehouse is a source, not a "lead
        source". UnknownSource (404) or SourceInactive (403) otherwise."""
        from shared.kernel.domain.errors import SourceInactive, UnknownSource

        source = self.sources.get(name)
        if source is None:
            raise UnknownSource(f'no source named "{name[:80]}" is configured in the Sources tab')
        if not source.active:
            raise SourceInactive(f'the source "{name[:80]}" is switched off in the Sources tab')
        return source


def content_hash(content: Content) -> str:
    """Stable hash of rules content: the same rules always hash the same. The public holidays
    publishing derives (calendars.PUBLIC_HOLIDAYS_TAB) are not the rules: the same workbook
    published next year is still unchanged."""
    from shared.time.domain.calendar_cells import PUBLIC_HOLIDAYS_TAB

    rules = {tab: rows for tab, rows in content.items() if tab != PUBLIC_HOLIDAYS_TAB}
    canonical = json.dumps(rules, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
