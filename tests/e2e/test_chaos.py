"""The local stack with AWS misbehaving (CONTRACT §13 "Fault injection"): `closeloop dev` with
CLOSELOOP_CHAOS throttles a fifth of DynamoDB and EventBridge calls, cancels a tenth of the
transactions on a conflict and loses the answer of some reads and transactions after applying them.
Senders post over real HTTP and do what a webhook sender does with a 503: wait Retry-After and send
the same request again with the same Idempotency-Key. Every webhook answers what it would without
faults, nothing is lost, nothing is recorded or delivered twice."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from botocore.config import Config

from infra.local.aws import client
from shared.adapters.settings import Settings
from shared.fulfilment.domain.orders import invoice_id_for
from shared.kernel.domain.events import iso
from shared.kernel.services.webhook_auth import sign
from tests.e2e.stacks import running_dev
from tests.e2e.test_local_stack import closeloop
from tests.fakes.receiver import running_receiver
from tests.unit.services.orders_helpers import CREDIT_CODE

pytestmark = pytest.mark.e2e
CHAOS = os.environ.get("CLOSELOOP_TEST_CHAOS", "throttle=0.2,conflict=0.1,timeout=0.02,seed=7")
KEY = {"X-Api-Key": "dev-admin-key"}
DISTINCT, REPEATS, ENVELOPES = 20, 5, 2
ROUTED = 5  # of the distinct leads
SENDERS = 16  # posts in flight at once, as several web forms and tools post together
# our own reads of the tables ride out the faults the way boto3 clients do by default
PATIENT = Config(retries={"max_attempts": 30, "mode": "legacy"})


@dataclass
class Sent:
    """One request as its sender saw it: every answer, the last one counts."""

    answers: list[tuple[int, Any]] = field(default_factory=list)

    @property
    def status(self) -> int:
        return self.answers[-1][0]

    @property
    def body(self) -> Any:
        return self.answers[-1][1]


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    with running_receiver() as receiver:
        urls = {"CLOSELOOP_FINANCE_URL": f"{receiver.url}/finance", "CLOSELOOP_ERP_URL": f"{receiver.url}/erp"}
        with running_dev(CLOSELOOP_CHAOS=CHAOS, **urls) as running:
            running["receiver"] = receiver
            running["aws"] = f"http://127.0.0.1:{running['env']['CLOSELOOP_AWS_PORT']}"
            yield running


def send(method: str, url: str, payload: Any, headers: dict[str, str]) -> Sent:
    """Send until the answer is not `503 busy`; a busy answer says when to come back (Retry-After),
    and the same request goes again (for a webhook, with the same Idempotency-Key)."""
    sent = Sent()
    raw = json.dumps(payload).encode()
    for _ in range(20):
        response = requests.request(
            method, url, data=raw, headers={"Content-Type": "application/json", **headers}, timeout=60
        )
        body = response.json() if response.content else None
        sent.answers.append((response.status_code, body))
        if response.status_code != 503:
            return sent
        assert body["error"]["code"] == "busy", body
        assert int(response.headers["Retry-After"]) >= 1
        time.sleep(0.5)  # not the whole Retry-After: the test would only wait longer for the same result
    return sent


def webhook(stack: dict[str, Any], path: str, payload: dict[str, Any], *, signed: bool = True) -> Sent:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if signed:
        headers["X-Closeloop-Signature"] = sign("dev-webhook-secret", int(time.time()), json.dumps(payload).encode())
    return send("POST", f"{stack['api']}{path}", payload, headers)


def cli(stack: dict[str, Any], *args: str) -> str:
    """A second terminal's command; its error and the stack's console tail when it fails."""
    run = closeloop(*args, env=stack["env"], check=False)
    assert run.returncode == 0, run.stderr + "".join(stack["console"][-100:])
    return run.stdout


NAMES = Settings()  # the local stack's table names (the template's, stage dev)


def scan(stack: dict[str, Any], table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    pages = client("dynamodb", stack["aws"], PATIENT).get_paginator("scan").paginate(TableName=table)
    for page in pages:
        items.extend(page["Items"])
    return items


def no_5xx_but_busy(stack: dict[str, Any], sent: list[Sent]) -> Counter[int]:
    """Every answer any sender got, by status; a 5xx other than `503 busy` is a failure (the
    console's log of it is shown)."""
    statuses = Counter(status for s in sent for status, _ in s.answers)
    failed = [s.answers for s in sent if any(st >= 500 and st != 503 for st, _ in s.answers)]
    assert not failed, "".join(stack["console"][-200:])
    return statuses


def lead(i: int) -> dict[str, Any]:
    """The first ROUTED are buyers worth an owner's call (routed, SLA timers running); the others
    go to nurture (no timers: the sweep's share of the suite stays small)."""
    if i < ROUTED:
        return {"email": f"buyer{i}@chaos.example.cn", "name": f"买家 {i}", "company": f"精密制造 {i}",
                "province": "上海", "industry": "制造业", "employees": 1500, "title": "采购总监",
                "phone": f"1380013{i:04d}"}  # fmt: skip
    return {"email": f"reader{i}@chaos.example.cn", "name": f"读者 {i}", "company": f"小店 {i}", "province": "上海"}


def test_leads_are_captured_once_each_and_every_sender_hears_what_it_would_without_faults(
    stack: dict[str, Any],
) -> None:
    same = {"email": "same.person@chaos.example.cn", "name": "王芳", "company": "重复公司", "province": "北京"}
    payloads = [lead(i) for i in range(DISTINCT)] + [same] * REPEATS
    with ThreadPoolExecutor(SENDERS) as pool:
        sent = list(pool.map(lambda p: webhook(stack, "/webhooks/leads/website", p, signed=False), payloads))
    distinct, repeats = sent[:DISTINCT], sent[DISTINCT:]

    statuses = no_5xx_but_busy(stack, sent)
    assert not [(i, s.answers) for i, s in enumerate(distinct) if s.status != 201], "".join(stack["console"][-150:])
    assert {s.body["status"] for s in distinct} == {"created"}
    assert len({s.body["lead_id"] for s in distinct}) == DISTINCT
    assert sorted(s.status for s in repeats) == [200] * (REPEATS - 1) + [201]
    assert len({s.body["lead_id"] for s in repeats}) == 1
    # a busy sender that came back got the answer the first post would have had (above): one lead each
    stack["busy_leads"] = statuses[503]

    cli(stack, "pump", "--timeout", "240")
    answered = {s.body["lead_id"] for s in sent}
    assert {item["lead_id"]["S"] for item in scan(stack, NAMES.table("leads"))} == answered  # no lead more
    keys = {i["key"]["S"]: i for i in scan(stack, NAMES.table("lead-keys")) if i["key"]["S"].startswith("email#")}
    assert len(keys) == DISTINCT + 1
    events = Counter((e["type"]["S"], e["subject"]["S"]) for e in scan(stack, NAMES.table("events")))
    captured = [subject for (kind, subject), n in events.items() if kind == "LeadCaptured"]
    assert len(captured) == DISTINCT + 1
    twice = {k: n for k, n in events.items() if n > 1 and k[0] not in PER_TOUCH}
    assert not twice
    repeated_lead = f"lead/{repeats[0].body['lead_id']}"
    assert events[("LeadMerged", repeated_lead)] == REPEATS - 1


PER_TOUCH = {"LeadMerged", "ShipmentRecorded"}  # one per post (each counted exactly above), not once
PER_CHANGE = {"AccountSegmentChanged"}  # one per change of the account's segment (checked as a chain)


ACCOUNT = {"company": "上海精密制造", "country": "CN", "credit_code": CREDIT_CODE}
LINES = [{"sku": "IOT-PLAT-STD", "quantity": 2}]


def sign_and_ship(stack: dict[str, Any], n: int) -> dict[str, Any]:
    """An approved quote signed through the e-sign webhook (sent twice: one contract), then its
    order shipped and signed for in one shipment (sent twice: one invoice request)."""
    api = stack["api"]
    deal = send("POST", f"{api}/opportunities", {"name": f"Line {n}", "owner_id": "u_wang", "account": ACCOUNT}, KEY)
    assert deal.status == 201, deal.answers
    quote = send("POST", f"{api}/quotes", {"opportunity_id": deal.body["opportunity_id"], "by": "u_wang",
                                           "lines": LINES}, KEY)  # fmt: skip
    assert quote.status == 201 and quote.body["status"] == "approved", quote.answers
    today = datetime.now(UTC).date()
    envelope = {"envelope_id": f"env-chaos-{n}", "status": "completed", "quote_id": quote.body["quote_id"],
                "start_date": today.isoformat(), "end_date": (today + timedelta(days=364)).isoformat()}  # fmt: skip
    signed, again = webhook(stack, "/webhooks/esign/esign", envelope), webhook(stack, "/webhooks/esign/esign", envelope)
    # the repeat is 200 "recorded" — or, signed in the same second (the same signature), the first
    # answer again (inbound: a signature is answered once): either way the same ids, one contract
    assert signed.status == 201 and again.status in (200, 201), (signed.answers, again.answers)
    assert {k: again.body[k] for k in ("contract_id", "order_id")} == {
        k: signed.body[k] for k in ("contract_id", "order_id")
    }
    shipment = {"shipment_id": f"SH-chaos-{n}", "order_id": signed.body["order_id"], "status": "signed", "lines": LINES}
    shipped, repeated = (webhook(stack, "/webhooks/shipments/warehouse", shipment) for _ in range(2))
    assert (shipped.status, repeated.status) == (200, 200), (shipped.answers, repeated.answers)
    return {"sent": [deal, quote, signed, again, shipped, repeated], **signed.body}


def test_each_envelope_makes_one_order_and_each_shipment_one_invoice_request_delivered_once(
    stack: dict[str, Any],
) -> None:
    with ThreadPoolExecutor(ENVELOPES) as pool:
        deals = list(pool.map(lambda n: sign_and_ship(stack, n), range(ENVELOPES)))
    no_5xx_but_busy(stack, [s for deal in deals for s in deal["sent"]])
    cli(stack, "pump", "--timeout", "240")

    events = Counter((e["type"]["S"], e["subject"]["S"]) for e in scan(stack, NAMES.table("events")))
    for deal in deals:
        order, contract = f"order/{deal['order_id']}", f"contract/{deal['contract_id']}"
        assert events[("ContractSigned", contract)] == 1
        assert events[("OrderCreated", order)] == 1
        assert events[("InvoiceRequested", f"invoice/{invoice_id_for(deal['order_id'], 'order')}")] == 1
    assert sum(n for (kind, _), n in events.items() if kind == "OrderCreated") == ENVELOPES  # none from a repeat
    assert not {k: n for k, n in events.items() if n > 1 and k[0] not in (*PER_TOUCH, *PER_CHANGE)}
    # the one account's orders move its segment more than once, each move once: a chain from → to
    moves = sorted(
        (e["time"]["S"], json.loads(e["data"]["S"]))
        for e in scan(stack, NAMES.table("events"))
        if e["type"]["S"] == "AccountSegmentChanged"
    )
    assert moves and [m[1]["from"] for m in moves] == [None, *(m[1]["to"] for m in moves[:-1])]

    posts = stack["receiver"].posts
    delivered = Counter((p.path, p.json["type"], p.headers["idempotency-key"]) for p in posts if p.path != "/robot")
    assert sum(1 for path, kind, _ in delivered if path == "/finance" and kind == "InvoiceRequested") == ENVELOPES
    assert sum(1 for path, kind, _ in delivered if path == "/erp" and kind == "OrderCreated") == ENVELOPES
    assert not {k: n for k, n in delivered.items() if n > 1}  # no event reached a receiver twice


def test_the_timer_sweep_fires_every_due_timer_once_and_sets_none_aside(stack: dict[str, Any]) -> None:
    cli(stack, "pump", "--timeout", "240")
    before = Counter((e["type"]["S"], e["subject"]["S"]) for e in scan(stack, NAMES.table("events")))
    at = datetime.now(UTC) + timedelta(days=1)
    due = {t["timer_id"]["S"] for t in scan(stack, NAMES.table("timers")) if t["due_at"]["S"] <= iso(at)}
    assert len(due) >= ROUTED  # each routed lead's SLA clocks, at least
    left = due
    for _ in range(4):  # the minute schedule runs again: a sweep that ran out of time left the rest
        cli(stack, "schedule", "run", "timer-sweep", "--at", at.isoformat(), "--timeout", "240")
        timers = scan(stack, NAMES.table("timers"))
        left = due & {t["timer_id"]["S"] for t in timers if t["due_at"]["S"] <= iso(at)}
        if not left:
            break
    assert not left  # every timer due then fired (deleted in its transaction, or moved on)
    assert not [t for t in timers if t["due_shard"]["S"] == "failed"]  # none set aside
    after = Counter((e["type"]["S"], e["subject"]["S"]) for e in scan(stack, NAMES.table("events")))
    assert after - before, "the sweep fired nothing"
    # none fired twice (an account's segment changes are a chain of their own, checked above)
    assert not {k: n for k, n in after.items() if n > 1 and k[0] not in (*PER_TOUCH, *PER_CHANGE)}
