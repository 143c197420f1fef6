"""KPIs (CONTRACT §7): one set of definitions, read from rollups — the window asked for and the set."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.messages.types import Absent, Day, declared, example
from shared.kpis.domain.kpi_definitions import KPI_KEYS, MEDIANS
from shared.kpis.domain.kpi_rollups import MAX_WINDOW_DAYS
from shared.kpis.services.kpis import NAME_LIMIT

KpiName = Annotated[str, Field(max_length=NAME_LIMIT)]
EXAMPLE = {
    "from": "2026-11-01", "to": "2026-11-29", "timezone": "Asia/Shanghai", "team": None, "owner_id": None,
    "kpis": {
        "mql_to_sql_rate": {"value": 0.5, "numerator": 2, "denominator": 4},
        "first_touch_median_hours": {"value": 1.93, "numerator": 2, "denominator": 3, "unit": "hours"},
        "win_rate_amount": {"value": 0.4, "numerator": 400, "denominator": 1000},
        "win_rate_count": {"value": 0.6667, "numerator": 2, "denominator": 3},
        "sales_cycle_median_days": {"value": 7.04, "numerator": 1, "denominator": 2, "unit": "days"},
        "approval_median_hours": {"value": None, "numerator": 0, "denominator": 0, "unit": "hours"},
        "first_contact_resolution": {"value": 0.5, "numerator": 1, "denominator": 2},
        "sla_attainment": {"lead_first_touch": {"value": 0.6667, "numerator": 2, "denominator": 3}},
        "net_revenue_retention": {"value": 1.05, "numerator": 315000, "denominator": 300000},
        "invoice_lead_days_median": {"value": None, "numerator": 0, "denominator": 0, "unit": "days"},
        "nps": {"value": 0.25, "numerator": 2, "denominator": 8, "promoters": 4, "passives": 2, "detractors": 2},
    },
    "skipped": {"OpportunityWon.amount": 1},
    "items_read": 59,
}  # fmt: skip


class KpiWindow(BaseModel):
    """Computed from rollups kept as events are recorded: the cost is O(days), whatever the number of
    leads. Days are whole days in Settings `timezone`; each KPI comes with its numerator and
    denominator. `closeloop kpis` and the Dashboard tab show the same numbers."""

    from_: Day | Absent = Field(None, alias="from", description="first day (default: 27 days before today)")
    to: Day | Absent = Field(
        None, description=f"the day after the last (default: tomorrow); at most {MAX_WINDOW_DAYS} days after `from`"
    )
    team: KpiName | Absent = Field(None, description="only this team (the Owners tab's team)")
    owner_id: KpiName | Absent = Field(None, description="only this owner")


class KpiRatio(BaseModel):
    """a KPI: its value and what it was computed from"""

    model_config = ConfigDict(extra="allow")

    value: float | None = Field(
        description="numerator ÷ denominator, rounded to 4 places; null when the denominator is 0"
    )
    numerator: float
    denominator: float


class KpiMedian(KpiRatio):
    """a median from log-scale buckets, exact to the bucket width (~4.4%): `denominator` observations,
    `numerator` of them at or below the median's bucket"""

    unit: Literal["hours", "days"]


SlaAttainment = Annotated[dict[str, KpiRatio], Field(description="SLA kind → met ÷ (met + breached)")]


def _kpi(key: str) -> Any:
    return KpiMedian if key in MEDIANS else SlaAttainment if key == "sla_attainment" else KpiRatio


# every KPI of kpi_definitions.KPI_KEYS, each required
KpiSet: type[BaseModel] = declared("KpiSet", {key: (_kpi(key), ...) for key in KPI_KEYS})


class Kpis(BaseModel):
    """the KPI set"""

    model_config = example(EXAMPLE)

    from_: Day = Field(alias="from")
    to: Day = Field(description="exclusive: the window is [from, to)")
    timezone: str = Field(description="Settings `timezone`: the days' boundaries")
    team: str | None
    owner_id: str | None
    kpis: KpiSet  # type: ignore[valid-type]
    skipped: dict[str, int] = Field(
        description="`<EventType>.<data key>` → events in the window not counted for the KPI that needs that key "
        "(it was missing or unreadable)"
    )
    items_read: int = Field(description="rollup items read: O(days), never per lead")
