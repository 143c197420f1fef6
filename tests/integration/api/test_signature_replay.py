"""Signatures that cannot be replayed (CONTRACT §12): a signature (`t`, `v1`) seen a second time
within its tolerance is a repeat whatever the `Idempotency-Key` says — the first answer again,
nothing changed. The probe changed only the unsigned header and got a second behaviour counted."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.idempotency import SIGNATURE_SECONDS
from shared.kernel.services.webhook_auth import TOLERANCE_SECONDS, sign
from tests.conftest import ADMIN_KEY, WEBHOOK_SECRET
from tests.integration.api.helpers import body, post_lead, signed_headers
from tests.unit.services.esign_helpers import ACCOUNT, envelope

KEY = {"X-Api-Key": ADMIN_KEY}


@pytest.fixture
def client(clean_aws: Any) -> Any:
    with Client(app) as c:
        yield c


def _lead(client: Any, email: str) -> str:
    made = post_lead(client, "hubspot", {"email": email, "name": "Replay", "company": "Replay Co"}, signed=True)
    assert made.status_code == 201, made.body
    return str(body(made)["lead_id"])


def _clicks(client: Any, lead_id: str) -> Any:
    lead = body(client.http.get(f"/leads/{lead_id}", headers=KEY))
    return lead["behavior"].get("email_click", 0), lead["score"]


def test_a_replayed_signature_with_a_new_idempotency_key_changes_nothing(client: Any) -> None:
    lead_id = _lead(client, "replay@example.cn")
    raw = json.dumps({"lead_id": lead_id, "event": "email_click"}).encode()
    headers = {**signed_headers(raw), "Idempotency-Key": "first"}
    first = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=headers)
    assert first.status_code == 200, first.body
    after_first = _clicks(client, lead_id)
    for key in ("second", "third"):
        again = client.http.post("/webhooks/behavior/hubspot", body=raw, headers={**headers, "Idempotency-Key": key})
        assert (again.status_code, body(again)) == (200, body(first))
    without = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert body(client.http.post("/webhooks/behavior/hubspot", body=raw, headers=without)) == body(first)
    assert _clicks(client, lead_id) == after_first


def test_the_sender_signing_again_is_a_new_request_and_its_key_still_dedupes(client: Any) -> None:
    lead_id = _lead(client, "resign@example.cn")
    raw = json.dumps({"lead_id": lead_id, "event": "email_click"}).encode()
    now = int(time.time())
    first = {**signed_headers(raw, at=now), "Idempotency-Key": "k1"}
    assert client.http.post("/webhooks/behavior/hubspot", body=raw, headers=first).status_code == 200
    clicks = _clicks(client, lead_id)[0]
    # the sender's retry: signed anew, the same Idempotency-Key → the first answer (CONTRACT §2)
    retry = {**signed_headers(raw, at=now - 1), "Idempotency-Key": "k1"}
    assert client.http.post("/webhooks/behavior/hubspot", body=raw, headers=retry).status_code == 200
    assert _clicks(client, lead_id)[0] == clicks
    # a new request: signed anew, a new key → counted
    fresh = {**signed_headers(raw, at=now - 2), "Idempotency-Key": "k2"}
    assert client.http.post("/webhooks/behavior/hubspot", body=raw, headers=fresh).status_code == 200
    assert _clicks(client, lead_id)[0] == clicks + 1


def test_any_spelling_of_a_seen_signature_is_the_same_signature(client: Any) -> None:
    """Hex case, spaces and zeros before `t` spell the same (t, v1): each is a repeat."""
    lead_id = _lead(client, "spelling@example.cn")
    raw = json.dumps({"lead_id": lead_id, "event": "email_click"}).encode()
    header = sign(WEBHOOK_SECRET, int(time.time()), raw)
    first = client.http.post(
        "/webhooks/behavior/hubspot",
        body=raw,
        headers={"Content-Type": "application/json", "X-Closeloop-Signature": header},
    )
    assert first.status_code == 200
    counted = _clicks(client, lead_id)
    t, v1 = header.removeprefix("t=").split(",v1=")

    @settings(max_examples=12, deadline=None)
    @given(
        upper=st.booleans(),
        zeros=st.integers(0, 2),
        spaces=st.sampled_from(["", " ", "  "]),
        key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20),
    )
    def replay(upper: bool, zeros: int, spaces: str, key: str) -> None:
        spelt = f"{spaces}t={'0' * zeros}{t}{spaces},{spaces}v1={v1.upper() if upper else v1}{spaces}"
        headers = {"Content-Type": "application/json", "X-Closeloop-Signature": spelt, "Idempotency-Key": key}
        again = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=headers)
        assert (again.status_code, body(again)) == (200, body(first))

    replay()
    assert _clicks(client, lead_id) == counted


def _post(client: Any, path: str, payload: dict[str, Any]) -> Any:
    return client.http.post(path, body=json.dumps(payload), headers={**KEY, "Content-Type": "application/json"})


def _pending_quote(client: Any) -> dict[str, Any]:
    made = _post(client, "/opportunities", {"name": "Replay", "owner_id": "u_wang", "account": ACCOUNT})
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    quoted = _post(client, "/quotes", {"opportunity_id": body(made)["opportunity_id"], "by": "u_wang", "lines": lines})
    assert body(quoted)["status"] == "pending_approval", quoted.body
    return dict(body(quoted))


def test_a_refused_signature_replayed_after_the_state_changed_is_still_refused(client: Any, clean_aws: Any) -> None:
    """The first answer was 409 (quote not approved yet); the captured request replayed once the quote
    is approved must not make the contract."""
    quote = _pending_quote(client)
    raw = json.dumps(envelope(quote["quote_id"], "env-replay")).encode()
    signed_at = int(time.time())
    headers = signed_headers(raw, at=signed_at)
    refused = client.http.post("/webhooks/esign/esign", body=raw, headers={**headers, "Idempotency-Key": "a"})
    assert refused.status_code == 409, refused.body
    for step, approver in zip(quote["approval"]["steps"], ("u_liu", "u_chen"), strict=True):
        decided = _post(client, f"/approvals/{step['approval_id']}/decision", {"decision": "approve", "by": approver})
        assert decided.status_code == 200, decided.body
    replayed = client.http.post("/webhooks/esign/esign", body=raw, headers={**headers, "Idempotency-Key": "b"})
    assert (replayed.status_code, body(replayed)) == (409, body(refused))
    opportunity = body(client.http.get(f"/opportunities/{quote['opportunity_id']}", headers=KEY))
    assert opportunity["status"] == "open"
    # signed anew by the provider, the same envelope is judged on today's facts
    assert (
        client.http.post("/webhooks/esign/esign", body=raw, headers=signed_headers(raw, at=signed_at - 5)).status_code
        == 201
    )


def test_a_signature_is_remembered_longer_than_it_is_accepted() -> None:
    assert SIGNATURE_SECONDS > 2 * TOLERANCE_SECONDS
