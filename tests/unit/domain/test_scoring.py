"""Scoring, grading, tiering and data quality (contract 2.1 steps 3, 4 and 6; Scoring/Tiers tabs)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.leads.domain.routing import index_of
from shared.leads.domain.scoring import grade_for, quality_of, score_lead, tier_for
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet, Settings
from tests.unit.domain.builders import ruleset, scoring, settings


def one_rule(field: str, op: str, value: Any = None, points: float = 10, max_times: int | None = None) -> RuleSet:
    return ruleset(scoring_rows=[scoring("r1", field, op, value, points, max_times)])


@pytest.mark.parametrize(
    ("field", "op", "value", "lead", "points"),
    [
        # eq: numbers compare as numbers, text case- and space-insensitively
        ("country", "eq", "CN", {"country": "CN"}, 10),
        ("country", "eq", "CN", {"country": "cn"}, 10),
        ("country", "eq", " cn ", {"country": "CN"}, 10),
        ("country", "eq", "CN", {"country": "US"}, 0),
        ("country", "eq", "CN", {}, 0),
        ("employees", "eq", 500, {"employees": 500}, 10),
        ("employees", "eq", "500", {"employees": 500}, 10),
        ("employees", "eq", 500, {"employees": 501}, 0),
        ("budget", "eq", "500,000", {"budget": 500000}, 10),
        # in: a list or a comma-separated cell (ASCII or full-width comma)
        ("industry", "in", ["manufacturing", "energy"], {"industry": "energy"}, 10),
        ("industry", "in", ["manufacturing", "energy"], {"industry": "Manufacturing"}, 10),
        ("industry", "in", ["manufacturing", "energy"], {"industry": "retail"}, 0),
        ("industry", "in", "manufacturing, energy", {"industry": "energy"}, 10),
        ("industry", "in", "manufacturing，energy", {"industry": "energy"}, 10),
        ("industry", "in", ["manufacturing", "energy"], {}, 0),
        ("industry", "in", ["manufacturing"], {"industry": "manufacturing-ish"}, 0),
        # gte / lte: inclusive, numbers with thousands separators
        ("employees", "gte", 200, {"employees": 200}, 10),
        ("employees", "gte", 200, {"employees": 199}, 0),
        ("employees", "gte", 200, {"employees": 5000}, 10),
        ("budget", "gte", "500,000", {"budget": 500000}, 10),
        ("budget", "gte", "500,000", {"budget": 499999.99}, 0),
        ("budget", "gte", 500000, {"budget": "1,000,000"}, 10),
        ("employees", "lte", 50, {"employees": 50}, 10),
        ("employees", "lte", 50, {"employees": 51}, 0),
        ("employees", "lte", 50, {"employees": 0}, 10),
        ("employees", "gte", 200, {}, 0),
        ("employees", "lte", 50, {}, 0),  # a missing number is not "small"
        ("employees", "gte", 200, {"employees": "many"}, 0),
        # contains: any of the words, case-insensitive, Chinese too
        ("title", "contains", ["总监", "Director", "VP", "经理"], {"title": "销售总监"}, 10),
        ("title", "contains", ["总监", "Director", "VP", "经理"], {"title": "Sales DIRECTOR, APAC"}, 10),
        ("title", "contains", ["总监", "Director", "VP", "经理"], {"title": "vp engineering"}, 10),
        ("title", "contains", ["总监", "Director", "VP", "经理"], {"title": "采购经理"}, 10),
        ("title", "contains", ["总监", "Director", "VP", "经理"], {"title": "工程师"}, 0),
        ("title", "contains", "总监,Director", {"title": "区域总监"}, 10),
        ("title", "contains", ["总监"], {}, 0),
        # exists
        ("phone", "exists", None, {"phone": "+8613800138000"}, 10),
        ("phone", "exists", None, {"phone": ""}, 0),
        ("phone", "exists", None, {"phone": None}, 0),
        ("phone", "exists", None, {}, 0),
        ("employees", "exists", None, {"employees": 0}, 10),
    ],
)
def test_field_ops(field: str, op: str, value: Any, lead: dict[str, Any], points: int) -> None:
    score = score_lead(lead, {}, one_rule(field, op, value, points=10))
    assert score.value == points
    assert [line.rule_id for line in score.lines] == (["r1"] if points else [])


def test_points_add_up_over_rows_and_trace_every_row(example_rules: ActiveRules) -> None:
    lead = {
        "employees": 1200,
        "industry": "manufacturing",
        "title": "采购总监",
        "budget": 600000,
        "phone": "+8613800138000",
        "country": "CN",
    }
    score = score_lead(lead, {}, example_rules.rules)
    # 30 + 15 (size, both rows) + 20 + 15 + 20 + 5 + 5 = 110, clamped
    assert score.value == 100
    assert {line.rule_id: line.points for line in score.lines} == {
        "fit_size_1000": 30,
        "fit_size_200": 15,
        "fit_industry": 20,
        "fit_title": 15,
        "fit_budget": 20,
        "fit_phone": 5,
        "fit_country": 5,
    }


@pytest.mark.parametrize(
    ("event", "count", "points"),
    [
        ("email_open", 1, 2),
        ("email_open", 5, 10),
        ("email_open", 6, 10),
        ("email_open", 50, 10),
        ("email_click", 3, 15),
        ("email_click", 5, 25),
        ("email_click", 9, 25),
        ("page_view", 10, 10),
        ("page_view", 11, 10),
        ("whitepaper_download", 1, 10),
        ("whitepaper_download", 3, 30),  # no max_times: every time counts
        ("demo_request", 1, 30),
        ("webinar_attended", 2, 30),
        ("email_sent", 20, 0),
        ("email_open", 0, 0),
    ],
)
def test_events_score_per_occurrence_up_to_max_times(
    example_rules: ActiveRules, event: str, count: int, points: int
) -> None:
    assert score_lead({}, {event: count}, example_rules.rules).value == points


def test_behaviour_adds_to_fit(example_rules: ActiveRules) -> None:
    fit = {"employees": 300, "industry": "manufacturing"}  # 15 + 20
    score = score_lead(fit, {"email_open": 7, "page_view": 2, "whitepaper_download": 1}, example_rules.rules)
    assert score.value == 35 + 10 + 2 + 10
    assert {line.rule_id for line in score.lines} == {
        "fit_size_200",
        "fit_industry",
        "bhv_email_open",
        "bhv_page_view",
        "bhv_whitepaper",
    }


def test_event_row_with_gte_counts_once_at_threshold() -> None:
    rules = one_rule("event:page_view", "gte", 3, points=12)
    assert [score_lead({}, {"page_view": n}, rules).value for n in (0, 2, 3, 10)] == [0, 0, 12, 12]


@pytest.mark.parametrize(
    ("behavior", "expected"),
    [
        ({}, 20),
        ({"unsubscribe": 1}, 0),  # 20 - 30 clamps at 0, never negative
        ({"unsubscribe": 3}, 0),
    ],
)
def test_score_never_below_zero(example_rules: ActiveRules, behavior: dict[str, int], expected: int) -> None:
    assert score_lead({"industry": "energy"}, behavior, example_rules.rules).value == expected


def test_unsubscribe_is_capped_at_once(example_rules: ActiveRules) -> None:
    fit = {"employees": 1000, "industry": "energy"}  # 30 + 15 + 20 = 65
    assert score_lead(fit, {"unsubscribe": 1}, example_rules.rules).value == 35
    assert score_lead(fit, {"unsubscribe": 2}, example_rules.rules).value == 35


def test_score_never_above_hundred() -> None:
    rules = ruleset(scoring_rows=[scoring(f"r{i}", "email", "exists", None, 40) for i in range(5)])
    assert score_lead({"email": "a@example.com"}, {}, rules).value == 100


def test_negative_rows_subtract() -> None:
    rules = ruleset(
        scoring_rows=[
            scoring("size", "employees", "gte", 10, 50),
            scoring("student", "title", "contains", ["student", "学生"], -40),
        ]
    )
    assert score_lead({"employees": 20, "title": "PhD student"}, {}, rules).value == 10


# --- grades ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "sql"), (81, "sql"), (80, "sql"), (79, "mql"), (61, "mql"), (60, "mql"), (59, "nurture"), (0, "nurture")],
)
def test_grade_boundaries_default(score: int, grade: str) -> None:
    assert grade_for(score, Settings()) == grade


@pytest.mark.parametrize(("score", "grade"), [(70, "sql"), (69, "mql"), (30, "mql"), (29, "nurture")])
def test_grade_boundaries_from_settings_tab(score: int, grade: str) -> None:
    rules = ruleset(settings_rows=settings(sql_threshold=70, nurture_below=30))
    assert grade_for(score, rules.settings) == grade


# --- tiers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "tier", "row"),
    [
        ({"employees": 1000}, "vip", 10),
        ({"employees": 1000, "industry": "manufacturing"}, "vip", 10),  # first row wins over row 30
        ({"employees": 5, "budget": 1000000}, "vip", 20),
        ({"budget": 999999}, "standard", None),
        ({"employees": 200, "industry": "manufacturing"}, "key", 30),
        ({"employees": 999, "industry": "Energy"}, "key", 30),
        ({"employees": 500, "industry": "retail"}, "standard", None),
        ({"employees": 199, "industry": "manufacturing"}, "standard", None),
        ({"industry": "manufacturing"}, "standard", None),  # a size range needs a size
        ({}, "standard", None),
    ],
)
def test_tiers_first_matching_row(example_rules: ActiveRules, lead: dict[str, Any], tier: str, row: int | None) -> None:
    name, rule = tier_for(lead, example_rules.rules)
    assert name == tier
    assert (rule.priority if rule else None) == row


def tier_row(priority: int, tier: str, **kw: Any) -> dict[str, Any]:
    row = {
        "priority": priority,
        "tier": tier,
        "min_employees": None,
        "max_employees": None,
        "industry": [],
        "country": [],
        "min_budget": None,
    }
    row.update(kw)
    return row


def test_tiers_are_ordered_by_priority_not_row_order() -> None:
    rules = ruleset(tiers=[tier_row(50, "key", country=["CN"]), tier_row(5, "strategic", min_budget=100)])
    assert tier_for({"country": "CN", "budget": 100}, rules)[0] == "strategic"
    assert tier_for({"country": "cn", "budget": 99}, rules)[0] == "key"
    assert tier_for({"country": "US", "budget": 99}, rules)[0] == "standard"


# --- quality --------------------------------------------------------------------------------------

QUALITY_FIELDS = ("email", "phone", "name", "company", "title", "industry", "country")
FULL = {
    "email": "a@example.com",
    "phone": "+8613800138000",
    "name": "李雷",
    "company": "Acme",
    "title": "总监",
    "industry": "manufacturing",
    "country": "CN",
}


@pytest.mark.parametrize(
    ("drop", "flags", "score", "missing"),
    [
        ((), [], 100, []),
        (("phone",), [], 86, ["phone"]),
        (("phone", "title"), [], 71, ["phone", "title"]),
        (("phone", "name", "company", "title", "industry", "country"), [], 14, list(QUALITY_FIELDS[1:])),
        ((), ["industry_unmapped"], 86, ["industry"]),
        (("industry",), [], 86, ["industry"]),
    ],
)
def test_quality_is_completeness_over_quality_fields(
    drop: tuple[str, ...], flags: list[str], score: int, missing: list[str]
) -> None:
    fields = {k: v for k, v in FULL.items() if k not in drop}
    if "industry_unmapped" in flags:
        fields["industry"] = "other"
    quality = quality_of(fields, flags, Settings())
    assert quality.score == score
    assert sorted(quality.missing) == sorted(missing)
    assert list(quality.flags) == flags
    assert quality.to_dict() == {"score": score, "missing": list(quality.missing), "flags": flags}


def test_quality_fields_come_from_settings() -> None:
    rules = ruleset(settings_rows=settings(quality_fields=("email", "company")))
    q = quality_of({"email": "a@example.com"}, [], rules.settings)
    assert (q.score, list(q.missing)) == (50, ["company"])


@pytest.mark.parametrize(("points", "score"), [(2.4, 2), (2.5, 3), (2.6, 3), (79.5, 80), (80.5, 81), (0.5, 1)])
def test_fractional_points_round_half_up(points: float, score: int) -> None:
    """A half point rounds up everywhere, not up at 79.5 and down at 80.5 (banker's rounding)."""
    assert score_lead({"email": "a@example.com"}, {}, one_rule("email", "exists", None, points=points)).value == score


# --- source, channel, campaign: matched against every touch ------------------------------------------

WEB = {"source": "website", "channel": "web", "campaign": None}
REFERRAL = {"source": "partner-form", "channel": "referral", "campaign": "spring-2027"}


@pytest.mark.parametrize(
    ("field", "op", "value", "max_times", "touches", "points"),
    [
        ("channel", "eq", "referral", None, [WEB, REFERRAL], 25),  # any touch, not only the first
        ("channel", "eq", "Referral", None, [REFERRAL, REFERRAL, REFERRAL], 25),  # once per row, not per touch
        ("channel", "eq", "referral", 2, [REFERRAL, WEB, REFERRAL, REFERRAL], 50),  # max_times: per touch, capped
        ("channel", "eq", "referral", None, [WEB], 0),
        ("channel", "eq", "referral", None, [], 0),
        ("source", "in", ["partner-form", "expo-2026"], None, [WEB, REFERRAL], 25),
        ("campaign", "contains", ["spring"], None, [WEB, REFERRAL], 25),
        ("campaign", "exists", None, None, [WEB], 0),
        ("campaign", "exists", None, None, [WEB, REFERRAL], 25),
    ],
)
def test_touch_fields_score_against_every_touch(
    field: str, op: str, value: Any, max_times: int | None, touches: list[dict[str, Any]], points: int
) -> None:
    rules = one_rule(field, op, value, points=25, max_times=max_times)
    score = score_lead({}, {}, rules, touches)
    assert score.value == points
    assert [line.to_dict() for line in score.lines] == ([{"rule_id": "r1", "points": points}] if points else [])


def test_campaign_is_read_from_the_touches_not_the_first_posts_field() -> None:
    rules = one_rule("campaign", "eq", "winter", points=10)
    assert score_lead({"campaign": "winter"}, {}, rules, [WEB]).value == 0
    assert score_lead({}, {}, rules, [WEB, {**WEB, "campaign": "winter"}]).value == 10


def test_a_touch_row_is_in_the_decision_trace(example_rules: ActiveRules) -> None:
    """The example workbook's chn_referral row: channel eq referral, 25 points."""
    from shared.leads.domain.leads import Lead, apply_assessment, assess

    rules = example_rules.rules
    lead = Lead(
        "ld_" + "0" * 20, "2026-11-22T08:00:00.000Z", fields={"country": "CN"}, touches=[WEB, REFERRAL, REFERRAL]
    )
    apply_assessment(lead, assess(lead, rules, index_of(example_rules)), rules.version)
    assert {"rule_id": "chn_referral", "points": 25} in lead.decision["scoring"]
    assert lead.score == 5 + 25  # fit_country + the referral channel, once for two referral posts
