"""Every API-key route against a key of each scope (CONTRACT §12): a key without the route's scope
gets `403 forbidden` naming the scope needed and changes nothing; a key with it gets past the door
(whatever the route then answers: 200, 400, 404 ...). The routes are read from the app, so a route
another branch adds is checked the same way, with the scope its resource gives it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from functions.api.app import app
from functions.api.openapi import document
from functions.api.routes import scope_of
from shared.kernel.domain.access import SCOPES, route_scopes
from tests.conftest import ADMIN_KEY
from tests.integration.access.conftest import call
from tests.integration.api.helpers import body

API_KEY_ROUTES = sorted(
    (method, path)
    for path, item in document()["paths"].items()
    for method, operation in ((m.upper(), o) for m, o in item.items())
    if {"apiKey"} & {name for requirement in operation.get("security", []) for name in requirement}
)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x_missing", path)


def test_every_api_key_route_is_in_the_app_and_states_its_scopes() -> None:
    assert API_KEY_ROUTES and all(method in app.routes[path] for method, path in API_KEY_ROUTES)
    for method, path in API_KEY_ROUTES:
        operation = document()["paths"][path][method.lower()]
        assert operation["security"] == [{"apiKey": list(route_scopes(method, path, scope_of(method, path)))}], (
            method,
            path,
        )
        assert (
            "forbidden"
            in operation["responses"]["403"]["content"]["application/json"]["schema"]["properties"]["error"][
                "properties"
            ]["code"]["enum"]
        )


@pytest.mark.parametrize("scope", SCOPES)
def test_a_key_of_one_scope_passes_exactly_the_routes_of_that_scope(client: Any, scope: str) -> None:
    for method, path in API_KEY_ROUTES:
        response = call(client, method, _concrete(path), f"key-only-{scope}", None if method == "GET" else {})
        needed = route_scopes(method, path, scope_of(method, path))
        if scope in needed:
            assert response.status_code not in (401, 403), (method, path, response.body)
            continue
        assert response.status_code == 403, (scope, method, path, response.body)
        error = body(response)["error"]
        assert error["code"] == "forbidden", error
        named = [s for s in needed if s != "admin"] or ["admin"]
        assert all(s in error["message"] for s in named), (needed, error["message"])


def test_the_contract_s_scopes() -> None:
    assert set(route_scopes("GET", "/leads/{lead_id}")) == {"leads", "read", "admin"}
    assert set(route_scopes("POST", "/leads/{lead_id}/disqualify")) == {"leads", "admin"}
    assert set(route_scopes("POST", "/cases/{case_id}/events")) == {"service", "admin"}
    assert set(route_scopes("POST", "/approvals/{approval_id}/decision")) == {"sales", "admin"}
    assert set(route_scopes("POST", "/invoices/{invoice_id}/status")) == {"finance", "admin"}
    assert set(route_scopes("GET", "/orders/{order_id}")) == {"finance", "read", "admin"}
    assert set(route_scopes("GET", "/accounts")) == {"finance", "read", "admin"}  # another branch's list
    assert set(route_scopes("PATCH", "/accounts/{account_id}")) == {"accounts", "admin"}
    assert set(route_scopes("GET", "/kpis")) == {"read", "admin"}
    assert set(route_scopes("GET", "/audit")) == {"admin"}
    assert set(route_scopes("POST", "/privacy/erase")) == {"privacy", "admin"}
    assert set(route_scopes("GET", "/privacy/export")) == {"privacy", "admin"}
    assert set(route_scopes("POST", "/somewhere/new")) == {"admin"}  # unknown and not a read: admin only


def test_the_finance_system_cannot_approve_a_discount(client: Any) -> None:
    """The finding: the key that writes invoice status approved a 25 % discount as the sales director."""
    quote = _pending_quote(client)
    first = quote["approval"]["steps"][0]["approval_id"]
    refused = call(
        client, "POST", f"/approvals/{first}/decision", "key-finance-system", {"decision": "approve", "by": "u_chen"}
    )
    assert refused.status_code == 403 and "sales" in body(refused)["error"]["message"]
    assert call(client, "GET", f"/quotes/{quote['quote_id']}", "key-finance-system").status_code == 403  # sales, read
    shown = body(call(client, "GET", f"/quotes/{quote['quote_id']}", ADMIN_KEY))
    assert [s["status"] for s in shown["approval"]["steps"]] == ["pending", "waiting"]
    # its own work it can do: the invoice write-back (an unknown invoice here: 404, not 403)
    assert (
        call(
            client,
            "POST",
            "/invoices/inv_x/status",
            "key-finance-system",
            {"status": "paid", "at": "2026-11-20T08:00:00Z"},
        ).status_code
        == 404
    )


def test_a_personal_key_acts_as_its_owner_only(client: Any) -> None:
    quote = _pending_quote(client)
    first, second = (s["approval_id"] for s in quote["approval"]["steps"])
    as_director = call(
        client, "POST", f"/approvals/{first}/decision", "key-liu", {"decision": "approve", "by": "u_chen"}
    )
    assert as_director.status_code == 403
    error = body(as_director)["error"]
    assert error["code"] == "forbidden" and "u_liu" in error["fields"]["by"]
    decided = call(client, "POST", f"/approvals/{first}/decision", "key-liu", {"decision": "approve"})  # by: the owner
    assert decided.status_code == 200, decided.body
    assert body(decided)["decided"]["decided_by"] == "u_liu"
    # the director's step: liu may not decide it as chen; the admin key acts for anyone
    assert (
        call(
            client, "POST", f"/approvals/{second}/decision", "key-liu", {"decision": "approve", "by": "u_chen"}
        ).status_code
        == 403
    )
    done = call(client, "POST", f"/approvals/{second}/decision", ADMIN_KEY, {"decision": "approve", "by": "u_chen"})
    assert done.status_code == 200 and body(done)["status"] == "approved"


def test_a_personal_key_records_activities_as_its_owner(client: Any) -> None:
    lead = _lead_of(client, "u_wu")
    refused = call(client, "POST", f"/leads/{lead}/activities", "key-wu", {"type": "call", "by": "u_li"})
    assert refused.status_code == 403 and set(body(refused)["error"]["fields"]) == {"by"}
    recorded = call(client, "POST", f"/leads/{lead}/activities", "key-wu", {"type": "call"})
    assert recorded.status_code == 201, recorded.body
    assert body(recorded)["by"] == "u_wu"
    shown = body(call(client, "GET", f"/leads/{lead}", ADMIN_KEY))
    assert [a["by"] for a in shown["activities"]] == ["u_wu"] and shown[
        "first_touch_at"
    ]  # the refused one stored nothing
    # an integration key (no owner) records for whoever the body names
    assert (
        call(client, "POST", f"/leads/{lead}/activities", "key-crm", {"type": "note", "by": "u_li"}).status_code == 201
    )


def test_an_opportunity_s_owner_is_the_personal_key_s_owner(client: Any) -> None:
    made = call(client, "POST", "/opportunities", "key-wang", {"name": "Mine", "account": {"company": "Own Co"}})
    assert made.status_code == 201 and body(made)["owner_id"] == "u_wang", made.body
    other = call(
        client,
        "POST",
        "/opportunities",
        "key-wang",
        {"name": "Theirs", "owner_id": "u_li", "account": {"company": "X"}},
    )
    assert other.status_code == 403 and "owner_id" in body(other)["error"]["fields"]


def test_wrong_keys_and_entries_that_are_not_keys(client: Any) -> None:
    for key in ("", "key-nope", "key-broken"):  # key-broken names a scope that does not exist: not a key
        response = client.http.get("/leads/ld_x", headers={"X-Api-Key": key} if key else {})
        assert response.status_code == 401 and body(response)["error"]["code"] == "unauthorized"
    assert call(client, "GET", "/leads/ld_x", "key-only-read").status_code == 404  # the others still work


def _pending_quote(client: Any) -> dict[str, Any]:
    made = call(
        client,
        "POST",
        "/opportunities",
        "key-crm",
        {"name": "Deal", "owner_id": "u_wang", "account": {"company": "Deal Co"}},
    )
    assert made.status_code == 201, made.body
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    quoted = call(
        client,
        "POST",
        "/quotes",
        "key-crm",
        {"opportunity_id": body(made)["opportunity_id"], "by": "u_wang", "lines": lines},
    )
    assert body(quoted)["status"] == "pending_approval", quoted.body
    return dict(body(quoted))


def _lead_of(client: Any, owner: str) -> str:
    from tests.integration.api.helpers import post_lead

    lead = {
        "email": "scoped@example.cn",
        "name": "Scoped",
        "company": "上海精密制造",
        "province": "上海",
        "industry": "制造业",
        "employees": 1500,
        "title": "采购总监",
        "phone": "13800138001",
    }
    made = post_lead(client, "website", lead)
    assert made.status_code == 201 and body(made)["owner_id"], made.body
    lead_id = str(body(made)["lead_id"])
    assert body(made)["owner_id"] == owner, made.body
    return lead_id
