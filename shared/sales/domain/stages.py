"""The sales funnel (CONTRACT §2.6, §3 Stages): stages in order, their exit criteria and the
vocabulary those criteria are written in. Pure.

An exit criterion is one machine check: an opportunity field that must be filled (``budget``),
``quote_approved``, ``contract_signed`` or ``activity:<type>`` (at least one such activity on
the opportunity or on the lead it came from). The human description goes in the ``note``.
The last stage by ``order`` is won; ``lost`` is not a row: it is always reachable from an open
stage, with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet

LOST = "lost"
QUOTE_APPROVED = "quote_approved"
CONTRACT_SIGNED = "contract_signed"
ACTIVITY_PREFIX = "activity:"
ACTIVITY_TYPES = ("call", "email", "meeting", "note")  # the body of CONTRACT §2.4
# the opportunity fields a criterion may require, and that `fields` may fill
OPPORTUNITY_FIELDS = (
    "amount",
    "close_date",
    "budget",
    "decision_maker",
    "timeline",
    "pain",
    "champion",
    "competitors",
    "next_step",
    "use_case",
    "proposal_sent",
    "po_number",
)
TOP_LEVEL_FIELDS = ("amount", "close_date")  # kept on the opportunity itself, not in `fields`


def criterion_problem(text: str) -> str | None:
    """Why ``text`` is not a criterion of the vocabulary (for the Stages tab), else None."""
    if text in (QUOTE_APPROVED, CONTRACT_SIGNED) or text in OPPORTUNITY_FIELDS:
        return None
    if text.startswith(ACTIVITY_PREFIX):
        kind = text[len(ACTIVITY_PREFIX) :]
        if kind in ACTIVITY_TYPES:
            return None
        return f'unknown activity type "{kind}": use {", ".join(ACTIVITY_PREFIX + t for t in ACTIVITY_TYPES)}'
    return (
        f'unknown exit criterion "{text}": use an opportunity field ({", ".join(OPPORTUNITY_FIELDS)}), '
        f"{QUOTE_APPROVED}, {CONTRACT_SIGNED} or {ACTIVITY_PREFIX}<type> ({', '.join(ACTIVITY_TYPES)}); "
        "put the human description in note"
    )


@dataclass(frozen=True, slots=True)
class Stage:
    stage: str
    order: int
    exit_criteria: tuple[str, ...] = ()
    max_days: Decimal | None = None
    probability: Decimal | None = None
    note: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Stage:
        criteria = row.get("exit_criteria") or ()
        if isinstance(criteria, str):
            criteria = [c for c in criteria.replace("，", ",").split(",")]
        max_days, probability = row.get("max_days"), row.get("probability")
        return cls(
            stage=str(row["stage"]),
            order=int(row["order"]),
            exit_criteria=tuple(str(c).strip() for c in criteria if str(c).strip()),
            max_days=None if max_days in (None, "") else Decimal(str(max_days)),
            probability=None if probability in (None, "") else Decimal(str(probability)),
            note=row.get("note") or None,
        )


@dataclass(frozen=True)
class Funnel:
    """The Stages tab in order. The last stage is won."""

    stages: tuple[Stage, ...]

    @classmethod
    def from_content(cls, content: Mapping[str, list[dict[str, Any]]]) -> Funnel:
        rows = content.get("Stages", [])
        return cls(tuple(sorted((Stage.from_row(r) for r in rows), key=lambda s: s.order)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.stage for s in self.stages)

    @property
    def first(self) -> Stage | None:
        return self.stages[0] if self.stages else None

    @property
    def won(self) -> str | None:
        return self.stages[-1].stage if len(self.stages) > 1 else None

    def get(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.stage == name), None)

    def position(self, name: str) -> int:
        return self.names.index(name)

    def gates(self, current: str, target: str) -> list[tuple[Stage, str]]:
        """The criteria a forward move must meet: those of the current stage and of every stage
        skipped on the way to ``target``, each with the stage it belongs to."""
        start, end = self.position(current), self.position(target)
        return [(stage, c) for stage in self.stages[start:end] for c in stage.exit_criteria]


@dataclass(frozen=True)
class Evidence:
    """What the criteria are checked against."""

    fields: Mapping[str, Any]  # the opportunity's fields, amount and close_date included
    activity_types: frozenset[str]  # of the opportunity and of the lead it came from
    quote_status: str | None  # the current quote's status, if any
    contract_id: str | None


def unmet(criterion: str, evidence: Evidence) -> str | None:
    """Why ``criterion`` does not hold, or None when it does."""
    if criterion == QUOTE_APPROVED:
        if evidence.quote_status == "approved":
            return None
        if evidence.quote_status is None:
            return "no quote yet: create one (POST /quotes) and have it approved"
        return f"the current quote is {evidence.quote_status}, not approved"
    if criterion == CONTRACT_SIGNED:
        return None if evidence.contract_id else "no signed contract yet (it comes from the e-sign webhook)"
    if criterion.startswith(ACTIVITY_PREFIX):
        kind = criterion[len(ACTIVITY_PREFIX) :]
        return None if kind in evidence.activity_types else f"no {kind} recorded on the opportunity or its lead"
    value = evidence.fields.get(criterion)
    if value is None or value == "" or value == [] or value is False:
        return f"{criterion} is not filled: send it in fields"
    return None


def funnel_of(active: ActiveRules) -> Funnel:
    """The funnel of the active rules' Stages tab, read once per rules version."""
    return active.derive(_funnel)


def _funnel(rules: RuleSet) -> Funnel:
    return Funnel.from_content(rules.content)
