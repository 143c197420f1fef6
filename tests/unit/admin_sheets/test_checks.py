"""Cross-tab references, duplicate keys and rows that contradict each other."""

from __future__ import annotations

import pytest

from tests.unit.admin_sheets.helpers import parse_edited

TEAMS = "(teams: Customer Success, Enterprise, Finance, International, SMB East, SMB North, Support, Support L2)"
TIERS = "(tiers: key, standard, vip)"


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Owners", "F4", "u_nobody")],
            ['Owners!F4: manager_id "u_nobody" is not an owner_id on the Owners tab'],
            id="unknown-manager",
        ),
        pytest.param(
            [("Owners", "F4", "u_wang")],
            ["Owners!F4: a person cannot be their own manager"],
            id="self-manager",
        ),
        pytest.param(
            [("Routing", "B5", "SMB South")],
            [f'Routing!B5: team "SMB South" is not the team of any owner on the Owners tab {TEAMS}'],
            id="unknown-team",
        ),
        pytest.param(
            [("Routing", "D3", "u_ghost")],
            ['Routing!D3: owner_id "u_ghost" is not an owner_id on the Owners tab'],
            id="unknown-owner",
        ),
        pytest.param(
            [("Routing", "D3", "u_li")],
            ['Routing!D3: owner_id "u_li" is in team "SMB North", not "SMB East"'],
            id="owner-other-team",
        ),
        pytest.param(
            [("Routing", "C5", "sdr,intern")],
            [
                (
                    "Routing!C5: role must be one of sdr, ae, senior_ae, manager, director, am, cs, support, "
                    'finance; got "intern"'
                )
            ],
            id="unknown-role",
        ),
        pytest.param(
            [("Routing", "J2", "gold")],
            [f'Routing!J2: tier "gold" is not a tier the Tiers tab can give {TIERS}'],
            id="unknown-tier",
        ),
        pytest.param([("Routing", "J2", "standard")], [], id="standard-tier-is-implicit"),
        pytest.param(
            [("Routing", "K3", "expo-2025")],
            ['Routing!K3: source "expo-2025" is not a source on the Sources tab'],
            id="unknown-source",
        ),
        pytest.param(
            [("Routing", "F5", "east,central")],
            [
                (
                    'Routing!F5: region "central" is not a region on the Regions tab '
                    "(regions: americas, apac, east, emea, north, south, west)"
                )
            ],
            id="unknown-region",
        ),
        pytest.param(
            [("Holidays", "A2", "hq")],
            [('Holidays!A2: calendar "hq" is not a calendar on the Calendars tab (calendars: cn-office, intl)')],
            id="unknown-calendar",
        ),
        pytest.param(
            [("SLA", "I2", "manager,ceo")],
            [
                (
                    "SLA!I2: escalate_to must be one of sdr, ae, senior_ae, manager, director, am, cs, "
                    'support, finance; got "ceo"'
                )
            ],
            id="unknown-escalation-role",
        ),
        pytest.param(
            [("SLA", "D2", "gold")],
            ['SLA!D2: tier "gold" is not a tier the Tiers tab can give (tiers: key, standard, vip)'],
            id="unknown-sla-tier",
        ),
    ],
)
def test_references(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Scoring", "B2", "event:phone_call")],
            [
                (
                    'Scoring!B2: unknown behaviour event "phone_call": use one of email_sent, email_open, '
                    "email_click, page_view, whitepaper_download, webinar_attended, demo_request, unsubscribe"
                )
            ],
            id="unknown-event",
        ),
        pytest.param(
            [("Scoring", "D2", "many")],
            ['Scoring!D2: op gte needs a number in value, got "many"'],
            id="gte-needs-number",
        ),
        pytest.param([("Scoring", "D2", "")], ["Scoring!D2: op gte needs a number in value"], id="gte-blank"),
        pytest.param(
            [("Scoring", "D7", "yes")],
            ['Scoring!D7: op exists takes no value: clear this cell, got "yes"'],
            id="exists-takes-no-value",
        ),
        pytest.param([("Scoring", "D4", "")], ["Scoring!D4: op in needs a list in value"], id="in-blank"),
        pytest.param([("Scoring", "D8", "")], ["Scoring!D8: op eq needs a value in value"], id="eq-blank"),
        pytest.param(
            [("Scoring", "F9", "0")],
            ["Scoring!F9: max_times must be at least 1 (blank = no limit)"],
            id="max-times-zero",
        ),
        pytest.param([("Scoring", "B9", "EVENT:Email_Open")], [], id="event-case-insensitive"),
    ],
)
def test_scoring_rules(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Owners", "A9", "u_li")], ['Owners!A9: owner_id "u_li" is already used in row 8'], id="owner-id"
        ),
        pytest.param(
            [("Sources", "A3", "Website")],
            ['Sources!A3: source "Website" is already used in row 2'],
            id="source-any-case",
        ),
        pytest.param(
            [("Scoring", "A3", "fit_size_1000")],
            ['Scoring!A3: rule_id "fit_size_1000" is already used in row 2'],
            id="rule-id",
        ),
        pytest.param(
            [("Settings", "A3", "SQL_Threshold")],
            ['Settings!A3: setting "sql_threshold" is already used in row 2'],
            id="setting-key",
        ),
        pytest.param(
            [("Settings", "A3", "sql_treshold")],
            [
                (
                    'Settings!A3: unknown setting "sql_treshold": use one of sql_threshold, nurture_below, '
                    "default_country, currency, quality_fields, quality_threshold, wake_click_rate, "
                    "wake_events, timezone, locale, invoice_on, create_opportunity_on, health_threshold, "
                    "rfm_window_days, link_ttl_hours, lead_retention_days"
                )
            ],
            id="unknown-setting",
        ),
        pytest.param(
            [("Routing", "A3", "10")],
            ['Routing!A3: priority "10" is already used in row 2'],
            id="routing-priority",
        ),
        pytest.param(
            [("Tiers", "A3", "10")], ['Tiers!A3: priority "10" is already used in row 2'], id="tiers-priority"
        ),
        pytest.param(
            [("SLA", "C2", "sql"), ("SLA", "D3", "vip")],
            ['SLA!A3: SLA kind/priority/grade/tier "lead_first_touch//sql/vip" is already used in row 2'],
            id="sla-duplicate",
        ),
        pytest.param([("Stages", "B3", "1")], ['Stages!B3: order "1" is already used in row 2'], id="stage-order"),
        pytest.param(
            [("Regions", "B3", "上海")],
            ['Regions!A3: country/province "CN/上海" is already used in row 2'],
            id="region-duplicate",
        ),
    ],
)
def test_duplicate_keys(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Tiers", "C4", "1200")],
            ["Tiers!C4: min_employees 1200 is more than max_employees 999"],
            id="tier-employees",
        ),
        pytest.param(
            [("Routing", "H5", "500"), ("Routing", "I5", "100")],
            ["Routing!H5: min_employees 500 is more than max_employees 100"],
            id="routing-employees",
        ),
        pytest.param(
            [("Discounts", "B2", "2,000,000"), ("Discounts", "C2", "1,000,000")],
            ["Discounts!B2: min_amount 2,000,000 is more than max_amount 1,000,000"],
            id="amounts",
        ),
        pytest.param(
            [("Routing", "Q2", "高价值客户")],
            ["Routing!Q2: segment is for account rows; this row routes a lead"],
            id="segment-on-a-lead-row",
        ),
        pytest.param(
            [("Routing", "Q10", "VIP")],
            [
                'Routing!Q10: segment "VIP" is not a segment of the Segments tab (nor unsegmented) (segments: '
                "unsegmented, 新客户, 流失风险客户, 潜力客户, 高价值客户)"
            ],
            id="unknown-segment",
        ),
        pytest.param(
            [("Settings", "B15", "0")],
            ["Settings!B15: rfm_window_days must be 1 or more, got 0"],
            id="rfm-window-at-least-a-day",
        ),
        pytest.param(
            [("Segments", "C2", "100")],
            ["Segments!C2: min_recency_days 100 is more than max_recency_days 90"],
            id="segment-recency",
        ),
        pytest.param(
            [("Segments", "H5", "0")],
            [],
            id="segment-bounds-may-meet",
        ),
        pytest.param(
            [("Segments", "A3", "10")],
            ['Segments!A3: priority "10" is already used in row 2'],
            id="segment-priority",
        ),
        pytest.param(
            [("Segments", "E2", "-1")],
            ["Segments!E2: min_frequency must be 0 or more, got -1"],
            id="segment-negative",
        ),
        pytest.param(
            [("Segments", "I2", "ceo")],
            [
                "Segments!I2: notify must be one of sdr, ae, senior_ae, manager, director, am, cs, support, "
                'finance; got "ceo"'
            ],
            id="segment-unknown-role",
        ),
        pytest.param(
            [("Discounts", "D4", "0%")],
            [
                "Discounts!A1: 3 kind(s) of quote match no row, e.g. an amount of 0 with a discount of 0%; an amount "
                "of 500,000 with a discount of 0%; an amount of 500,001 with a discount of 0%: add a last row with "
                "empty bounds (it catches everything else)"
            ],
            id="a-quote-without-a-discount-matches-no-row",  # more than 0% is not 0%
        ),
        pytest.param(
            [("Discounts", "B2", ""), ("Discounts", "D2", "")],
            [
                "Discounts!A3: rows with a lower priority cover row 3 entirely: it can never apply",
                "Discounts!A4: rows with a lower priority cover row 4 entirely: it can never apply",
            ],
            id="a-row-that-catches-everything-hides-the-rows-below",
        ),
        pytest.param([("Discounts", "D3", "20%"), ("Discounts", "E2", "30%")], [], id="overlapping-rows-are-fine"),
        pytest.param(
            [("Discounts", "B3", "1,000,000"), ("Discounts", "D3", "5%")],
            [],
            id="different-amounts-do-not-clash",
        ),
        pytest.param(
            [("Discounts", "D3", "40%"), ("Discounts", "E3", "35%")],
            ["Discounts!D3: min_discount 40% is more than max_discount 35%"],
            id="discount-range",
        ),
        pytest.param(
            [("Calendars", "E2", "08:00")],
            ["Calendars!E2: end 08:00 must be after start 09:00"],
            id="calendar-hours",
        ),
        pytest.param(
            [("Health", "B2", "50%")],
            ["Health!B1: weights add up to 110%; they must add up to 100%"],
            id="health-weights",
        ),
        pytest.param(
            [("Settings", "B3", "90")],
            ["Settings!B3: nurture_below 90 is above sql_threshold 80"],
            id="thresholds",
        ),
        pytest.param(
            [("Calendars", "B2", "Asia/Shangai")],
            ['Calendars!B2: "Asia/Shangai" is not a time zone: use a name like Asia/Shanghai'],
            id="calendar-timezone",
        ),
        pytest.param(
            [("Settings", "B10", "Beijing")],
            ['Settings!B10: "Beijing" is not a time zone: use a name like Asia/Shanghai'],
            id="settings-timezone",
        ),
    ],
)
def test_contradictions_and_ranges(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("Routing", "L10", "web")],  # the account row (priority 200) with a channel
            ["Routing!L10: channel is a case condition; an account row cannot use it"],
            id="account-row-channel",
        ),
        pytest.param(
            [("Routing", "J10", "vip")],
            ["Routing!J10: tier is a lead condition; an account row cannot use it"],
            id="account-row-tier",
        ),
        pytest.param(
            [("Routing", "P10", "p1")],
            ["Routing!P10: case_priority is for case rows; this row routes an account"],
            id="account-row-case-priority",
        ),
        pytest.param([("Routing", "E10", "CN")], [], id="account-row-country"),
    ],
)
def test_account_rows_route_on_country_only(edits: list[tuple[str, str, str]], expected: list[str]) -> None:
    assert parse_edited(*edits) == expected
