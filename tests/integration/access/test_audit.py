"""The audit (CONTRACT §12): every event records who made the change — which key (by name, never
the key), for whom, which source — and GET /audit answers "who approved this discount, with which
key, when" for any quote, from indexes; the actor rides on the event, costing no request."""

from __future__ import annotations

from typing import Any

from bench.service import counting_dynamodb
from tests.conftest import ADMIN_KEY
from tests.integration.access.conftest import KEYS, call
from tests.integration.api.helpers import body, post_lead


def _approved_quote(client: Any) -> dict[str, Any]:
    made = call(
        client,
        "POST",
        "/opportunities",
        "key-crm",
        {"name": "Audit", "owner_id": "u_wang", "account": {"company": "Audit Co"}},
    )
    lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
    quote = body(
        call(
            client,
            "POST",
            "/quotes",
            "key-crm",
            {"opportunity_id": body(made)["opportunity_id"], "by": "u_wang", "lines": lines},
        )
    )
    first, second = (s["approval_id"] for s in quote["approval"]["steps"])
    assert call(client, "POST", f"/approvals/{first}/decision", "key-liu", {"decision": "approve"}).status_code == 200
    done = call(client, "POST", f"/approvals/{second}/decision", ADMIN_KEY, {"decision": "approve", "by": "u_chen"})
    assert done.status_code == 200
    return dict(quote)


def _audit(client: Any, key: str = ADMIN_KEY, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.http.get(f"/audit?{query}", headers={"X-Api-Key": key})


def test_who_approved_this_discount_with_which_key_when(client: Any) -> None:
    quote = _approved_quote(client)
    answer = _audit(client, subject=f"quote/{quote['quote_id']}")
    assert answer.status_code == 200, answer.body
    entries = body(answer)["audit"]
    decided = [e for e in entries if e["type"] == "ApprovalDecided"]
    assert [(e["data"]["by"], e["actor"]) for e in decided] == [
        ("u_chen", {"kind": "api_key", "name": "test", "on_behalf_of": "u_chen"}),  # newest first
        ("u_liu", {"kind": "api_key", "name": "liu-phone", "owner_id": "u_liu"}),
    ]
    assert all(e["time"] for e in decided)
    created = next(e for e in entries if e["type"] == "QuoteCreated")
    assert created["actor"] == {"kind": "api_key", "name": "crm", "on_behalf_of": "u_wang"}
    keys = {entry["key"] for entry in KEYS.values()} | {ADMIN_KEY}
    assert not any(key in answer.body.decode() for key in keys)  # names, never keys


def test_one_actor_and_everyone_and_paging(client: Any) -> None:
    _approved_quote(client)
    lead = post_lead(client, "website", {"email": "audited@example.cn", "name": "A", "company": "B"})
    mine = body(_audit(client, actor="liu-phone"))["audit"]
    # the decision and what it set off (the director's step requested), in one change
    assert {e["type"] for e in mine} == {"ApprovalDecided", "ApprovalRequested"}
    assert all(e["actor"]["owner_id"] == "u_liu" for e in mine)
    everyone = body(_audit(client, limit="200"))["audit"]
    names = {e["actor"]["name"] for e in everyone}
    assert {"crm", "liu-phone", "test"} <= names and "website" not in names  # a webhook's lead: by subject
    captured = body(_audit(client, subject=f"lead/{body(lead)['lead_id']}"))["audit"]
    assert captured and all(e["actor"] == {"kind": "webhook", "name": "website"} for e in captured)
    # a page at a time, newest first, the last page without a cursor
    seen, cursor = [], None
    while True:
        page = body(_audit(client, limit="2", **({"cursor": cursor} if cursor else {})))
        seen += page["audit"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert page["audit"]
    assert [e["id"] for e in seen] == [e["id"] for e in everyone]
    assert [e["time"] for e in seen] == sorted((e["time"] for e in seen), reverse=True)


def test_only_admin_keys_read_the_audit_and_bad_queries_name_the_parameter(client: Any) -> None:
    refused = _audit(client, key="key-only-read")
    assert refused.status_code == 403 and "admin" in body(refused)["error"]["message"]
    assert _audit(client, key="key-only-admin").status_code == 200
    for params, field in (({"owner": "u_x"}, "owner"), ({"since": "yesterday"}, "since"), ({"limit": "0"}, "limit"),
                          ({"cursor": "nope"}, "cursor"), ({"subject": "q", "actor": "a"}, "actor")):  # fmt: skip
        bad = _audit(client, **params)
        assert bad.status_code == 400 and field in body(bad)["error"]["fields"], (params, bad.body)


def test_the_actor_rides_on_the_event_no_request_more(client: Any) -> None:
    """ddb_requests_per_new_lead must not rise because of the audit: the actor is part of the
    event item the capture's transaction already writes."""
    lead = {"email": "count@example.cn", "name": "Count", "company": "Count Co", "province": "上海"}
    post_lead(client, "website", {**lead, "email": "warm@example.cn", "phone": "13800138111"})  # warm
    with counting_dynamodb() as calls:
        made = post_lead(client, "website", lead)
    assert made.status_code == 201
    assert sum(calls.values()) <= 6, calls  # bench GOALS: ddb_requests_per_new_lead <= 6
    assert "Query" not in calls and "UpdateItem" in calls  # no read, no extra write for the actor


def test_cli_actions_are_audited_as_the_operator(client: Any, scoped_keys: Any) -> None:
    from shared.adapters.acting import acting_as, cli_actor
    from shared.adapters.container import utc_now
    from shared.deliveries.services.deliveries import send_again

    _approved_quote(client)
    alerts = list(scoped_keys.uow.deliveries.listing(kind="alert"))
    assert alerts, "approvals alert the approver"
    with acting_as(cli_actor()):
        assert send_again(scoped_keys.uow, [alerts[0].delivery_id], utc_now()).sent
    retried = body(_audit(client, subject=alerts[0].about))["audit"]
    entry = next(e for e in retried if e["type"] == "DeliveryRetried")
    assert entry["actor"]["kind"] == "cli" and entry["data"]["delivery_id"] == alerts[0].delivery_id
    assert any(e["type"] == "DeliveryRetried" for e in body(_audit(client, actor=entry["actor"]["name"]))["audit"])
