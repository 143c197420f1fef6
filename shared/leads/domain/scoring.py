"""Scoring, grading, tiering and data quality: pure functions over a lead's fields."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.rules.domain.rules import Grade, RuleSet, ScoringRule, Settings, TierRule

SCORE_MIN, SCORE_MAX = 0, 100
# Scoring fields read from the lead's touches (each post: its source, channel and campaign), not
# from its fields: where people came from is a property of every visit, not of the person.
TOUCH_SCORING_FIELDS: tuple[str, ...] = ("source", "channel", "campaign")


@dataclass(frozen=True, slots=True)
class ScoreLine:
    rule_id: str
    points: float

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "points": _plain(self.points)}


@dataclass(frozen=True, slots=True)
class Score:
    value: int
    lines: tuple[ScoreLine, ...]


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip().lower() for v in value]
    return [part.strip().lower() for part in str(value).replace("，", ",").split(",") if part.strip()]


def field_matches(rule: ScoringRule, actual: Any) -> bool:
    """Whether one field condition holds. A missing field never matches (except nothing)."""
    if rule.op == "exists":
        return actual not in (None, "", [], ())
    if actual in (None, ""):
        return False
    if rule.op in ("gte", "lte"):
        have, want = _as_number(actual), _as_number(rule.value)
        if have is None or want is None:
            return False
        return have >= want if rule.op == "gte" else have <= want
    text = str(actual).strip().lower()
    if rule.op == "eq":
        have_n, want_n = _as_number(actual), _as_number(rule.value)
        if have_n is not None and want_n is not None:
            return have_n == want_n
        return text == str(rule.value).strip().lower()
    if rule.op == "in":
        return text in _as_list(rule.value)
    if rule.op == "contains":
        return any(word in text for word in _as_list(rule.value))
    return False


def _event_points(rule: ScoringRule, count: int) -> float:
    """Behaviour rows: points per occurrence up to max_times; `gte N` gives points once at N."""
    if count <= 0:
        return 0
    if rule.op == "gte":
        want = _as_number(rule.value) or 1
        return rule.points if count >= want else 0
    times = count if rule.max_times is None else min(count, rule.max_times)
    return rule.points * times


def _touch_points(rule: ScoringRule, touches: Sequence[Mapping[str, Any]]) -> float:
    """Touch rows: points once if any touch matches (a referral is worth the same however often
    the person comes back); with max_times, once per matching touch up to max_times."""
    matching = sum(1 for touch in touches if field_matches(rule, touch.get(rule.field)))
    if not matching:
        return 0
    return rule.points * (1 if rule.max_times is None else min(matching, rule.max_times))


def score_lead(
    fields: Mapping[str, Any],
    behavior: Mapping[str, int],
    rules: RuleSet,
    touches: Sequence[Mapping[str, Any]] = (),
) -> Score:
    """Every Scoring row that holds, with its points: field rows on the lead's fields, ``event:``
    rows on its behaviour counts, source/channel/campaign rows on its touches."""
    lines: list[ScoreLine] = []
    for rule in rules.scoring:
        event = rule.event
        if event is not None:
            points = _event_points(rule, int(behavior.get(event, 0)))
        elif rule.field in TOUCH_SCORING_FIELDS:
            points = _touch_points(rule, touches)
        else:
            points = rule.points if field_matches(rule, fields.get(rule.field)) else 0
        if points:
            lines.append(ScoreLine(rule.rule_id, points))
    total = sum(line.points for line in lines)
    clamped = min(SCORE_MAX, max(SCORE_MIN, total))
    return Score(value=math.floor(clamped + 0.5), lines=tuple(lines))  # halves round up, as people expect


def grade_for(score: int, settings: Settings) -> Grade:
    if score >= settings.sql_threshold:
        return "sql"
    if score < settings.nurture_below:
        return "nurture"
    return "mql"


def _in_range(value: Any, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    number = _as_number(value)
    if number is None:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


def _in_list(value: Any, allowed: tuple[str, ...]) -> bool:
    if not allowed:
        return True
    return value is not None and str(value).strip().lower() in {a.strip().lower() for a in allowed}


def tier_matches(rule: TierRule, fields: Mapping[str, Any]) -> bool:
    return (
        _in_range(fields.get("employees"), rule.min_employees, rule.max_employees)
        and _in_range(fields.get("budget"), rule.min_budget, None)
        and _in_list(fields.get("industry"), rule.industry)
        and _in_list(fields.get("country"), rule.country)
    )


def tier_for(fields: Mapping[str, Any], rules: RuleSet) -> tuple[str, TierRule | None]:
    """The first Tiers row (by priority) that matches; none → `standard`."""
    for rule in rules.tiers:
        if tier_matches(rule, fields):
            return rule.tier, rule
    return "standard", None


@dataclass(frozen=True, slots=True)
class Quality:
    score: int
    missing: tuple[str, ...]
    flags: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "missing": list(self.missing), "flags": list(self.flags)}


def quality_of(fields: Mapping[str, Any], flags: list[str], settings: Settings) -> Quality:
    """Completeness over Settings `quality_fields`; an unmapped industry does not count as known."""
    wanted = [f for f in settings.quality_fields if f]
    missing = [f for f in wanted if fields.get(f) in (None, "", [])]
    if "industry_unmapped" in flags and "industry" in wanted and "industry" not in missing:
        missing.append("industry")
    score = 100 if not wanted else round(100 * (len(wanted) - len(missing)) / len(wanted))
    return Quality(score=score, missing=tuple(missing), flags=tuple(flags))
