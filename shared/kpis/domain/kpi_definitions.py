"""The KPI definitions (CONTRACT §7), computed from rollup items — one set for API, CLI, Dashboard.

Every KPI is ``{"value", "numerator", "denominator"}``; ``value`` is null when the denominator is
0. For a median, ``denominator`` is the number of observations and ``numerator`` how many are at
or below the median's sketch bucket (at least half); the value is exact to the bucket width
(kpi_sketch: within ~4.4%).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import DATE_EXPECTED, parse_date
from shared.kpis.domain import kpi_sketch
from shared.kpis.domain.kpi_rollups import ALL, LATE, MAX_WINDOW_DAYS, day_key, month_key, year_key

DEFAULT_DAYS = 28
RATES = ("mql_to_sql_rate", "win_rate_amount", "win_rate_count", "first_contact_resolution", "net_revenue_retention")
MEDIANS = {  # KPI -> (sketch prefix, unit)
    "first_touch_median_hours": ("ft", "hours"),
    "sales_cycle_median_days": ("cyc", "days"),
    "approval_median_hours": ("appr", "hours"),
    "invoice_lead_days_median": ("inv", "days"),
}
KPI_KEYS = (
    "mql_to_sql_rate",
    "first_touch_median_hours",
    "win_rate_amount",
    "win_rate_count",
    "sales_cycle_median_days",
    "approval_median_hours",
    "first_contact_resolution",
    "sla_attainment",
    "net_revenue_retention",
    "invoice_lead_days_median",
    "nps",
)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in whole local days of Settings ``timezone``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def ranges(self) -> list[tuple[str, str]]:
        """The (first, last) period keys a query reads, inclusive: years and months before
        ``start`` (contract value live at ``start``), then every day from ``start``'s month to ``end``."""
        s = self.start
        out = []
        if s.year > 1:
            out.append((year_key(date(1, 1, 1)), year_key(date(s.year - 1, 1, 1))))
        if s.month > 1:
            out.append((month_key(date(s.year, 1, 1)), month_key(date(s.year, s.month - 1, 1))))
        out.append((day_key(s.replace(day=1)), day_key(self.end)))
        return out


def _day(text: str | None, name: str, problems: dict[str, str]) -> date | None:
    if text is None or text == "":
        return None
    try:
        return parse_date(text)
    except ValueError:
        problems[name] = f"{DATE_EXPECTED}, got {text[:40]!r}"
        return None


def parse_window(start: str | None, end: str | None, today: date) -> Window:
    """The window asked for; defaults: the last 28 days, today included. Bad input → 400 naming it."""
    problems: dict[str, str] = {}
    first, last = _day(start, "from", problems), _day(end, "to", problems)
    if problems:
        raise ValidationFailed("bad KPI window: " + "; ".join(f"{k} {v}" for k, v in problems.items()), problems)
    last = last or (first + timedelta(days=DEFAULT_DAYS) if first else today + timedelta(days=1))
    first = first or last - timedelta(days=DEFAULT_DAYS)
    if first >= last:
        raise ValidationFailed("`from` must be before `to` (the window is [from, to))", {"from": "must be before to"})
    if (last - first).days > MAX_WINDOW_DAYS:
        raise ValidationFailed(
            f"the window is {(last - first).days} days; at most {MAX_WINDOW_DAYS}",
            {"to": f"at most {MAX_WINDOW_DAYS} days after from"},
        )
    if first.year < 2 or last.year > 9998:
        raise ValidationFailed("the window is out of range", {"from": "out of range"})
    return Window(first, last)


def ratio(numerator: float, denominator: float) -> dict[str, Any]:
    value = None if denominator == 0 else round(numerator / denominator, 4)
    return {"value": value, "numerator": _number(numerator), "denominator": _number(denominator)}


def _number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 2)


def median_of(counts: Mapping[str, int], unit: str) -> dict[str, Any]:
    n = sum(counts.values())
    value = kpi_sketch.median(counts)
    below = kpi_sketch.at_or_below(counts, value) if value is not None else 0
    return {"value": None if value is None else round(value, 2), "numerator": below, "denominator": n, "unit": unit}


def compute(window: Window, items: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Every KPI of the window from the rollup items of one scope (period key -> attributes)."""
    start, end = day_key(window.start), day_key(window.end)
    inside = [(k, v) for k, v in items.items() if start <= k < end and k.startswith("d#")]
    totals: dict[str, float] = defaultdict(float)
    for _, attrs in inside:
        for attr, amount in attrs.items():
            totals[attr] += float(amount)
    kpis: dict[str, Any] = {"mql_to_sql_rate": _mql(window, inside, totals)}
    for key, (prefix, unit) in MEDIANS.items():
        sketch = {a[len(prefix) + 1 :]: int(n) for a, n in totals.items() if a.startswith(prefix + "_") and n > 0}
        kpis[key] = median_of(sketch, unit)
    kpis["win_rate_amount"] = ratio(totals["won_amt"], totals["won_amt"] + totals["lost_amt"])
    kpis["win_rate_count"] = ratio(totals["won_n"], totals["won_n"] + totals["lost_n"])
    kpis["first_contact_resolution"] = ratio(totals["fcr_n"], totals["res_n"])
    kinds = sorted({a[5:] for a in totals if a.startswith(("slam_", "slab_"))})
    kpis["sla_attainment"] = {k: ratio(totals[f"slam_{k}"], totals[f"slam_{k}"] + totals[f"slab_{k}"]) for k in kinds}
    kpis["net_revenue_retention"] = _nrr(window, items)
    kpis["nps"] = nps(totals["nps_pro"], totals["nps_det"], totals["nps_n"])
    skipped = {a[5:].replace("__", "."): int(n) for a, n in sorted(totals.items()) if a.startswith("skip_") and n}
    return {"kpis": {key: kpis[key] for key in KPI_KEYS}, "skipped": skipped}


def nps(promoters: float, detractors: float, answers: float) -> dict[str, Any]:
    """(promoters − detractors) ÷ answers, with the counts behind it (CONTRACT §15)."""
    kpi = ratio(promoters - detractors, answers)
    passives = answers - promoters - detractors
    return {**kpi, "promoters": _number(promoters), "passives": _number(passives), "detractors": _number(detractors)}


def _mql(window: Window, inside: list[tuple[str, Mapping[str, float]]], totals: Mapping[str, float]) -> dict[str, Any]:
    """Leads whose mql cohort day is in the window; of them, those whose sql day is before ``end``."""
    reached = 0.0
    for key, attrs in inside:
        allowed = (window.end - date.fromisoformat(key[2:])).days  # sql on cohort day + lag < end
        reached += sum(
            n for a, n in attrs.items() if a.startswith("mql_lag_") and a[8:] != LATE and int(a[8:]) < allowed
        )
    return ratio(reached, totals["mql_n"])


def _nrr(window: Window, items: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Contract value live at ``from`` (all deltas up to that day) and, of the same customers, at ``to``."""
    start, end = window.start, window.end
    at_start = 0.0
    later = 0.0
    year_start, month_start = date(start.year, 1, 1), start.replace(day=1)
    for key, attrs in items.items():
        if (
            (key.startswith("y#") and key < year_key(start))
            or (month_key(year_start) <= key < month_key(start))
            or (day_key(month_start) <= key <= day_key(start))
        ):
            at_start += float(attrs.get("arr_d", 0))
        elif key.startswith("d#") and day_key(start) < key <= day_key(end):
            since = (date.fromisoformat(key[2:]) - start).days  # a run older than this was live at start
            for attr, amount in attrs.items():
                if attr.startswith("arr_age_") and (attr[8:] == LATE or int(attr[8:]) >= since):
                    later += float(amount)
    return ratio(at_start + later, at_start)


def filters(team: str | None, owner: str | None) -> tuple[str, str]:
    return team or ALL, owner or ALL


def shown(kpi: Mapping[str, Any], percent: bool) -> str:
    """A KPI's value as people read it: ``50.0%``, ``1.93 h``, ``7.0 d``; ``—`` when there is none."""
    value = kpi.get("value")
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:.2f} h" if kpi.get("unit") == "hours" else f"{value:.1f} d"


def rows(kpis: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], str]]:
    """(label, KPI, shown value) in the contract's order; SLA attainment one row per kind."""
    out: list[tuple[str, Mapping[str, Any], str]] = []
    for key in KPI_KEYS:
        if key == "sla_attainment":
            kinds = kpis[key] or {"(no clocks)": {"value": None, "numerator": 0, "denominator": 0}}
            out += [(f"sla_attainment {kind}", kpi, shown(kpi, True)) for kind, kpi in sorted(kinds.items())]
        else:
            out.append((key, kpis[key], shown(kpis[key], key not in MEDIANS)))
    return out
