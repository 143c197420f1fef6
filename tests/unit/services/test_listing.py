"""The generic list machinery (CONTRACT §11): parameters, limit, cursor and paging, over the
in-memory store (its order and filters are the DynamoDB lists')."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.adapters.memory import MemoryUnitOfWork
from shared.composition.messages.lists import SUMMARIES
from shared.composition.services.list_specs import ACCOUNTS, CASES, LISTINGS
from shared.customers.domain.accounts import Account
from shared.kernel.domain.errors import ValidationFailed
from shared.kernel.domain.events import iso
from shared.kernel.services.listing import ListPosition, decode_cursor, encode_cursor, list_page, parse_query
from shared.kernel.services.ports import Change, Save
from shared.service_desk.domain.cases import Case

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def case(n: int, minutes: int, priority: str = "P3") -> Case:
    opened = iso(NOW - timedelta(minutes=minutes))
    return Case(case_id=f"cs_{n:020x}", source="cc", external_id=str(n), opened_at=opened, priority=priority)


def walk(uow: MemoryUnitOfWork, query: dict[str, str]) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    params = dict(query)
    while True:
        page = list_page(CASES, params, uow, clock)
        pages += 1
        assert page["cases"] or pages == 1, "a cursor never leads to an empty page"
        seen.extend(c["case_id"] for c in page["cases"])
        if page["next_cursor"] is None:
            return seen, pages
        params = {**query, "cursor": page["next_cursor"]}


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=25),  # many share a time
    limit=st.integers(min_value=1, max_value=8),
    p1_every=st.integers(min_value=1, max_value=4),
)
def test_pages_list_every_match_once_newest_first_and_end_without_a_cursor(minutes, limit, p1_every) -> None:
    uow = MemoryUnitOfWork()
    cases = [case(n, m, "P1" if n % p1_every == 0 else "P2") for n, m in enumerate(minutes)]
    if cases:
        uow.commit(Change(saves=[Save(c, None) for c in cases]))
    wanted = [c for c in cases if c.priority == "P1"]
    expected = [c.case_id for c in sorted(wanted, key=lambda c: (c.opened_at, c.case_id), reverse=True)]
    seen, pages = walk(uow, {"limit": str(limit), "priority": "P1"})
    assert seen == expected
    assert pages == max(1, -(-len(expected) // limit))  # a full last page is the last: no empty one after it


def test_the_cursor_keeps_the_first_pages_window() -> None:
    uow = MemoryUnitOfWork()
    uow.commit(Change(saves=[Save(case(n, n * 60), None) for n in range(1, 6)]))
    first = list_page(CASES, {"since": "190m", "limit": "2"}, uow, clock)
    rest = list_page(CASES, {"cursor": first["next_cursor"], "limit": "2"}, uow, clock)
    assert [c["case_id"] for c in first["cases"] + rest["cases"]] == [f"cs_{n:020x}" for n in (1, 2, 3)]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "٣"}, "limit"),  # a digit, but not ASCII
        ({"since": "tomorrow"}, "since"),
        ({"since": iso(NOW + timedelta(hours=1))}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": encode_cursor(ListPosition("2026-12-07T10:00:00Z#ac_00000000000000000001"), None)}, "cursor"),
        ({"owner_id": ""}, "owner_id"),
        ({"owner_id": "x" * 201}, "owner_id"),
        ({"priority": "urgent"}, "priority"),
        ({"Status": "open"}, "Status"),  # names are exact
    ],
)
def test_a_bad_parameter_is_named(params: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(CASES, params, NOW)
    assert set(caught.value.fields) == {field}


def test_accounts_take_no_since() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(ACCOUNTS, {"since": "1d"}, NOW)
    assert "unknown parameter" in caught.value.fields["since"]


@given(at=st.datetimes(timezones=st.just(UTC)), n=st.integers(min_value=0, max_value=2**64), since=st.booleans())
def test_a_cursor_reads_back_as_given(at: datetime, n: int, since: bool) -> None:
    position = ListPosition(f"{iso(at)}#cs_{n % 16**20:020x}")
    window = iso(NOW) if since else None
    assert decode_cursor(encode_cursor(position, window), CASES) == (position, window)


def test_each_list_shows_what_its_openapi_summary_describes() -> None:
    """Build one of each kind, list it, and compare the summary's keys with the description's."""
    from tests.integration.api.test_lists_api import contract, opportunity, order, quote

    uow = MemoryUnitOfWork()
    made: list[Any] = [
        case(1, 1),
        opportunity(1, 1),
        quote(1, 1, approver="u-1"),
        contract(1, 1, "2027-01-01"),
        order(1, 1),
        Account(account_id=f"ac_{1:020x}", company="X", created_at=iso(NOW)),
    ]
    made[4].invoices = [
        {"invoice_id": f"inv_{1:020x}", "status": "new", "amount": "1.00", "currency": "CNY", "created_at": iso(NOW)}
    ]
    uow.commit(Change(saves=[Save(a, None) for a in made]))
    assert set(LISTINGS) == set(SUMMARIES)
    for plural, listing in LISTINGS.items():
        [summary] = list_page(listing, {}, uow, clock)[plural]
        assert set(summary) == set(SUMMARIES[plural].model_fields), plural
        assert set(listing.columns) <= set(summary), plural


def test_the_case_priorities_a_list_takes_are_the_ones_a_case_has() -> None:
    from shared.composition.services import list_specs
    from shared.service_desk.domain.case_intake import PRIORITIES

    assert list_specs.PRIORITIES == PRIORITIES


# the source of each listing's summary when its row_version was last set: a changed summary must
# bump row_version (index rows stored with the old shape are then read whole), then update this
ROW_SHAPES = {
    "cases": (1, "3216a5818ef9"),
    "opportunities": (1, "919e629b13ac"),
    "quotes": (1, "15593d8fe119"),
    "contracts": (1, "efd58912822c"),
    "orders": (1, "b6f2dbca4438"),
    "invoices": (1, "e5d9c7f54256"),
    "accounts": (1, "706f8008a9a6"),
}


def test_a_changed_summary_bumps_its_row_version() -> None:
    import hashlib
    import inspect

    from shared.composition.services.list_specs import LISTINGS

    shapes = {
        plural: (listing.row_version, hashlib.sha256(inspect.getsource(listing.summary).encode()).hexdigest()[:12])
        for plural, listing in LISTINGS.items()
    }
    assert shapes == ROW_SHAPES, "a list summary changed: bump its Listing.row_version, then update ROW_SHAPES"
