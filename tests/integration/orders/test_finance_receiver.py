"""examples/finance-receiver as a user runs it (its own process, no project imports): it takes
only correctly signed posts, prints each invoice once, and answers a repeat as a duplicate —
also behind Closeloop's real sender when a crash makes the sender post the same invoice twice."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.kernel.domain.events import Event
from shared.kernel.services.webhook_auth import sign
from tests.conftest import free_port, python_script
from tests.integration.orders.conftest import World
from tests.unit.services.orders_helpers import shipment

ROOT = Path(__file__).resolve().parents[3]
SECRET = "test-delivery-secret"


@pytest.fixture
def finance(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        python_script(str(ROOT / "examples" / "finance-receiver" / "receiver.py"), "--port", str(port),
                      "--secret", SECRET, "--db", str(tmp_path / "seen.sqlite3")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/invoices"
    for _ in range(100):
        try:
            requests.post(url, data=b"", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    yield url, process
    process.terminate()
    process.wait(10)


def printed(process: subprocess.Popen[str]) -> str:
    process.terminate()
    out, _ = process.communicate(timeout=10)
    return out


def _post(url: str, envelope: dict[str, Any], secret: str = SECRET) -> requests.Response:
    body = json.dumps(envelope).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": envelope["id"],
               "X-Closeloop-Signature": sign(secret, int(time.time()), body)}  # fmt: skip
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_signed_invoices_print_once_and_repeats_are_duplicates(finance) -> None:
    url, process = finance
    data = {"invoice_id": "inv_1", "order_id": "or_1", "amount": "100.00", "currency": "CNY",
            "account": {"name": "上海精密制造", "credit_code": "91350100M000100Y43", "country": "CN"},
            "lines": [{"sku": "CL-PRO", "quantity": 1, "unit_price": "100.00", "amount": "100.00"}]}  # fmt: skip
    envelope = Event("InvoiceRequested", "invoice/inv_1", datetime.now(UTC), data).envelope()
    assert _post(url, envelope).json() == {"status": "received", "event_id": envelope["id"]}
    assert _post(url, envelope).json()["status"] == "duplicate"
    assert _post(url, envelope, secret="wrong").status_code == 401
    assert requests.post(url, data=json.dumps(envelope), timeout=10).status_code == 401
    out = printed(process)
    assert out.count("INVOICE inv_1") == 1 and "91350100M000100Y43" in out and "100.00 CNY" in out


def test_behind_closeloops_sender_a_resent_invoice_is_printed_once(world: World, finance, monkeypatch) -> None:
    from shared.adapters import courier

    url, process = finance
    world.use(finance_url=url)
    real_send = courier.DeliveryCourier.send
    died: list[int | None] = []

    def send_then_die(self: Any, delivery: Any, now: Any) -> Any:
        answer = real_send(self, delivery, now)
        if delivery.kind == "finance" and not died:
            died.append(answer.status)
            raise MemoryError("the sender died before recording finance's answer")  # injected
        return answer

    monkeypatch.setattr(courier.DeliveryCourier, "send", send_then_die)
    order = world.order()
    at = world.clock().isoformat()
    assert world.post_shipment(shipment(order.order_id, "SH-1", "signed", at, CL_PRO=10, CL_ONB=3)).status_code == 200
    world.drain()
    delivery = world.finance_delivery(order)
    assert died == [200] and delivery.status == "delivered" and len(delivery.attempts) == 1
    out = printed(process)
    assert out.count("INVOICE inv_") == 1 and "20199.99 CNY" in out
