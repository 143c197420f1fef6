"""GET /cases, /opportunities, /quotes, /contracts, /orders, /accounts (CONTRACT §11) over the
embedded DynamoDB: newest first through each table's by_recency index (never a Scan), every
filter, pages by cursor, the last page without one, unknown parameters named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client
from pynamodb.connection.base import Connection

from functions.api.app import app
from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract
from shared.fulfilment.domain.orders import Order
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Save
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.quotes import Quote
from shared.service_desk.domain.cases import Case
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body

KEY = {"X-Api-Key": ADMIN_KEY}
NOW = datetime.now(UTC).replace(microsecond=0)


def ago(hours: float) -> str:
    return iso(NOW - timedelta(hours=hours))


def hexid(prefix: str, n: int) -> str:
    return f"{prefix}_{n:020x}"


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def store(clean_aws: Any) -> Any:
    def save(*aggregates: Any) -> None:
        clean_aws.uow.commit(Change(saves=[Save(a, None) for a in aggregates]))

    return save


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """Every Query (table, index) the API makes through the low-level client; a Scan fails."""
    seen: list[tuple[str, str | None]] = []
    from botocore.client import BaseClient

    call = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "Query":
            seen.append((params["TableName"], params.get("IndexName")))
        if operation in ("BatchGetItem", "GetItem"):  # a page is the index alone
            seen.append((operation, None))
        if operation == "Scan":
            raise AssertionError("a list scanned a table")
        return call(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    monkeypatch.setattr(Connection, "scan", lambda *a, **k: (_ for _ in ()).throw(AssertionError("scan")))
    return seen


def get(client: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return client.http.get(path, headers=KEY if headers is None else headers)


def ids(client: Any, path: str, key: str) -> list[str]:
    answer = get(client, path)
    assert answer.status_code == 200, answer.body
    page = body(answer)
    assert page["next_cursor"] is None, "one page expected"
    return [item[key] for item in page[next(k for k in page if k != "next_cursor")]]


# ------------------------------------------------------------------ builders


def case(n: int, hours: float, **kw: Any) -> Case:
    made = Case(case_id=hexid("cs", n), source="cc", external_id=str(n), opened_at=ago(hours), priority="P3")
    for name, value in kw.items():
        setattr(made, name, value)
    return made


def resolved(made: Case) -> Case:
    made.record({"type": "first_response", "at": made.opened_at, "by": "u-1"})
    made.record({"type": "resolved", "at": made.opened_at, "by": "u-1"})
    return made


def opportunity(n: int, hours: float, **kw: Any) -> Opportunity:
    fields: dict[str, Any] = {"owner_id": "u-1", "stage": "qualify", **kw}
    return Opportunity(opportunity_id=hexid("op", n), name=f"Deal {n}", created_at=ago(hours), **fields)


def quote(n: int, hours: float, approver: str | None = None, **kw: Any) -> Quote:
    steps = (
        [{"approval_id": f"ap_{n:020x}_1", "step": 1, "approver_id": approver, "status": "pending"}] if approver else []
    )
    return Quote(
        quote_id=hexid("qt", n),
        opportunity_id=kw.pop("opportunity_id", hexid("op", 1)),
        owner_id="u-1",
        created_by="u-1",
        currency="CNY",
        lines=[],
        list_total="100.00",
        amount="90.00",
        discount="0.1",
        steps=steps,
        created_at=ago(hours),
        **kw,
    )


def contract(n: int, hours: float, end: str, **kw: Any) -> Contract:
    return Contract(
        contract_id=hexid("ct", n),
        source="docusign",
        envelope_id=str(n),
        quote_id=hexid("qt", n),
        opportunity_id=None,
        account_id=kw.pop("account_id", hexid("ac", 1)),
        order_id=hexid("or", n),
        owner_id="u-1",
        signed_at=ago(hours),
        start_date="2026-01-01",
        end_date=end,
        amount="100.00",
        currency="CNY",
        **kw,
    )


def order(n: int, hours: float, account: int = 1, shipped: bool = False) -> Order:
    made = Order(
        order_id=hexid("or", n),
        contract_id=hexid("ct", n),
        quote_id=None,
        opportunity_id=None,
        account_id=hexid("ac", account),
        account={"name": f"Buyer {account}"},
        lines=[{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1.00", "amount": "1.00"}],
        amount="1.00",
        currency="CNY",
        invoice_on="order_signed",
        created_at=ago(hours),
    )
    if shipped:
        made.shipments = {"sh1": {"shipment_id": "sh1", "status": "shipped", "lines": {"A": 1}, "first_at": ago(hours)}}
    return made


def account(n: int, hours: float, manager: str | None = None, score: int | None = None) -> Account:
    health = (
        {"score": score, "below": ["score"] if score is not None and score < 60 else []} if score is not None else {}
    )
    return Account(
        account_id=hexid("ac", n),
        company=f"Company {n}",
        account_manager_id=manager,
        health=health,
        created_at=ago(hours),
    )


# ------------------------------------------------------------------ cases


def test_cases_newest_first_through_the_index_and_each_filter(client, store, reads) -> None:
    store(
        case(1, 1, priority="P1", owner_id="u-a", team="support", account_id=hexid("ac", 1)),
        case(2, 5, priority="P2", owner_id="u-b", team="vip", account_id=hexid("ac", 2)),
        resolved(case(3, 3, priority="P1", owner_id="u-a", team="support")),
        case(4, 30, priority="P3", owner_id="u-b", team="support", account_id=hexid("ac", 1)),
    )
    waiting = case(5, 2, owner_id="u-c", team="support")
    waiting.record({"type": "first_response", "at": waiting.opened_at, "by": "u-c"})
    waiting.record({"type": "waiting_on_customer", "at": waiting.opened_at, "by": "u-c"})
    store(waiting)
    c = [hexid("cs", n) for n in range(6)]
    assert ids(client, "/cases", "case_id") == [c[1], c[5], c[3], c[2], c[4]]
    # the index alone: no whole case is read for a page
    assert {t for t, _ in reads} == {"closeloop-dev-cases"} and {i for _, i in reads} == {"by_recency"}
    assert ids(client, "/cases?status=open", "case_id") == [c[1], c[2], c[4]]
    assert ids(client, "/cases?status=waiting", "case_id") == [c[5]]
    assert ids(client, "/cases?status=resolved", "case_id") == [c[3]]
    assert ids(client, "/cases?priority=P1", "case_id") == [c[1], c[3]]
    assert ids(client, "/cases?owner_id=u-b", "case_id") == [c[2], c[4]]
    assert ids(client, "/cases?team=support", "case_id") == [c[1], c[5], c[3], c[4]]
    assert ids(client, f"/cases?account_id={hexid('ac', 1)}", "case_id") == [c[1], c[4]]
    assert ids(client, "/cases?since=12h", "case_id") == [c[1], c[5], c[3], c[2]]
    assert ids(client, f"/cases?since={ago(2.5)}&team=support&status=open", "case_id") == [c[1]]
    summary = body(get(client, "/cases?limit=1"))["cases"][0]
    assert summary == {
        "case_id": c[1],
        "opened_at": ago(1),
        "priority": "P1",
        "status": "open",
        "title": None,
        "account_id": hexid("ac", 1),
        "owner_id": "u-a",
        "team": "support",
        "queue": None,
    }


def test_a_case_that_changes_moves_between_filtered_lists(client, store, clean_aws) -> None:
    store(case(1, 1))
    assert ids(client, "/cases?status=open", "case_id") == [hexid("cs", 1)]
    stored = clean_aws.uow.cases.get(hexid("cs", 1))
    version = stored.version
    resolved(stored)
    clean_aws.uow.commit(Change(saves=[Save(stored, version)]))
    assert ids(client, "/cases?status=open", "case_id") == []
    assert ids(client, "/cases?status=resolved", "case_id") == [hexid("cs", 1)]


def test_an_entry_stored_before_rows_were_is_read_whole_and_still_filtered(client, store, clean_aws) -> None:
    """Items written before the index carried the page row (list_fields without ``_row``), or with a
    row of an older shape (another ``_row_version``), list as before: read whole, their filtered
    values checked as read now."""
    store(case(1, 1, title="older"), case(2, 2, title="oldest"), case(3, 0.5, title="new"))
    stored = clean_aws.uow.cases.get(hexid("cs", 2))
    resolved(stored)
    clean_aws.uow.commit(Change(saves=[Save(stored, stored.version)]))
    table = Connection(region="us-east-1").client
    table.update_item(  # case 1: no row at all
        TableName="closeloop-dev-cases",
        Key={"case_id": {"S": hexid("cs", 1)}},
        UpdateExpression="REMOVE list_fields.#row",
        ExpressionAttributeNames={"#row": "_row"},
    )
    table.update_item(  # case 2: a row of an older shape, and a stale status in the index
        TableName="closeloop-dev-cases",
        Key={"case_id": {"S": hexid("cs", 2)}},
        UpdateExpression="SET list_fields.#row = :old, list_fields.#version = :v0, list_fields.#status = :open",
        ExpressionAttributeNames={"#row": "_row", "#version": "_row_version", "#status": "status"},
        ExpressionAttributeValues={":old": {"S": '{"case_id": "x"}'}, ":v0": {"S": "0"}, ":open": {"S": "open"}},
    )
    page = body(get(client, "/cases"))["cases"]
    assert [(c["case_id"], c["title"], c["status"]) for c in page] == [
        (hexid("cs", 3), "new", "open"),
        (hexid("cs", 1), "older", "open"),
        (hexid("cs", 2), "oldest", "resolved"),
    ]
    assert ids(client, "/cases?status=open", "case_id") == [hexid("cs", 3), hexid("cs", 1)]


def test_pages_follow_the_cursor_to_the_end_and_the_last_page_has_none(client, store) -> None:
    store(*(case(n, n) for n in range(1, 12)))
    seen: list[str] = []
    path = "/cases?limit=4"
    pages = 0
    while True:
        page = body(get(client, path))
        pages += 1
        seen.extend(item["case_id"] for item in page["cases"])
        assert page["cases"], "never a cursor to an empty page"
        if page["next_cursor"] is None:
            break
        path = f"/cases?limit=4&cursor={page['next_cursor']}"
    assert seen == [hexid("cs", n) for n in range(1, 12)] and pages == 3
    # exactly a page's worth: no cursor
    assert body(get(client, "/cases?limit=11"))["next_cursor"] is None
    # the cursor keeps the filters' window
    first = body(get(client, "/cases?limit=2&since=330m"))
    rest = body(get(client, f"/cases?limit=2&cursor={first['next_cursor']}"))
    last = body(get(client, f"/cases?limit=2&cursor={rest['next_cursor']}"))
    listed = [i["case_id"] for i in first["cases"] + rest["cases"] + last["cases"]]
    assert listed == [hexid("cs", n) for n in range(1, 6)] and last["next_cursor"] is None


def test_bad_parameters_are_named(client) -> None:
    answer = get(client, "/cases?owner=u-1&status=closed&priority=P9&limit=0&cursor=zzz")
    assert answer.status_code == 400
    fields = body(answer)["error"]["fields"]
    assert set(fields) == {"owner", "status", "priority", "limit", "cursor"}
    assert set(body(get(client, "/cases?since=soon"))["error"]["fields"]) == {"since"}
    assert set(body(get(client, "/cases?since=2d&limit=201"))["error"]["fields"]) == {"limit"}
    assert "unknown parameter" in fields["owner"] and "open, waiting, resolved" in fields["status"]
    assert get(client, "/cases", headers={}).status_code == 401
    assert set(body(get(client, "/accounts?since=1d"))["error"]["fields"]) == {"since"}
    assert set(body(get(client, "/contracts?ending_before=soon"))["error"]["fields"]) == {"ending_before"}
    assert set(body(get(client, "/accounts?below_health=yes"))["error"]["fields"]) == {"below_health"}


def test_a_cursor_from_another_list_is_refused(client, store) -> None:
    store(case(1, 1), case(2, 2), opportunity(1, 1), opportunity(2, 2))
    cursor = body(get(client, "/cases?limit=1"))["next_cursor"]
    answer = get(client, f"/opportunities?cursor={cursor}")
    assert answer.status_code == 400 and set(body(answer)["error"]["fields"]) == {"cursor"}


# ------------------------------------------------------------------ the other aggregates


def test_opportunities_and_their_filters(client, store) -> None:
    store(
        opportunity(1, 1, owner_id="u-a"),
        opportunity(2, 2, stage="negotiate", account_id=hexid("ac", 7)),
        opportunity(3, 3, status="won", stage="won"),
        opportunity(4, 50, status="lost"),
    )
    o = [hexid("op", n) for n in range(5)]
    assert ids(client, "/opportunities", "opportunity_id") == o[1:]
    assert ids(client, "/opportunities?status=open", "opportunity_id") == [o[1], o[2]]
    assert ids(client, "/opportunities?status=lost", "opportunity_id") == [o[4]]
    assert ids(client, "/opportunities?stage=negotiate", "opportunity_id") == [o[2]]
    assert ids(client, "/opportunities?owner_id=u-a", "opportunity_id") == [o[1]]
    assert ids(client, f"/opportunities?account_id={hexid('ac', 7)}", "opportunity_id") == [o[2]]
    assert ids(client, "/opportunities?since=1d", "opportunity_id") == o[1:4]


def test_quotes_and_their_filters(client, store) -> None:
    store(
        quote(1, 1, approver="u-boss"),
        quote(2, 2, approver="u-vp"),
        quote(3, 3, status="approved", opportunity_id=hexid("op", 9)),
        quote(4, 40, approver="u-boss", status="superseded"),
    )
    q = [hexid("qt", n) for n in range(5)]
    assert ids(client, "/quotes", "quote_id") == q[1:]
    assert ids(client, "/quotes?approver_id=u-boss", "quote_id") == [q[1]]  # a superseded quote waits on nobody
    assert ids(client, "/quotes?status=pending_approval", "quote_id") == [q[1], q[2]]
    assert ids(client, f"/quotes?opportunity_id={hexid('op', 9)}", "quote_id") == [q[3]]
    assert ids(client, "/quotes?since=1d&status=superseded", "quote_id") == []


def test_contracts_and_their_filters(client, store) -> None:
    store(
        contract(1, 1, "2027-06-30"),
        contract(2, 2, "2027-01-31", account_id=hexid("ac", 2)),
        contract(3, 3, "2026-12-31", status="cancelled"),
    )
    k = [hexid("ct", n) for n in range(4)]
    assert ids(client, "/contracts", "contract_id") == k[1:]
    assert ids(client, f"/contracts?account_id={hexid('ac', 2)}", "contract_id") == [k[2]]
    assert ids(client, "/contracts?status=active", "contract_id") == [k[1], k[2]]
    assert ids(client, "/contracts?ending_before=2027-01-31", "contract_id") == [k[3]]
    assert ids(client, "/contracts?ending_before=2027-02-01&status=active", "contract_id") == [k[2]]


def test_orders_and_their_filters(client, store) -> None:
    store(order(1, 1), order(2, 2, account=2, shipped=True), order(3, 100))
    r = [hexid("or", n) for n in range(4)]
    assert ids(client, "/orders", "order_id") == r[1:]
    assert ids(client, f"/orders?account_id={hexid('ac', 2)}", "order_id") == [r[2]]
    assert ids(client, "/orders?status=shipping", "order_id") == [r[2]]
    assert ids(client, "/orders?status=open&since=2d", "order_id") == [r[1]]


def test_accounts_and_their_filters(client, store) -> None:
    store(account(1, 1, manager="u-am", score=40), account(2, 2, manager="u-am", score=80), account(3, 3))
    a = [hexid("ac", n) for n in range(4)]
    assert ids(client, "/accounts", "account_id") == a[1:]
    assert ids(client, "/accounts?owner_id=u-am", "account_id") == [a[1], a[2]]
    assert ids(client, "/accounts?below_health=true", "account_id") == [a[1]]
    assert ids(client, "/accounts?below_health=false", "account_id") == [a[2], a[3]]
    summary = body(get(client, "/accounts?below_health=true"))["accounts"][0]
    assert summary["health_score"] == 40 and summary["below_health"] is True and summary["company"] == "Company 1"


def invoice(n: int, hours: float, status: str) -> dict[str, Any]:
    return {
        "invoice_id": f"inv_{n:020x}",
        "status": status,
        "amount": "1.00",
        "currency": "CNY",
        "created_at": ago(hours),
        "lines": [],
        "history": [],
    }


def test_invoices_are_listed_from_their_orders_copies_and_follow_them(client, store, clean_aws) -> None:
    first, second = order(1, 10), order(2, 20, account=2)
    first.invoices = [invoice(1, 1, "new"), invoice(2, 3, "blocked")]
    second.invoices = [invoice(3, 2, "paid")]
    store(first, second)
    i = [f"inv_{n:020x}" for n in range(4)]
    assert ids(client, "/invoices", "invoice_id") == [i[1], i[3], i[2]]
    assert ids(client, "/invoices?status=requested", "invoice_id") == [i[1]]  # made and being requested
    assert ids(client, "/invoices?status=blocked", "invoice_id") == [i[2]]
    assert ids(client, f"/invoices?account_id={hexid('ac', 2)}", "invoice_id") == [i[3]]
    assert ids(client, "/invoices?since=150m", "invoice_id") == [i[1], i[3]]
    stored = clean_aws.uow.orders.get(first.order_id)
    version = stored.version
    stored.invoices[1]["status"] = "requested"
    clean_aws.uow.commit(Change(saves=[Save(stored, version)]))
    assert ids(client, "/invoices?status=blocked", "invoice_id") == []
    assert ids(client, "/invoices?status=requested", "invoice_id") == [i[1], i[2]]


@pytest.mark.parametrize("limit", [1, 3, 7, 40])
def test_the_shards_merge_newest_first_at_any_page_size(client, store, limit: int) -> None:
    """Forty cases in four index shards, many opened in the same second: every page size walks
    them all once, newest first (ties by id), filtered or not; the last page has no cursor."""
    made = [case(n, (n * 7) % 13 / 60, priority=("P1", "P2")[n % 3 == 0]) for n in range(1, 41)]
    store(*made)
    for query, wanted in (("", made), ("&priority=P2", [c for c in made if c.priority == "P2"])):
        expected = [c.case_id for c in sorted(wanted, key=lambda c: (c.opened_at, c.case_id), reverse=True)]
        seen: list[str] = []
        page = body(get(client, f"/cases?limit={limit}{query}"))
        while True:
            seen.extend(item["case_id"] for item in page["cases"])
            if page["next_cursor"] is None:
                break
            page = body(get(client, f"/cases?limit={limit}{query}&cursor={page['next_cursor']}"))
            assert page["cases"]
        assert seen == expected
