"""The customers' events (CONTRACT §2.10, §2.11, §15): renewals, health, segments, net promoter answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from shared.kernel.messages.event_types import CLOSED, KPI_NEEDS, KPI_READS, Day, EventData, Instant, Money, OwnerId

Quarter = Annotated[str, Field(pattern=r"^[0-9]{4}-Q[1-4]$")]  # a calendar quarter (UTC): 2026-Q4


@with_config(CLOSED)
class Dimension(TypedDict):
    score: int | None  # None: no data
    threshold: float


@with_config(CLOSED)
class Rfm(TypedDict):
    recency_days: int
    frequency: int
    monetary: Money
    computed_at: Instant


@with_config(CLOSED)
class SegmentRowView(TypedDict):
    """A Segments row as the event shows it (monetary bounds as decimal text; None: no bound)."""

    priority: int
    segment: str
    min_recency_days: int | None
    max_recency_days: int | None
    min_frequency: int | None
    max_frequency: int | None
    min_monetary: Money | None
    max_monetary: Money | None
    notify: list[str]
    note: str | None


class RenewalReminder(EventData):
    """a contract ends in `days_before` days (CONTRACT §2.11): one per Renewals row, at 09:00 Settings `timezone`,
    set at signing; fired once, late after an outage; the `notify` roles are told"""

    subject = "contract/<contract_id>"
    days_before: int = Field(description="the Renewals row's days before the end")
    contract_id: str = Field(description="the contract")
    end_date: Day = Field(description="its end date, `YYYY-MM-DD`")
    amount: Money = Field(description="its total, a decimal string")
    currency: str = Field(description="its currency")
    account_id: str = Field(description="the customer's account")
    renewal_row: int = Field(
        description="the Renewals row (1-based) of the rules version the contract was signed under"
    )
    due_at: Instant = Field(description="when it was due (09:00 local on `end_date − days_before`)")
    late_seconds: int = Field(description="how late it fired (0 when on time; an outage makes it fire late, once)")
    on_hold: bool = Field(description="an unresolved P1 case holds the renewal (`RenewalHeld` follows)")
    case_ids: list[str] = Field(description="the unresolved P1 cases holding it (empty when not on hold)")
    notify: list[OwnerId] = Field(
        description="the row's `notify` roles up the account manager's chain (`am`: the account manager)"
    )


class _Renewal(EventData):
    """What a hold and its release say of the renewal."""

    subject = "contract/<contract_id>"
    contract_id: str = Field(description="the contract")
    account_id: str = Field(description="the customer's account")
    end_date: Day = Field(description="its end date, `YYYY-MM-DD`")
    account_manager_id: OwnerId = Field(description="the account manager (else whoever sold the contract)")


class RenewalHeld(_Renewal):
    """an unresolved P1 case holds the account's renewal: a reminder fired while one is open, or a P1 case opened or
    reopened once a reminder had fired; the renewal quote's approvals wait"""

    case_ids: list[str] = Field(description="the unresolved P1 cases holding it")
    since: Instant = Field(description="when the hold began")
    notify: list[OwnerId] = Field(description="the account manager's manager (the escalation; empty at the top)")


class RenewalReleased(_Renewal):
    """the last open P1 case of the account resolved: the hold ends and the renewal's approvals proceed"""

    case_id: str = Field(description="the case whose resolution released it")
    held_since: Instant = Field(description="when the hold began")
    notify: list[OwnerId] = Field(description="the account manager and their manager")


class RenewalOpportunityCreated(EventData):
    """the reminder of the Renewals row with `create_opportunity` opened the renewal opportunity in the funnel's
    first stage (`OpportunityCreated` in the same transaction; once per contract)"""

    subject = "contract/<contract_id>"
    opportunity_id: str = Field(description="`op_…`, derived from the contract (one renewal opportunity per contract)")
    contract_id: str = Field(description="the contract being renewed")
    account_id: str = Field(description="the customer's account")
    owner_id: OwnerId = Field(description="the account manager (else whoever sold the contract)")
    amount: Money = Field(description="the contract's total, a decimal string")
    currency: str = Field(description="its currency")
    name: str = Field(description="`Renewal: <company> (ends <end_date>)`")
    close_date: Day = Field(description="the contract's end date")
    days_before: int = Field(description="the Renewals row that opened it")


class HealthWarning(EventData):
    """an account's health score, or one of its dimensions, newly fell below its threshold (Health tab, Settings
    `health_threshold`): once when it falls, not again while it stays below; recomputed on every change to the
    account's signals and daily by `health-sweep` (CONTRACT §2.10)"""

    subject = "account/<account_id>"
    account_id: str = Field(description="the account")
    company: str = Field(description="its company name")
    score: int | None = Field(
        description="the health score now, 0–100 (the Health tab's weighted mean), or `null` without data"
    )
    threshold: float = Field(description="Settings `health_threshold`")
    fell: list[str] = Field(
        description=(
            "what newly fell below: dimension names (`usage`, `support`, `payment`, `engagement`) and "
            "`score` for the weighted mean"
        )
    )
    below: list[str] = Field(description="everything below its threshold now (what fell, and what was already below)")
    dimensions: dict[str, Dimension] = Field(
        description='`{name: {"score", "threshold"}}` for each of the four dimensions (score `null`: no data)'
    )
    owner_id: OwnerId | None = Field(description="the account manager, or `null`")
    notify: list[OwnerId] = Field(description="the account manager told (empty if none)")


class AccountSegmentChanged(EventData):
    """an account's RFM segment changed (Segments tab, Settings `rfm_window_days`): when an order is recorded and by
    the daily `segment-sweep`; once per change (CONTRACT §15)"""

    subject = "account/<account_id>"
    account_id: str = Field(description="the account")
    company: str = Field(description="its company name")
    from_: str | None = Field(alias="from", description="the segment it had, or `null` (its first segment)")
    to: str = Field(description="the segment it has now: a Segments row's `segment`, or `unsegmented` (no row matched)")
    rfm: Rfm = Field(
        description='`{"recency_days", "frequency", "monetary", "computed_at"}` (monetary a decimal string)'
    )
    segment_row: SegmentRowView | None = Field(
        description="the Segments row that matched (its bounds, `notify`, `note`), or `null`"
    )
    owner_id: OwnerId | None = Field(
        description="the account manager (after any move the new segment calls for), or `null`"
    )
    previous_owner_id: OwnerId | None = Field(
        description=(
            "the account manager before, when a Routing row with `object` = `account` naming the new "
            "segment gave the account another one; else `null`"
        )
    )
    notify: list[OwnerId] = Field(description="the people the row's `notify` roles name up the account manager's chain")
    note: str | None = Field(description="the row's `note`: the playbook the alert carries")


class NpsAnswerRecorded(EventData):
    """a net promoter answer was recorded on an account (`POST /webhooks/surveys/{source}`); the same respondent's
    later answer in the same quarter replaces theirs (CONTRACT §15); folded into the `nps` KPI"""

    subject = "account/<account_id>"
    account_id: str = Field(description="the account", json_schema_extra=KPI_NEEDS)
    respondent: str = Field(
        description=(
            "who answered: `r-` and a SHA-256 of their normalised email (never the address), or `anon-` and"
            " a hash of the answer when no email was given"
        ),
        json_schema_extra=KPI_NEEDS,
    )
    score: int = Field(description="0–10: promoters 9–10, passives 7–8, detractors 0–6", json_schema_extra=KPI_NEEDS)
    at: Instant = Field(description="when it was answered", json_schema_extra=KPI_NEEDS)
    quarter: Quarter = Field(
        description="the calendar quarter (UTC) it counts for, e.g. `2026-Q4`", json_schema_extra=KPI_NEEDS
    )
    replaced: bool = Field(description="true when it replaced the respondent's earlier answer for the quarter")
    source: str = Field(description="the survey source (Sources tab)")
    owner_id: OwnerId | None = Field(description="the account manager, or `null`", json_schema_extra=KPI_READS)
