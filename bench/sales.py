"""DynamoDB requests per quote (issue 9): pricing, the discount matrix and its approval steps,
counted at the botocore layer over the embedded moto server, in a warm process."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.service import _free_port, counting_dynamodb

SAMPLES = 10
KEY = "bench-admin-key"
# over 500,000 and over 20% off: the example Discounts row 10, manager then director
LINES = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]


def _post(client: Any, path: str, payload: dict[str, Any]) -> Any:
    response = client.http.post(
        path, body=json.dumps(payload).encode(), headers={"Content-Type": "application/json", "X-Api-Key": KEY}
    )
    assert response.status_code in (200, 201), response.body
    return json.loads(response.body)


def quote_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    from chalice.test import Client

    from infra.local.stack import LocalStack, StackSettings

    os.environ["CLOSELOOP_RULES_CHECK_SECONDS"] = "30"  # the deployed default
    stack = LocalStack(StackSettings(aws_port=_free_port(), serve_api=False, run_plumbing=False, admin_key=KEY))
    progress("starting the embedded AWS for the quote count")
    result = stack.start()
    assert result.status in ("published", "unchanged"), result.problems  # unchanged: published earlier in this process
    from functions.api.app import app

    created, decided = Counter[str](), Counter[str]()
    try:
        with Client(app) as client:
            opened = {"name": "Bench", "owner_id": "u_wang", "account": {"company": "Acme"}}
            opportunity_id = _post(client, "/opportunities", opened)["opportunity_id"]
            _post(client, "/quotes", {"opportunity_id": opportunity_id, "by": "u_wang", "lines": LINES})  # warm-up
            progress(f"counting DynamoDB requests over {SAMPLES} quotes, each approved by a manager and a director")
            for _ in range(SAMPLES):
                body = {"opportunity_id": opportunity_id, "by": "u_wang", "lines": LINES}
                with counting_dynamodb() as calls:
                    quote = _post(client, "/quotes", body)
                created += calls
                for step, by in zip(quote["approval"]["steps"], ("u_liu", "u_chen"), strict=True):
                    with counting_dynamodb() as calls:
                        _post(client, f"/approvals/{step['approval_id']}/decision", {"decision": "approve", "by": by})
                    decided += calls
    finally:
        stack.stop()
    total = created + decided
    detail = ", ".join(f"{op} {n / SAMPLES:g}" for op, n in sorted(total.items()))
    return {
        "ddb_requests_per_quote": {
            "value": round(sum(total.values()) / SAMPLES, 2),
            "unit": "requests",
            "note": f"one quote priced, matched (Discounts row 10) and approved in 2 steps, warm process: "
            f"POST /quotes {sum(created.values()) / SAMPLES:g} (opportunity, superseded quote, one "
            f"transaction), 2 decisions {sum(decided.values()) / SAMPLES:g} (quote, one transaction each); {detail}",
        }
    }
