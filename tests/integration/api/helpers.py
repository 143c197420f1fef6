"""Calling the API the way API Gateway does, through chalice.test.Client."""

from __future__ import annotations

import json
import time
from typing import Any

from shared.kernel.services.webhook_auth import sign
from tests.conftest import ADMIN_KEY, WEBHOOK_SECRET


def signed_headers(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {"Content-Type": "application/json", "X-Closeloop-Signature": sign(secret, timestamp, body)}


def post_lead(
    client: Any,
    source: str,
    payload: dict[str, Any] | bytes,
    headers: dict[str, str] | None = None,
    *,
    signed: bool = False,
) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = signed_headers(body) if signed else {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return client.http.post(f"/webhooks/leads/{source}", headers=all_headers, body=body)


def get_lead(client: Any, lead_id: str) -> Any:
    return client.http.get(f"/leads/{lead_id}", headers={"X-Api-Key": ADMIN_KEY})


def body(response: Any) -> Any:
    return json.loads(response.body)
