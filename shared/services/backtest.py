"""backtest: what recent leads would have become under candidate rules — before anyone publishes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.domain.leads import ROUTABLE_GRADES, Lead, assess
from shared.domain.routing import pool_for
from shared.services.ports import ActiveRules

CATEGORIES = ("grade", "tier", "team", "unassignable")


@dataclass(frozen=True)
class Outcome:
    grade: str
    tier: str
    team: str | None
    unassignable: bool

    def to_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "tier": self.tier, "team": self.team, "unassignable": self.unassignable}


@dataclass
class BacktestReport:
    rules_version: str
    leads: int = 0
    changed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "leads": self.leads,
            "changed": self.changed,
            "examples": self.examples,
        }


def stored_outcome(lead: Lead) -> Outcome:
    unassignable = lead.grade in ROUTABLE_GRADES and lead.owner_id is None
    return Outcome(lead.grade, lead.tier, lead.team or lead.queue, unassignable)


def candidate_outcome(lead: Lead, candidate: ActiveRules) -> Outcome:
    """The lead judged afresh, as if it arrived now under the candidate rules."""
    fresh = copy.deepcopy(lead)
    fresh.grade, fresh.owner_id, fresh.nurture = "nurture", None, False
    assessment = assess(fresh, candidate.rules, candidate.index)
    rule = assessment.routing_rule
    team = rule.team if rule else None
    nobody = rule is None or not any(o.active for o in pool_for(rule, candidate.rules).owners)
    unassignable = assessment.grade in ROUTABLE_GRADES and nobody
    return Outcome(assessment.grade, assessment.tier, team, unassignable)


def backtest(
    leads: Iterable[Lead], candidate: ActiveRules, *, examples: int = 5, progress: Callable[[int], None] | None = None
) -> BacktestReport:
    report = BacktestReport(candidate.version)
    for lead in leads:
        before, after = stored_outcome(lead), candidate_outcome(lead, candidate)
        report.leads += 1
        differs = {
            "grade": before.grade != after.grade,
            "tier": before.tier != after.tier,
            "team": before.team != after.team,
            "unassignable": after.unassignable,
        }
        for category, hit in differs.items():
            if hit:
                report.changed[category] += 1
                if len(report.examples[category]) < examples:
                    report.examples[category].append(
                        {"lead_id": lead.lead_id, "before": before.to_dict(), "after": after.to_dict()}
                    )
        if progress and report.leads % 500 == 0:
            progress(report.leads)
    return report
