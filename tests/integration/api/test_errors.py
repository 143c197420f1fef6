"""Every error of CONTRACT §2, produced through the API and checked: status and body."""

from __future__ import annotations

import json
import time

import pytest
from chalice.test import Client

from functions.api.app import app
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, get_lead, post_lead, signed_headers

GOOD = {
    "email": "wang.fang@example.cn",
    "name": "王芳",
    "company": "杭州智造",
    "province": "浙江",
    "industry": "制造业",
    "employees": 300,
    "title": "经理",
}


@pytest.fixture
def client(clean_aws):
    with Client(app) as c:
        yield c


def lead_count(container) -> int:
    from shared.adapters.dynamo.models import LeadItem

    return sum(1 for _ in LeadItem.scan())


def error_of(response) -> dict:
    payload = body(response)
    assert set(payload) == {"error"}, payload
    assert payload["error"]["message"], payload
    return payload["error"]


def test_unknown_source_is_404(client):
    response = post_lead(client, "nope", GOOD)
    assert response.status_code == 404 and error_of(response)["code"] == "unknown_source"


def test_inactive_source_is_403(client):
    response = post_lead(client, "legacy-form", GOOD)
    assert response.status_code == 403 and error_of(response)["code"] == "source_inactive"


def test_every_bad_field_is_named_at_once(client, clean_aws):
    bad = {
        "email": "not-an-email",
        "phone": "12",
        "employees": "many",
        "budget": "-5",
        "consent": "maybe",
        "credit_code": "123",
        "country": "Atlantis",
        "message": "x" * 2001,
    }
    response = post_lead(client, "website", bad)
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "validation_failed"
    assert set(error["fields"]) == {
        "email",
        "phone",
        "employees",
        "budget",
        "consent",
        "credit_code",
        "country",
        "message",
    }
    assert lead_count(clean_aws) == 0


def test_email_or_phone_is_required(client):
    response = post_lead(client, "website", {"name": "无名"})
    assert response.status_code == 400 and "email" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "bad_request"),
        (b"[1, 2]", "application/json", 400, "bad_request"),
        (b"\xff\xfe", "application/json", 400, "bad_request"),
        (b"<lead/>", "application/xml", 415, "unsupported_media_type"),
        (b"{}" + b" " * (64 * 1024), "application/json", 413, "payload_too_large"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(client, raw, content_type, status, code):
    response = post_lead(client, "website", raw, {"Content-Type": content_type})
    assert response.status_code == status and error_of(response)["code"] == code


def test_public_source_rejects_a_foreign_origin(client):
    response = post_lead(client, "website", GOOD, {"Origin": "https://evil.example.net"})
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"


def test_public_source_accepts_its_origin_and_a_form_post(client):
    form = "email=li.lei%40example.cn&name=%E6%9D%8E%E9%9B%B7&province=%E5%8C%97%E4%BA%AC&consent=on"
    response = client.http.post(
        "/webhooks/leads/website",
        body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://www.example.com"},
    )
    assert response.status_code == 201, response.body
    assert body(get_lead(client, body(response)["lead_id"]))["consent"] is True


def test_form_redirect_to_an_allowed_origin_is_303(client):
    form = "email=redirect%40example.cn&_redirect=https%3A%2F%2Fwww.example.com%2Fthanks"
    response = client.http.post(
        "/webhooks/leads/website", body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.example.com/thanks"


def test_form_redirect_elsewhere_is_a_400_and_stores_nothing(client, clean_aws):
    form = "email=redirect2%40example.cn&_redirect=https%3A%2F%2Fphish.example.net%2F"
    response = client.http.post(
        "/webhooks/leads/website", body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400 and "Location" not in response.headers
    assert body(response)["error"]["code"] == "invalid_redirect"
    assert lead_count(clean_aws) == 0


def test_form_with_redirect_sends_a_refusal_back_to_the_page(client, clean_aws):
    form = "email=not-an-email&_redirect=https%3A%2F%2Fwww.example.com%2Fthanks"
    response = client.http.post(
        "/webhooks/leads/website", body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 303
    # the refused fields by name, never their values (a URL is logged and kept in history)
    assert response.headers["Location"] == "https://www.example.com/thanks?error=validation_failed&fields=email"
    assert lead_count(clean_aws) == 0


def test_form_honeypot_with_redirect_lands_on_the_page_and_stores_nothing(client, clean_aws):
    form = "email=bot%40example.cn&_hp=x&_redirect=https%3A%2F%2Fwww.example.com%2Fthanks"
    response = client.http.post(
        "/webhooks/leads/website", body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (response.status_code, response.headers["Location"]) == (303, "https://www.example.com/thanks")
    assert lead_count(clean_aws) == 0


def test_honeypot_answers_received_and_stores_nothing(client, clean_aws):
    response = post_lead(client, "website", {**GOOD, "_hp": "http://spam"})
    assert response.status_code == 200 and body(response) == {"status": "received"}
    assert lead_count(clean_aws) == 0


@pytest.mark.parametrize("signature", [None, "garbage", "t=abc,v1=00", "wrong-hmac", "stale"])
def test_signed_source_rejects_bad_signatures(client, clean_aws, signature):
    raw = json.dumps(GOOD).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "stale":
        headers = signed_headers(raw, at=int(time.time()) - 301)
    elif signature == "wrong-hmac":
        headers["X-Closeloop-Signature"] = f"t={int(time.time())},v1={'0' * 64}"
    elif signature is not None:
        headers["X-Closeloop-Signature"] = signature
    response = post_lead(client, "hubspot", raw, headers)
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    assert lead_count(clean_aws) == 0


def test_signed_source_with_a_wrong_secret_is_401(client):
    raw = json.dumps(GOOD).encode()
    response = post_lead(client, "hubspot", raw, signed_headers(raw, secret="not-the-secret"))
    assert response.status_code == 401


def test_signed_source_accepts_a_good_signature(client):
    response = post_lead(client, "hubspot", GOOD, signed=True)
    assert response.status_code == 201, response.body


@pytest.mark.parametrize("key", [None, "wrong"])
def test_admin_calls_need_the_api_key(client, key):
    headers = {} if key is None else {"X-Api-Key": key}
    assert client.http.get("/leads/ld_x", headers=headers).status_code == 401
    response = client.http.post(
        "/leads/ld_x/activities",
        headers={**headers, "Content-Type": "application/json"},
        body=b'{"type": "call", "by": "u_wang"}',
    )
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_unknown_lead_is_404_everywhere(client):
    assert error_of(get_lead(client, "ld_missing"))["code"] == "lead_not_found"
    response = client.http.post(
        "/leads/ld_missing/activities",
        body=b'{"type": "call", "by": "u_wang"}',
        headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 404 and error_of(response)["code"] == "lead_not_found"
    raw = json.dumps({"lead_id": "ld_missing", "event": "email_open"}).encode()
    response = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=signed_headers(raw))
    assert response.status_code == 404 and error_of(response)["code"] == "lead_not_found"


def test_bad_activity_and_behaviour_name_their_fields(client):
    created = body(post_lead(client, "website", GOOD))
    response = client.http.post(
        f"/leads/{created['lead_id']}/activities",
        body=b'{"type": "dance", "at": "x"}',
        headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"type", "by", "at"}
    raw = json.dumps({"lead_id": created["lead_id"], "event": "teleport"}).encode()
    response = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=signed_headers(raw))
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"event"}


def test_behaviour_from_a_public_source_is_refused(client):
    raw = json.dumps({"email": GOOD["email"], "event": "email_open"}).encode()
    response = client.http.post("/webhooks/behavior/website", body=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_idempotency_key_replays_the_first_response(client, clean_aws):
    headers = {"Idempotency-Key": "form-42"}
    first = post_lead(client, "website", GOOD, headers)
    again = post_lead(client, "website", GOOD, headers)
    assert first.status_code == again.status_code == 201
    assert body(first) == body(again)
    assert lead_count(clean_aws) == 1


def test_idempotency_key_with_another_body_is_a_409_not_a_silent_replay(client, clean_aws):
    headers = {"Idempotency-Key": "form-43"}
    first = post_lead(client, "website", GOOD, headers)
    other = post_lead(client, "website", {**GOOD, "company": "changed"}, headers)
    assert first.status_code == 201
    assert other.status_code == 409 and body(other)["error"]["code"] == "idempotency_key_reused"
    assert lead_count(clean_aws) == 1


def test_same_body_without_key_counts_as_a_repeat(client, clean_aws):
    first = post_lead(client, "website", GOOD)
    again = post_lead(client, "website", GOOD)
    assert (first.status_code, body(first)) == (again.status_code, body(again))
    stored = body(get_lead(client, body(first)["lead_id"]))
    assert len(stored["touches"]) == 1


def test_a_changed_body_merges_into_the_same_lead(client):
    first = body(post_lead(client, "website", {**GOOD, "budget": "600,000"}))
    assert first["grade"] == "mql" and first["owner_id"]
    response = post_lead(client, "website", {**GOOD, "phone": "13900139000", "campaign": "spring"})
    assert response.status_code == 200
    merged = body(response)
    assert merged["status"] == "merged" and merged["lead_id"] == first["lead_id"]
    assert merged["owner_id"] == first["owner_id"]
    stored = body(get_lead(client, first["lead_id"]))
    assert stored["phone"] == "+8613900139000" and len(stored["touches"]) == 2


def test_health_reports_the_active_rules_version(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert body(response)["status"] == "ok" and body(response)["rules_version"].startswith("v1-")


def test_a_nurture_lead_completed_by_a_repeat_post_is_requalified_and_routed(client, clean_aws):
    from infra.local.inspect import list_events

    first = body(post_lead(client, "website", GOOD))
    assert first["grade"] == "nurture" and first["owner_id"] is None
    merged = body(post_lead(client, "website", {**GOOD, "phone": "13900139000"}))
    assert merged["grade"] == "mql" and merged["owner_id"] and merged["team"] == "SMB East"
    types = [e["type"] for e in list_events(subject=f"lead/{first['lead_id']}")]
    assert types == ["LeadCaptured", "LeadNurtureEnrolled", "LeadMerged", "LeadRequalified", "LeadAssigned"]


def test_a_browser_on_an_allowed_origin_can_post_with_fetch(client):
    origin = {"Origin": "https://www.example.com"}
    preflight = client.http.request(
        "OPTIONS", "/webhooks/leads/website", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    response = post_lead(client, "website", {"email": "fetch@example.cn"}, origin)
    assert response.status_code == 201 and response.headers["Access-Control-Allow-Origin"] == origin["Origin"]


def test_a_preflight_from_a_foreign_origin_is_refused(client):
    response = client.http.request("OPTIONS", "/webhooks/leads/website", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers
    assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("lead_id", ["x" * 3000, "ld_NOTHEX", "ld_" + "0" * 19])
def test_a_malformed_lead_id_is_simply_not_found(client, lead_id):
    response = get_lead(client, lead_id)
    assert response.status_code == 404 and error_of(response)["code"] == "lead_not_found"


def test_a_form_with_broken_percent_escapes_is_a_400(client):
    response = client.http.post(
        "/webhooks/leads/website",
        body=b"email=a%40b.cn&name=%ff%fe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400 and "UTF-8" in error_of(response)["message"]


def test_a_double_submitted_form_gets_the_first_answer_not_an_error(client, clean_aws):
    from concurrent.futures import ThreadPoolExecutor

    from functions.api.webhooks import capture
    from infra.local.plumbing import LambdaContext

    raw = b'{"email": "double@example.cn", "name": "Double Click"}'
    headers = {"content-type": "application/json"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: capture("website", raw, headers, clean_aws, LambdaContext("ApiFunction", 512, 30)), range(4)
            )
        )
    bodies = {json.dumps(json.loads(a.body), sort_keys=True) for a in answers}
    assert [a.status_code for a in answers] == [201] * 4 and len(bodies) == 1


def test_a_wrong_method_gets_the_contract_error_shape(client):
    response = client.http.put("/leads/ld_x", headers={"X-Api-Key": ADMIN_KEY})
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_a_lead_captured_but_not_remembered_still_answers_what_was_done(client, clean_aws, monkeypatch):
    """The capture committed, then saving the idempotency record was throttled past its retries:
    the sender hears 201 and the lead (a 503 would make it send again and hear "in progress")."""
    from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer
    from botocore.exceptions import ClientError

    def throttled(self, data_record):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "no"}}, "UpdateItem")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_update_record", throttled)
    response = post_lead(client, "website", GOOD, {"Idempotency-Key": "form-44"})
    assert response.status_code == 201 and body(response)["status"] == "created"
    assert lead_count(clean_aws) == 1


def test_a_request_throttled_before_any_work_is_busy_and_can_be_sent_again(client, clean_aws, monkeypatch):
    from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer
    from botocore.exceptions import ClientError

    real = DynamoDBPersistenceLayer._put_record
    calls = []

    def throttled_once(self, data_record):
        calls.append(1)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "no"}}, "PutItem")
        return real(self, data_record)

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_put_record", throttled_once)
    headers = {"Idempotency-Key": "form-45"}
    busy = post_lead(client, "website", GOOD, headers)
    assert busy.status_code == 503 and error_of(busy)["code"] == "busy" and busy.headers["Retry-After"]
    again = post_lead(client, "website", GOOD, headers)
    assert again.status_code == 201 and lead_count(clean_aws) == 1
