"""The sales routes as API Gateway calls them (chalice.test.Client over the embedded DynamoDB):
a lead converted, stages moved and refused, a quote approved step by step — and every 4xx in the
contract's shape, with nothing stored on a refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem, LeadItem, OpportunityItem, QuoteItem, TimerItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, post_lead
from tests.unit.services.helpers import SQL_LEAD

KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}


def post(client: Client, path: str, payload: Any, headers: dict[str, str] = KEY) -> Any:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.http.post(path, headers=headers, body=raw)


def snapshot() -> tuple[int, ...]:
    return tuple(model.count() for model in (OpportunityItem, QuoteItem, EventItem, TimerItem, LeadItem))


def assert_error(response: Any, status: int, code: str, fields: set[str] | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert error["code"] == code and error["message"]
    if fields is not None:
        assert set(error.get("fields", {})) == fields
    return dict(error)


def test_lead_to_approved_quote(clean_aws: Any) -> None:
    with Client(app) as client:
        lead = body(post_lead(client, "website", SQL_LEAD))
        opened = post(
            client, "/opportunities", {"lead_id": lead["lead_id"], "name": "Acme IoT", "owner_id": lead["owner_id"]}
        )
        assert opened.status_code == 201, opened.body
        opportunity_id = body(opened)["opportunity_id"]
        shown_lead = body(client.http.get(f"/leads/{lead['lead_id']}", headers=KEY))
        assert shown_lead["status"] == "converted" and shown_lead["opportunity_id"] == opportunity_id

        refused = post(client, f"/opportunities/{opportunity_id}/stage", {"stage": "discovery", "by": "u_wang"})
        error = assert_error(refused, 409, "stage_gate_failed", {"decision_maker", "activity:call"})
        assert error["fields"]["decision_maker"].startswith("qualification:")
        call = post(client, f"/opportunities/{opportunity_id}/activities", {"type": "call", "by": "u_wang"})
        assert call.status_code == 201 and body(call)["opportunity_id"] == opportunity_id
        moved = post(
            client,
            f"/opportunities/{opportunity_id}/stage",
            {"stage": "discovery", "by": "u_wang", "fields": {"decision_maker": "王总"}},
        )
        assert moved.status_code == 200 and body(moved)["stage"] == "discovery"

        lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
        quoted = post(client, "/quotes", {"opportunity_id": opportunity_id, "by": "u_wang", "lines": lines})
        assert quoted.status_code == 201, quoted.body
        quote = body(quoted)
        assert (quote["status"], quote["amount"], quote["discount"]) == ("pending_approval", "720000.00", "0.25")
        first, second = (s["approval_id"] for s in quote["approval"]["steps"])
        assert_error(
            post(client, f"/approvals/{second}/decision", {"decision": "approve", "by": "u_chen"}), 409, "not_your_turn"
        )
        assert_error(
            post(client, f"/approvals/{first}/decision", {"decision": "approve", "by": "u_li"}),
            403,
            "not_approver",
            {"by"},
        )
        assert post(client, f"/approvals/{first}/decision", {"decision": "approve", "by": "u_liu"}).status_code == 200
        assert_error(
            post(client, f"/approvals/{first}/decision", {"decision": "approve", "by": "u_liu"}), 409, "already_decided"
        )
        done = post(client, f"/approvals/{second}/decision", {"decision": "approve", "by": "u_chen"})
        assert done.status_code == 200 and body(done)["status"] == "approved"
        assert body(done)["decided"]["decided_by"] == "u_chen"

        view = body(client.http.get(f"/opportunities/{opportunity_id}", headers=KEY))
        assert [h["stage"] for h in view["stage_history"]] == ["qualification", "discovery"]
        assert view["quotes"][0]["status"] == "approved" and view["contract"] is None
        shown = body(client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY))
        assert [h["what"] for h in shown["history"]] == ["created", "requested", "decided", "requested", "decided"]


@pytest.mark.parametrize(
    ("path", "payload", "status", "code", "fields"),
    [
        ("/opportunities", {"name": "", "owner_id": "u_x"}, 400, "validation_failed", {"name", "owner_id", "account"}),
        (
            "/opportunities",
            {"lead_id": "ld_00000000000000000000", "name": "n", "owner_id": "u_wang"},
            404,
            "lead_not_found",
            None,
        ),
        ("/opportunities", b"not json", 400, "bad_request", None),
        (
            "/opportunities/op_00000000000000000000/stage",
            {"stage": "won", "by": "u_wang"},
            404,
            "opportunity_not_found",
            None,
        ),
        (
            "/opportunities/OPP/stage",
            {"stage": "nowhere", "by": "u_wang", "at": "soon"},
            400,
            "validation_failed",
            {"stage", "at"},
        ),
        (
            "/opportunities/op_00000000000000000000/activities",
            {"type": "call", "by": "u_wang"},
            404,
            "opportunity_not_found",
            None,
        ),
        (
            "/quotes",
            {
                "opportunity_id": "op_00000000000000000000",
                "by": "u_wang",
                "lines": [{"sku": "IOT-PLAT-STD", "quantity": 1}],
            },
            404,
            "opportunity_not_found",
            None,
        ),
        (
            "/quotes",
            {"opportunity_id": "op_x", "by": "u_wang", "lines": [{"sku": "X", "quantity": 1}]},
            400,
            "validation_failed",
            {"lines[0].sku"},
        ),
        (
            "/quotes",
            {
                "opportunity_id": "op_x",
                "by": "u_wang",
                "lines": [{"sku": "IOT-EDGE-GW", "quantity": 1, "discount": "21%"}],
            },
            400,
            "discount_over_cap",
            {"lines[0].discount"},
        ),
        ("/approvals/ap_nope/decision", {"decision": "approve", "by": "u_liu"}, 404, "approval_not_found", None),
        (
            "/approvals/ap_00000000000000000000_1/decision",
            {"decision": "maybe", "by": "u_liu"},
            400,
            "validation_failed",
            {"decision"},
        ),
    ],
)
def test_refusals_answer_in_the_contracts_shape_and_store_nothing(
    clean_aws: Any, path: str, payload: Any, status: int, code: str, fields: set[str] | None
) -> None:
    with Client(app) as client:
        before = snapshot()
        assert_error(post(client, path, payload), status, code, fields)
        assert snapshot() == before


def test_a_refused_stage_move_keeps_nothing_it_carried(clean_aws: Any) -> None:
    with Client(app) as client:
        opened = post(client, "/opportunities", {"name": "n", "owner_id": "u_wang", "account": {"company": "Acme"}})
        opportunity_id = body(opened)["opportunity_id"]
        before = (snapshot(), OpportunityItem.get(opportunity_id).doc)
        move = {"stage": "won", "by": "u_wang", "fields": {"budget": 100}}
        assert_error(post(client, f"/opportunities/{opportunity_id}/stage", move), 409, "stage_gate_failed")
        assert (snapshot(), OpportunityItem.get(opportunity_id).doc) == before
        lost = post(client, f"/opportunities/{opportunity_id}/stage", {"stage": "lost", "by": "u_wang"})
        assert_error(lost, 400, "validation_failed", {"reason"})


def test_sales_routes_need_the_api_key(clean_aws: Any) -> None:
    with Client(app) as client:
        for path in ("/opportunities", "/quotes", "/approvals/ap_00000000000000000000_1/decision"):
            assert_error(post(client, path, {}, {"Content-Type": "application/json"}), 401, "unauthorized")
        for path in ("/opportunities/op_00000000000000000000", "/quotes/qt_00000000000000000000"):
            assert_error(client.http.get(path), 401, "unauthorized")
