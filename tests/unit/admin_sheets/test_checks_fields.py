"""Rules that would silently never work: unknown lead fields, number ops on text fields,
and counts, weights, prices and amounts below 0."""

from __future__ import annotations

import pytest

from admin_sheets.checks import NUMBER_FIELDS, SCORABLE_FIELDS
from admin_sheets.parse import parse_workbook
from admin_sheets.tabs import Column
from tests.unit.admin_sheets.helpers import add_row, example_raw, messages, parse_edited, set_cell

ALL_FIELDS = (
    "email, phone, name, first_name, last_name, company, title, country, province, industry, employees, "
    "budget, credit_code, campaign, utm_source, utm_medium, utm_campaign, consent, message, region, industry_raw"
)


def test_scorable_fields_are_the_lead_fields() -> None:
    assert set(SCORABLE_FIELDS) == {
        "email",
        "phone",
        "name",
        "first_name",
        "last_name",
        "company",
        "title",
        "country",
        "province",
        "region",
        "industry",
        "industry_raw",
        "employees",
        "budget",
        "credit_code",
        "campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "consent",
        "message",
    }
    assert len(SCORABLE_FIELDS) == len(set(SCORABLE_FIELDS))
    assert set(NUMBER_FIELDS) <= set(SCORABLE_FIELDS)


@pytest.mark.parametrize("field", SCORABLE_FIELDS)
def test_every_lead_field_can_be_scored(field: str) -> None:
    assert parse_edited(("Scoring", "B7", field)) == []  # row 7: op exists


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Scoring", "B7", "phon")],
            ['Scoring!B7: field "phon" is not a lead field; did you mean "phone"?'],
            id="typo",
        ),
        pytest.param(
            [("Scoring", "B7", "first name")],
            ['Scoring!B7: field "first name" is not a lead field; did you mean "first_name"?'],
            id="space-for-underscore",
        ),
        pytest.param(
            [("Scoring", "B14", "demo_request")],
            ['Scoring!B14: field "demo_request" is not a lead field; did you mean "event:demo_request"?'],
            id="event-without-prefix",
        ),
        pytest.param(
            [("Scoring", "B7", "wechat_id")],
            [
                f'Scoring!B7: field "wechat_id" is not a lead field: use one of {ALL_FIELDS}; '
                "source, channel, campaign (matched against every touch of the lead); "
                "or event:<behaviour> (e.g. event:demo_request)"
            ],
            id="no-close-name",
        ),
        pytest.param([("Scoring", "B7", "Phone")], [], id="any-case"),
        pytest.param(
            [("Scoring", "B2", "email")],
            ['Scoring!C2: gte needs a number field (employees, budget); for "email" use eq, in, contains or exists'],
            id="gte-on-text",
        ),
        pytest.param(
            [("Scoring", "B5", "Title"), ("Scoring", "C5", "lte"), ("Scoring", "D5", "3")],
            ['Scoring!C5: lte needs a number field (employees, budget); for "title" use eq, in, contains or exists'],
            id="lte-on-text",
        ),
        pytest.param(
            [("Scoring", "B8", "budget"), ("Scoring", "C8", "lte"), ("Scoring", "D8", "100,000")],
            [],
            id="lte-on-budget",
        ),
        pytest.param(
            [("Scoring", "C9", "gte"), ("Scoring", "D9", "3")],
            [],
            id="gte-on-event-counts",
        ),
        pytest.param(
            [("Scoring", "B2", "employes")],
            ['Scoring!B2: field "employes" is not a lead field; did you mean "employees"?'],
            id="unknown-field-is-reported-once",
        ),
    ],
)
def test_scoring_fields(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


def test_scoring_fields_are_published_in_their_canonical_spelling() -> None:
    raw = example_raw()
    set_cell(raw, "Scoring", "B7", " Phone ")
    set_cell(raw, "Scoring", "B8", "INDUSTRY_RAW")
    result = parse_workbook(raw)
    assert result.ok, result.problems
    assert result.content is not None
    fields = {r["rule_id"]: r["field"] for r in result.content["Scoring"]}
    assert fields["fit_phone"] == "phone"
    assert fields["fit_country"] == "industry_raw"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "email,phon,name",
            ['Settings!B6: quality_fields: "phon" is not a lead field; did you mean "phone"?'],
            id="typo",
        ),
        pytest.param(
            "email,wechat,compnay",
            [
                f'Settings!B6: quality_fields: "wechat" is not a lead field: use one of {ALL_FIELDS}',
                'Settings!B6: quality_fields: "compnay" is not a lead field; did you mean "company"?',
            ],
            id="each-bad-entry",
        ),
        pytest.param(
            "email,event:demo_request",
            [f'Settings!B6: quality_fields: "event:demo_request" is not a lead field: use one of {ALL_FIELDS}'],
            id="events-are-not-fields",
        ),
        pytest.param("Email,region，industry_raw", [], id="any-case-and-derived-fields"),
    ],
)
def test_quality_fields(value: str, expected: list[str]) -> None:
    assert parse_edited(("Settings", "B6", value)) == expected


def test_quality_fields_are_published_in_their_canonical_spelling() -> None:
    result = parse_workbook(set_cell(example_raw(), "Settings", "B6", "Email, Phone"))
    assert result.content is not None
    settings = {r["key"]: r["value"] for r in result.content["Settings"]}
    assert settings["quality_fields"] == ["email", "phone"]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param([("Owners", "G3", "-1")], ["Owners!G3: capacity must be 0 or more, got -1"], id="capacity"),
        pytest.param([("Owners", "G3", "0")], [], id="capacity-zero"),
        pytest.param([("Owners", "H3", "-2")], ["Owners!H3: weight must be 0 or more, got -2"], id="weight"),
        pytest.param([("Owners", "H3", "0")], [], id="weight-zero"),
        pytest.param(
            [("Tiers", "C3", "-1")], ["Tiers!C3: min_employees must be 0 or more, got -1"], id="tier-min-employees"
        ),
        pytest.param(
            [("Tiers", "D3", "-1,000")],
            ["Tiers!D3: max_employees must be 0 or more, got -1,000"],
            id="tier-max-employees",
        ),
        pytest.param(
            [("Routing", "H5", "-10"), ("Routing", "I5", "-1")],
            [
                "Routing!H5: min_employees must be 0 or more, got -10",
                "Routing!I5: max_employees must be 0 or more, got -1",
            ],
            id="routing-employees",
        ),
        pytest.param(
            [("Products", "C2", "-120,000")],
            ["Products!C2: list_price must be 0 or more, got -120,000"],
            id="list-price",
        ),
        pytest.param([("Products", "C2", "0")], [], id="free-product"),
        pytest.param(
            [("Discounts", "B2", "-1")], ["Discounts!B2: min_amount must be 0 or more, got -1"], id="min-amount"
        ),
        pytest.param(
            [("Discounts", "C3", "-0.5")], ["Discounts!C3: max_amount must be 0 or more, got -0.5"], id="max-amount"
        ),
    ],
)
def test_not_below_zero(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


def test_weight_zero_is_published() -> None:
    result = parse_workbook(set_cell(example_raw(), "Owners", "H3", "0"))
    assert result.content is not None
    assert {r["owner_id"]: r["weight"] for r in result.content["Owners"]}["u_liu"] == 0


def test_only_a_number_column_can_have_a_minimum() -> None:
    with pytest.raises(ValueError, match="minimum"):
        Column("x", "str", minimum=0)


# --- source, channel, campaign: where the lead came from, matched against every touch ---------------


@pytest.mark.parametrize(("field", "value"), [("channel", "referral"), ("Source", "expo-2026"), ("CAMPAIGN", "spring")])
def test_touch_fields_can_be_scored(field: str, value: str) -> None:
    """`channel eq referral +25` was refused: channel and source are no lead fields."""
    raw = example_raw()
    add_row(raw, "Scoring", {"rule_id": "chn_x", "field": field, "op": "eq", "value": value, "points": "25"})
    result = parse_workbook(raw)
    assert result.ok, messages(result)
    assert result.content is not None
    row = result.content["Scoring"][-1]
    assert (row["field"], row["value"], row["points"], row["max_times"]) == (field.lower(), value, 25, None)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"field": "chanel", "op": "eq", "value": "referral"},
            'Scoring!B{n}: field "chanel" is not a lead field; did you mean "channel"?',
        ),
        (
            {"field": "channel", "op": "gte", "value": "3"},
            'Scoring!C{n}: gte needs a number field (employees, budget); for "channel" use eq, in, contains or exists',
        ),
        (
            {"field": "source", "op": "eq", "value": "website", "max_times": "0"},
            "Scoring!F{n}: max_times must be at least 1 (blank = once)",
        ),
    ],
)
def test_touch_field_mistakes(values: dict[str, str], expected: str) -> None:
    raw = example_raw()
    number = add_row(raw, "Scoring", {"rule_id": "chn_x", "points": "5", **values})
    assert messages(parse_workbook(raw)) == [expected.format(n=number)]
