"""Account health (CONTRACT §2.10): four dimensions scored 0–100 from the account's signals
(``health_signals.py``), their weighted mean by the Health tab, and the warning when something
newly falls below its threshold. Pure: time is passed in.

The formulas (docs/ops-guide.md says the same for operators):

- ``usage`` = 100 × active ÷ licensed users of the latest report, at most 100 (more active than
  licensed users is full use). No report yet: no data.
- ``support`` = the CSAT part − 30 per open P1 case − 15 per open P2 case, within 0–100. The CSAT
  part is the mean CSAT (1–5) of the cases rated in the last 90 days mapped onto 0–100
  (1 → 0, 3 → 50, 5 → 100); 100 when nobody rated a case in 90 days.
- ``payment`` = 100 − 25 per overdue invoice (issued, unpaid, its due date passed) − 25 more per
  invoice overdue by over 30 days − 25 per invoice finance rejected in the last 90 days, at least 0.
- ``engagement`` = 25 per day with a sales or service activity in the last 30 days, at most 100
  (an activity on 4 different days a month is full engagement). An account younger than 30 days
  is not judged on it yet: no data.

The score is the mean of the dimensions that have data, weighted by the Health tab's ``weight``
(weights re-normalised over those dimensions; a dimension not on the tab weighs 0); no data at all:
no score. A dimension below its ``threshold``, or the score below Settings ``health_threshold``,
is *below*; ``HealthWarning`` is emitted when something is below that was not below at the
previous computation — once when an account falls, not every day while it stays down; it warns
again only after recovering and falling anew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared.customers.domain.accounts import Account
from shared.customers.domain.health_signals import ENGAGEMENT_WINDOW, SUPPORT_WINDOW
from shared.kernel.domain.events import Event, iso, parse_iso

DIMENSIONS = ("usage", "support", "payment", "engagement")
SCORE = "score"  # the name of the overall score in ``below`` and ``fell``
P1_PENALTY, P2_PENALTY = 30, 15
OVERDUE_PENALTY, LONG_OVERDUE_PENALTY, REJECTED_PENALTY = 25, 25, 25
LONG_OVERDUE = timedelta(days=30)
POINTS_PER_ACTIVE_DAY = 25
HISTORY_DAYS = 180  # one point per day: half a year of trend on the account
DEFAULT_THRESHOLD = 60.0


def _round(value: float) -> int:
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def _clamp(value: float) -> int:
    return max(0, min(100, _round(value)))


@dataclass(frozen=True)
class HealthPolicy:
    """The Health tab (weight as a fraction, threshold) and Settings ``health_threshold``."""

    weights: Mapping[str, float]
    thresholds: Mapping[str, float | None]
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], threshold: float | None) -> HealthPolicy:
        weights: dict[str, float] = {}
        thresholds: dict[str, float | None] = {}
        for row in rows:
            name = str(row.get("dimension") or "").strip().lower()
            if name in DIMENSIONS:
                weights[name] = float(row.get("weight") or 0)
                value = row.get("threshold")
                thresholds[name] = None if value is None else float(value)
        return cls(weights, thresholds, DEFAULT_THRESHOLD if threshold is None else float(threshold))


@dataclass(frozen=True)
class Assessment:
    score: int | None
    dimensions: dict[str, dict[str, Any]]  # name -> {"score", "weight", "threshold", what it came from}
    below: tuple[str, ...] = field(default=())  # dimensions (and "score") below their threshold


# ------------------------------------------------------------------ the four dimensions


def usage_score(signals: Mapping[str, Any]) -> dict[str, Any]:
    report = signals.get("usage")
    if not report:
        return {"score": None}
    active, licensed = int(report["active_users"]), int(report["licensed_users"])
    return {
        "score": _clamp(100 * active / licensed) if licensed else None,
        "active_users": active,
        "licensed_users": licensed,
        "reported_at": report["at"],
    }


def support_score(signals: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    since = now - SUPPORT_WINDOW
    scores = [int(c["score"]) for c in signals.get("csat", []) if parse_iso(str(c["at"])) >= since]
    csat = sum(scores) / len(scores) if scores else None
    part = 100.0 if csat is None else (csat - 1) / 4 * 100
    cases = signals.get("cases", {}).values()
    p1 = sum(1 for c in cases if c.get("priority") == "P1")
    p2 = sum(1 for c in cases if c.get("priority") == "P2")
    return {
        "score": _clamp(part - P1_PENALTY * p1 - P2_PENALTY * p2),
        "csat": None if csat is None else round(csat, 2),
        "csat_count": len(scores),
        "open_p1": p1,
        "open_p2": p2,
    }


def payment_score(signals: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    today = now.date()
    since = now - SUPPORT_WINDOW
    overdue, long_overdue, rejected = [], 0, []
    for invoice_id, invoice in sorted(signals.get("invoices", {}).items()):
        if invoice["status"] == "issued" and invoice.get("due_date"):
            due = date.fromisoformat(str(invoice["due_date"])[:10])
            if due < today:
                overdue.append(invoice_id)
                long_overdue += 1 if today - due > LONG_OVERDUE else 0
        elif invoice["status"] == "rejected" and parse_iso(str(invoice["at"])) >= since:
            rejected.append(invoice_id)
    penalty = OVERDUE_PENALTY * len(overdue) + LONG_OVERDUE_PENALTY * long_overdue + REJECTED_PENALTY * len(rejected)
    return {"score": _clamp(100 - penalty), "overdue": overdue, "rejected": rejected}


def engagement_score(signals: Mapping[str, Any], created_at: str | None, now: datetime) -> dict[str, Any]:
    oldest = (now - ENGAGEMENT_WINDOW).date().isoformat()
    days = sorted(d for d, n in signals.get("activity", {}).items() if d >= oldest and n > 0)
    young = created_at is not None and parse_iso(created_at) > now - ENGAGEMENT_WINDOW
    score = None if young else _clamp(POINTS_PER_ACTIVE_DAY * len(days))
    return {"score": score, "active_days": len(days), "last_activity_on": days[-1] if days else None}


def assess(signals: Mapping[str, Any], created_at: str | None, policy: HealthPolicy, now: datetime) -> Assessment:
    dimensions = {
        "usage": usage_score(signals),
        "support": support_score(signals, now),
        "payment": payment_score(signals, now),
        "engagement": engagement_score(signals, created_at, now),
    }
    below: list[str] = []
    weighted, total = 0.0, 0.0
    for name in DIMENSIONS:
        entry = dimensions[name]
        weight, threshold = policy.weights.get(name, 0.0), policy.thresholds.get(name)
        entry["weight"], entry["threshold"] = weight, threshold
        if entry["score"] is None:
            continue
        weighted, total = weighted + weight * entry["score"], total + weight
        if threshold is not None and entry["score"] < threshold:
            below.append(name)
    score = _clamp(weighted / total) if total > 0 else None
    if score is not None and score < policy.threshold:
        below.append(SCORE)
    return Assessment(score, dimensions, tuple(below))


# ------------------------------------------------------------------ kept on the account


@dataclass(frozen=True)
class Refresh:
    assessment: Assessment
    fell: tuple[str, ...]  # newly below: what the warning names
    changed: bool  # anything to store (a new day's point, another score, another set below)


def refresh(account: Account, policy: HealthPolicy, now: datetime, rules_version: str | None) -> Refresh:
    """Compute the account's health now, keep it and today's point of its history (one per UTC
    day, the latest computation of the day wins, the last ``HISTORY_DAYS`` kept)."""
    result = assess(account.signals, account.created_at, policy, now)
    before = account.health or {}
    fell = tuple(name for name in result.below if name not in set(before.get("below") or []))
    point = {"date": now.date().isoformat(), "score": result.score}
    point.update({name: result.dimensions[name]["score"] for name in DIMENSIONS})
    history = [p for p in account.health_history if p.get("date") != point["date"]]
    history.append(point)
    history.sort(key=lambda p: str(p["date"]))
    history = history[-HISTORY_DAYS:]
    health = {
        "score": result.score,
        "threshold": policy.threshold,
        "below": list(result.below),
        "dimensions": result.dimensions,
        "rules_version": rules_version,
    }
    changed = history != account.health_history or {k: v for k, v in before.items() if k != "computed_at"} != health
    if changed:
        account.health = {**health, "computed_at": iso(now)}
        account.health_history = history
    return Refresh(result, fell, changed)


def warning(account: Account, result: Refresh, now: datetime, rules_version: str | None) -> Event | None:
    """``HealthWarning`` naming what fell, for the account manager; None when nothing newly fell."""
    if not result.fell:
        return None
    manager = account.account_manager_id
    assessment = result.assessment
    data = {
        "account_id": account.account_id,
        "company": account.company,
        "score": assessment.score,
        "threshold": account.health.get("threshold"),
        "fell": list(result.fell),
        "below": list(assessment.below),
        "dimensions": {
            name: {"score": d["score"], "threshold": d["threshold"]} for name, d in assessment.dimensions.items()
        },
        "owner_id": manager,
        "notify": [manager] if manager else [],
    }
    return Event("HealthWarning", account.subject, now, data, rules_version=rules_version)


__all__ = ["DIMENSIONS", "Assessment", "HealthPolicy", "Refresh", "assess", "refresh", "warning"]
