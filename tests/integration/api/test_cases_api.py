"""The case routes as API Gateway calls them (chalice.test.Client over the embedded DynamoDB):
signatures, dedupe, and every error the contract names — 400, 401, 404, 409 — with nothing stored."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client

from functions.api.app import app
from shared.adapters.dynamo.models import CaseItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, signed_headers

CASE = {
    "external_id": "CC-2001",
    "subject": "打印机卡纸 Printer jam",
    "priority": "P3",
    "channel": "chat",
    "account": {"credit_code": "91350100M000100Y43"},
    "contact": {"name": "李雷", "phone": "+86 138 0013 8000"},
}
KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}


def post_case(client: Client, payload: dict[str, Any], source: str = "contact-center", **headers: str) -> Any:
    raw = json.dumps(payload).encode()
    return client.http.post(f"/webhooks/cases/{source}", headers={**signed_headers(raw), **headers}, body=raw)


def post_event(client: Client, case_id: str, payload: dict[str, Any], headers: dict[str, str] = KEY) -> Any:
    return client.http.post(f"/cases/{case_id}/events", headers=headers, body=json.dumps(payload).encode())


def test_a_case_opens_repeats_answer_200_and_events_move_it(clean_aws: Any) -> None:
    with Client(app) as client:
        created = post_case(client, CASE)
        assert created.status_code == 201, created.body
        case = body(created)
        assert case["status"] == "open" and case["team"] == "Support" and case["priority"] == "P3"
        assert case["sla"]["first_response"]["business_hours"] is True
        again = post_case(client, {**CASE, "subject": "printer jam (resent)"})  # another body, same case
        assert again.status_code == 200 and body(again)["case_id"] == case["case_id"]
        assert CaseItem.count() == 1

        owner = case["owner_id"]
        assert post_event(client, case["case_id"], {"type": "first_response", "by": owner}).status_code == 201
        resolved = post_event(client, case["case_id"], {"type": "resolved", "by": owner, "note": "replaced the roller"})
        assert resolved.status_code == 201 and body(resolved)["status"] == "resolved"
        rated = post_event(client, case["case_id"], {"type": "csat", "by": owner, "score": 5})
        assert rated.status_code == 201
        shown = client.http.get(f"/cases/{case['case_id']}", headers=KEY)
        assert shown.status_code == 200
        view = body(shown)
        assert [e["type"] for e in view["history"]] == ["first_response", "resolved", "csat"]
        assert view["first_contact_resolution"] is True and view["csat"] == 5
        assert view["account"] == CASE["account"] and view["subject"] == CASE["subject"]
        assert view["sla"]["resolution"]["state"] == "met" and view["sla"]["first_response"]["state"] == "met"


def test_signatures_and_sources(clean_aws: Any) -> None:
    raw = json.dumps(CASE).encode()
    with Client(app) as client:
        unsigned = client.http.post(
            "/webhooks/cases/contact-center", headers={"Content-Type": "application/json"}, body=raw
        )
        forged = client.http.post(
            "/webhooks/cases/contact-center", headers=signed_headers(raw, secret="not-the-secret"), body=raw
        )
        stale = client.http.post("/webhooks/cases/contact-center", headers=signed_headers(raw, at=1_000_000), body=raw)
        public = post_case(client, CASE, source="website")  # a public (browser) source cannot open cases
        unknown = post_case(client, CASE, source="nowhere")
        assert [r.status_code for r in (unsigned, forged, stale, public)] == [401, 401, 401, 401]
        assert unknown.status_code == 404 and body(unknown)["error"]["code"] == "unknown_source"
    assert CaseItem.count() == 0


def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(clean_aws: Any) -> None:
    with Client(app) as client:
        future = post_case(client, {**CASE, "opened_at": "2999-01-01T00:00:00Z"})
        assert future.status_code == 400
        assert set(body(future)["error"]["fields"]) == {"opened_at"}
        many = post_case(client, {"priority": "P9", "account": {}})
        assert body(many)["error"]["code"] == "validation_failed"
        assert set(body(many)["error"]["fields"]) == {"external_id", "priority", "account"}
        not_json = client.http.post("/webhooks/cases/contact-center", headers=signed_headers(b"[1]"), body=b"[1]")
        assert not_json.status_code == 400
    assert CaseItem.count() == 0


def test_event_errors_401_404_409_400(clean_aws: Any) -> None:
    with Client(app) as client:
        case = body(post_case(client, CASE))
        case_id, owner = case["case_id"], case["owner_id"]
        no_key = post_event(client, case_id, {"type": "note", "by": owner}, {"Content-Type": "application/json"})
        assert no_key.status_code == 401
        assert client.http.get(f"/cases/{case_id}").status_code == 401
        missing = post_event(client, "cs_00000000000000000000", {"type": "note", "by": owner})
        assert missing.status_code == 404 and body(missing)["error"]["code"] == "case_not_found"
        unknown = client.http.get("/cases/cs_00000000000000000000", headers=KEY)
        assert unknown.status_code == 404 and body(unknown)["error"]["code"] == "case_not_found"
        nonsense = post_event(client, case_id, {"type": "customer_replied", "by": owner})
        assert nonsense.status_code == 409 and body(nonsense)["error"]["code"] == "invalid_transition"
        assert "customer_replied" in body(nonsense)["error"]["message"] and "open" in body(nonsense)["error"]["message"]
        stranger = post_event(client, case_id, {"type": "note", "by": "u_stranger", "at": "soon"})
        assert stranger.status_code == 400 and set(body(stranger)["error"]["fields"]) == {"by", "at"}
        assert body(client.http.get(f"/cases/{case_id}", headers=KEY))["history"] == []
