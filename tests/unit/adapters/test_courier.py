"""The courier at the HTTP boundary: every post gets a 10 s time-out, and what no answer at all
means (time-out, refused, a malformed URL) becomes an Answer the domain can judge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from shared.adapters.courier import DeliveryCourier
from shared.adapters.settings import Settings
from shared.deliveries.domain.deliveries import Delivery, event_delivery

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Secrets:
    def chat_webhooks(self) -> dict[str, Any]:
        return {"ops": {"kind": "slack", "url": "https://hooks.slack.test/x"}}

    def delivery_secret(self) -> str | None:
        return None


class Session:
    def __init__(self, failure: Exception) -> None:
        self.failure = failure
        self.calls: list[dict[str, Any]] = []

    def post(self, url: str, **kwargs: Any) -> Any:
        self.calls.append({"url": url, **kwargs})
        raise self.failure


def erp(url: str = "https://erp.test/in") -> tuple[DeliveryCourier, Delivery]:
    settings = Settings(erp_url=url)
    delivery = event_delivery({"id": "evt_1", "type": "OrderCreated", "subject": "order/o_1", "data": {}}, "erp", NOW)
    return DeliveryCourier(settings, Secrets(), session=None), delivery  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("failure", "error", "verdict"),
    [
        (requests.ReadTimeout("slow"), "timeout", "retry"),
        (requests.ConnectTimeout("slow to connect"), "timeout", "retry"),
        (requests.ConnectionError("refused"), "refused", "retry"),
        (requests.exceptions.InvalidURL("no host"), "cannot post: InvalidURL", "final"),
    ],
)
def test_no_answer_at_all(failure: Exception, error: str, verdict: str) -> None:
    session = Session(failure)
    courier = DeliveryCourier(Settings(erp_url="https://erp.test/in"), Secrets(), session)  # type: ignore[arg-type]
    _, delivery = erp()
    answer = courier.send(delivery, NOW)
    assert (answer.error, answer.verdict) == (error, verdict)
    [call] = session.calls
    assert call["timeout"] == 10 and call["allow_redirects"] is False


def test_what_blocks_a_delivery() -> None:
    courier, delivery = erp(url="")
    assert courier.blocked(delivery) == "no erp URL configured"
    assert erp()[0].blocked(delivery) is None
    chat = Delivery("dl_1", "alert", "ops", "lead/ld_1", "2026-11-23T09:00:00.000Z", to="u_1")
    assert courier.blocked(chat) is None
    assert courier.blocked(Delivery("dl_2", "alert", "nope", "lead/ld_1", "t", to="u_1")) == (
        "chat channel 'nope' is not configured"
    )
    assert courier.blocked(Delivery("dl_3", "alert", "email", "lead/ld_1", "t", to="u_1")) == "no email address"
