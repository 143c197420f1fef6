"""A sample finance receiver for Closeloop's invoice deliveries (CONTRACT §10): standalone,
standard library only. Run it, point Closeloop's finance URL at it, and each invoice Closeloop
asks for is printed once.

    python examples/finance-receiver/receiver.py --port 9100
    closeloop dev --finance-url http://127.0.0.1:9100/invoices

What a real finance system must do with these posts, shown in ~100 lines:

1. **Verify the signature.** ``X-Closeloop-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
   HMAC-SHA256, keyed with the delivery secret (``closeloop-<stage>-delivery-secret`` in AWS,
   ``CLOSELOOP_DELIVERY_SECRET`` locally, default ``dev-delivery-secret``), over ``<t>.`` + the raw
   body; ``t`` within 5 minutes. Anything else → 401 (Closeloop then fails the delivery for good:
   a wrong secret is not fixed by retrying).
2. **Drop repeats by event id.** Delivery is at least once: a post that timed out, or whose
   answer was lost, comes again with the same ``Idempotency-Key`` (the event id). The id is
   inserted into a SQLite table under a primary key *before* the invoice is issued, so two
   copies arriving at once still issue one invoice; a repeat gets 200 ``{"status": "duplicate"}``.
3. **Answer 2xx only once the invoice is safe.** A 5xx or 429 makes Closeloop retry with back-off
   (honouring ``Retry-After``); any other 4xx goes to its dead letters.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300
SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-fA-F]{64})$")
MAX_BODY = 1 << 20


def signature_valid(header: str | None, secret: str, body: bytes, now: float) -> bool:
    match = SIGNATURE.match(header or "")
    if match is None or abs(now - int(match.group(1))) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{match.group(1)}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(2).lower())


class Ledger:
    """Event ids already taken, in SQLite: a repeat is refused by the primary key, atomically."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, invoice_id TEXT, at REAL)")

    def first_time(self, event_id: str, invoice_id: str | None) -> bool:
        with self._lock:
            try:
                self._db.execute("INSERT INTO seen VALUES (?, ?, ?)", (event_id, invoice_id, time.time()))
            except sqlite3.IntegrityError:
                return False
            return True


def invoice_text(envelope: dict[str, Any]) -> str:
    data = envelope.get("data") or {}
    buyer = data.get("account") or {}
    lines = [
        f"  {line['sku']} × {line['quantity']} @ {line['unit_price']} = {line['amount']}"
        for line in data.get("lines", [])
    ]
    return "\n".join(
        [
            f"INVOICE {data.get('invoice_id')} for order {data.get('order_id')} (event {envelope.get('id')})",
            f"  buyer: {buyer.get('name')}  tax id: {buyer.get('credit_code')}  country: {buyer.get('country')}",
            *lines,
            f"  total: {data.get('amount')} {data.get('currency')}",
        ]
    )


def handler_class(secret: str, ledger: Ledger, out: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._answer(413, {"error": "body too large"})
            body = self.rfile.read(length)
            if not signature_valid(self.headers.get("X-Closeloop-Signature"), secret, body, time.time()):
                return self._answer(401, {"error": "bad or missing X-Closeloop-Signature"})
            try:
                envelope = json.loads(body)
            except ValueError:
                return self._answer(400, {"error": "not JSON"})
            event_id = self.headers.get("Idempotency-Key") or envelope.get("id")
            if not event_id:
                return self._answer(400, {"error": "no event id"})
            if envelope.get("type") != "InvoiceRequested":
                return self._answer(200, {"status": "ignored", "type": envelope.get("type")})
            if not ledger.first_time(event_id, (envelope.get("data") or {}).get("invoice_id")):
                return self._answer(200, {"status": "duplicate", "event_id": event_id})
            out(invoice_text(envelope))
            return self._answer(200, {"status": "received", "event_id": event_id})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def make_server(port: int, secret: str, db: str, out: Callable[[str], None] = print) -> ThreadingHTTPServer:
    return ThreadingHTTPServer(("127.0.0.1", port), handler_class(secret, Ledger(db), out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sample finance receiver for Closeloop invoice deliveries")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--secret", default=os.environ.get("CLOSELOOP_DELIVERY_SECRET", "dev-delivery-secret"))
    default_db = os.path.join(tempfile.gettempdir(), "closeloop-finance-receiver.sqlite3")
    parser.add_argument("--db", default=default_db, help=f"where seen event ids are kept (default {default_db})")
    args = parser.parse_args(argv)
    server = make_server(args.port, args.secret, args.db, lambda text: print(text, flush=True))
    print(f"finance receiver on http://127.0.0.1:{server.server_address[1]}/invoices", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
