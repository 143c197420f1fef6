"""backtest: what recent leads would have become under candidate rules — before anyone publishes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.leads.domain.leads import ROUTABLE_GRADES, Lead, decide, routed_context
from shared.leads.domain.routing import candidates_of, index_of, pool_for
from shared.rules.domain.active import ActiveRules

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


def _routed(lead: Lead) -> bool:
    """Whether the live path would route this lead when it is routable: always, except a lead whose
    consent is withdrawn and that was never routed — behaviour does not wake it, so it waits for
    its next post (a merge) before anyone is given it."""
    return lead.consent is not False or lead.owner_id is not None or lead.queue is not None


def stored_outcome(lead: Lead) -> Outcome:
    """The lead as it is: a queue counts as its team; a lead back in nurture has none."""
    routable = lead.grade in ROUTABLE_GRADES
    team = lead.team or (lead.queue if routable else None)
    unassignable = routable and lead.owner_id is None and _routed(lead)
    return Outcome(lead.grade, lead.tier, team, unassignable)


def candidate_outcome(lead: Lead, candidate: ActiveRules) -> Outcome:
    """The lead under the candidate rules, decided as the live path decides (leads.decide): its
    fields, touches and recorded behaviour (wake events, click rate, score), its consent and its
    assignment — an assigned lead is not demoted to nurture. A lead routed before is matched on
    what it was routed on (a later post does not re-route it); a lead not yet routed, as it is now."""
    assessment = decide(lead, candidate.rules, index_of(candidate)).assessment
    grade, tier = assessment.grade, assessment.tier
    routable = grade in ROUTABLE_GRADES
    if lead.owner_id is None and (not routable or not _routed(lead)):
        return Outcome(grade, tier, None, False)
    if lead.owner_id is None and lead.queue is None:
        rule = assessment.routing_rule
    else:
        rule = index_of(candidate).match(routed_context(lead, candidate.rules))
    # loads are not known here: nobody = no one active, unpaused and with any capacity at all
    nobody = rule is None or not any(c.available for c in candidates_of(pool_for(rule, candidate.rules), {}))
    return Outcome(grade, tier, rule.team if rule else None, routable and nobody)


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
