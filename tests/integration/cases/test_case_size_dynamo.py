"""A case that a hostile-but-valid client keeps writing to stays writable and readable.

Moto does not enforce DynamoDB's 400 KB item limit, so the test reads each raw item back with
boto3 and counts its size as DynamoDB does (attribute names and values, strings in UTF-8)."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import boto3
from chalice.test import Client

from functions.api.app import app
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import body, signed_headers

DYNAMODB_ITEM_LIMIT = 400 * 1024
# 1,000 in `make test` (6 MB of notes: 15 times what one item holds); CLOSELOOP_CASE_FLOOD=5000 for the
# full flood (about 8 minutes on the embedded DynamoDB)
EVENTS = int(os.environ.get("CLOSELOOP_CASE_FLOOD", "1000"))
KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
NOTE = "客户反馈发票抬头有误，需要重新开具。" * 110  # 2,000 characters, the note limit
CASE = {"external_id": "CC-FLOOD", "priority": "P2", "account": {"company": "厦门某某贸易有限公司", "country": "CN"}}


def value_size(value: dict[str, Any]) -> int:
    """The bytes DynamoDB counts for one attribute value (its size rules for each type)."""
    [(kind, inner)] = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "B":
        return len(inner)
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    raise AssertionError(f"no size rule for {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def raw_case(case_id: str) -> dict[str, Any]:
    client = boto3.client("dynamodb")
    item: dict[str, Any] = client.get_item(TableName=os.environ["CASES_TABLE"], Key={"case_id": {"S": case_id}})["Item"]
    return item


def test_a_flood_of_long_chinese_notes_answers_2xx_and_the_case_stays_within_its_item(clean_aws: Any) -> None:
    with Client(app) as client:
        raw = json.dumps(CASE).encode()
        opened = client.http.post("/webhooks/cases/contact-center", headers=signed_headers(raw), body=raw)
        assert opened.status_code == 201, opened.body
        case_id, owner = body(opened)["case_id"], body(opened)["owner_id"]
        cycle = ["first_response", "waiting_on_customer", "customer_replied", "agent_reply"]
        largest, statuses = 0, set()
        for n in range(EVENTS):
            kind = cycle[n] if n < len(cycle) else ("note" if n % 50 else "agent_reply")
            answer = client.http.post(
                f"/cases/{case_id}/events",
                headers=KEY,
                body=json.dumps({"type": kind, "by": owner, "note": f"{n} {NOTE}"[:2000]}).encode(),
            )
            statuses.add(answer.status_code)
            assert answer.status_code == 201, (n, answer.body)
            if n % 250 == 0 or n == EVENTS - 1:
                largest = max(largest, item_size(raw_case(case_id)))
        assert statuses == {201}
        assert largest < DYNAMODB_ITEM_LIMIT, largest

        shown = client.http.get(f"/cases/{case_id}", headers=KEY)
        assert shown.status_code == 200
        view = body(shown)
        kept, earlier = view["history"], view["earlier_history"]
        assert earlier["entries"] + len(kept) == EVENTS
        assert kept[-1]["note"] == f"{EVENTS - 1} {NOTE}"[:2000]  # the newest, whole and unescaped
        replies = 2 + (EVENTS - 1) // 50  # the first response, one reply, then one every 50th event
        assert view["agent_contacts"] == replies
        assert view["sla"]["first_response"]["state"] == "met" and view["status"] == "open"
        assert "\\u" not in raw_case(case_id)["doc"]["S"]  # stored as UTF-8, 3 bytes a character
