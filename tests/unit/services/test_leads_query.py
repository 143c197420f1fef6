"""list_leads (GET /leads): recent leads newest first, filters, bounded windows and cursor paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.errors import ValidationFailed
from shared.leads.services.leads_query import decode_cursor, encode_cursor, list_leads, parse_since
from shared.leads.services.ports import LeadPosition
from shared.rules.domain.active import ActiveRules
from tests.unit.services.helpers import NOW, TickingClock, capture

SQL = {"employees": 500, "industry": "制造业", "title": "采购总监", "budget": "500,000", "province": "江苏省"}


@pytest.fixture
def leads(example_rules: ActiveRules, store: MemoryUnitOfWork) -> list[dict[str, Any]]:
    """Nine leads, one every 12 hours back from NOW: sql ones to SMB East, every third nurture."""
    made = []
    for n in range(9):
        at = NOW - timedelta(hours=12 * n)
        payload = {"email": f"p{n}@example.cn", "name": f"Person {n}", "company": f"Co {n}"}
        if n % 3:
            payload.update(SQL)
        result = capture(payload, example_rules, store, TickingClock(at - timedelta(seconds=1)))
        made.append(
            {"lead_id": result.lead.lead_id, "at": at, "grade": result.lead.grade, "owner": result.lead.owner_id}
        )
    return made


def later(hours: int = 1) -> TickingClock:
    return TickingClock(NOW + timedelta(hours=hours))


def test_newest_first_with_the_summary_people_need(store: MemoryUnitOfWork, leads: list[dict[str, Any]]) -> None:
    page = list_leads({}, store, later())
    assert [lead["lead_id"] for lead in page["leads"]] == [lead["lead_id"] for lead in leads]
    assert page["next_cursor"] is None
    first = page["leads"][0]
    assert (first["name"], first["company"], first["email"]) == ("Person 0", "Co 0", "p0@example.cn")
    assert first["captured_at"] == "2026-11-22T08:00:00.000Z" and first["rules_version"] == "v1-test"
    assert {"score", "grade", "tier", "owner_id", "team", "quality", "assigned_at", "first_touch_at"} <= set(first)
    assert "phone" not in first


def test_filters_combine(store: MemoryUnitOfWork, leads: list[dict[str, Any]]) -> None:
    nurture = list_leads({"grade": "nurture"}, store, later())["leads"]
    assert [lead["lead_id"] for lead in nurture] == [lead["lead_id"] for lead in leads if lead["grade"] == "nurture"]
    owner = next(lead["owner"] for lead in leads if lead["owner"])
    mine = list_leads({"owner_id": owner, "team": "SMB East"}, store, later())["leads"]
    assert mine and {lead["owner_id"] for lead in mine} == {owner}
    assert list_leads({"owner_id": owner, "team": "Enterprise"}, store, later())["leads"] == []


def test_since_bounds_the_window(store: MemoryUnitOfWork, leads: list[dict[str, Any]]) -> None:
    assert len(list_leads({"since": "1d"}, store, later())["leads"]) == 2  # NOW and 12 h before (-24 h is out)
    assert len(list_leads({"since": "2026-11-21T00:00:00Z"}, store, later())["leads"]) == 3
    assert len(list_leads({}, store, later(24 * 40))["leads"]) == 0  # default 30 days, 40 days later


def test_pages_follow_the_cursor_to_the_end_without_repeats(
    store: MemoryUnitOfWork, leads: list[dict[str, Any]]
) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    pages = 0
    while True:
        page = list_leads(params, store, later())
        pages += 1
        assert len(page["leads"]) <= 2
        seen += [lead["lead_id"] for lead in page["leads"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": "2", "cursor": page["next_cursor"]}
    assert seen == [lead["lead_id"] for lead in leads] and pages == 5


def test_the_cursor_keeps_the_first_pages_window(store: MemoryUnitOfWork, leads: list[dict[str, Any]]) -> None:
    first = list_leads({"since": "2d", "limit": "2"}, store, later(13))  # NOW, -12 h, -24 h are in the window
    rest = list_leads({"cursor": first["next_cursor"]}, store, later(24))  # 11 h on: the window does not slide
    assert len(rest["leads"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "٣"}, "limit"),  # an Arabic-Indic three: a digit to str.isdigit, not to us
        ({"since": "forever"}, "since"),
        ({"since": "400d"}, "since"),
        ({"since": "9999999w"}, "since"),
        ({"since": "2030-01-01T00:00:00Z"}, "since"),
        ({"grade": "hot"}, "grade"),
        ({"owner_id": ""}, "owner_id"),
        ({"team": "SMB\x00East"}, "team"),
        ({"owner": "u_wang"}, "owner"),  # a typo must not list everyone's leads
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": encode_cursor(LeadPosition("2027-01-01T00:00:00.000Z", "ld_" + "0" * 20), NOW)}, "cursor"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(store: MemoryUnitOfWork, params: dict[str, str], bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        list_leads(params, store, later())
    assert set(caught.value.fields) == {bad}


def test_cursor_round_trip_and_durations() -> None:
    position = LeadPosition("2026-11-22T08:00:00.000Z", "ld_0123456789abcdef0123")
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert decode_cursor(encode_cursor(position, since)) == (position, since)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("12h", NOW) == NOW - timedelta(hours=12)
    assert parse_since("2026-11-01", NOW) == since


def test_the_summary_is_what_the_api_description_says(store: MemoryUnitOfWork, leads: list[dict[str, Any]]) -> None:
    from functions.api.openapi import document

    schema = document()["components"]["schemas"]["LeadListItem"]
    for lead in list_leads({}, store, later())["leads"]:
        assert set(lead) == set(schema["properties"]) == set(schema["required"])
