"""The courier turns an alert's link claims into signed URLs as it sends (CONTRACT §12): email gets
one line per link, in the alert's language; the token is the one the link pages accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.courier import DeliveryCourier
from shared.adapters.settings import Settings
from shared.deliveries.domain.deliveries import Delivery
from shared.kernel.domain.links import links_for, read_token

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Secrets:
    def link_secret(self) -> str:
        return "unit-secret"


def _alert(locale: str) -> Delivery:
    claims = links_for("ApprovalRequested", "quote/qt_1", {"approval_id": "ap_1_1"}, "u_huang", "evt_1", NOW, 72)
    payload: dict[str, Any] = {
        "title": "✍️ Approval requested",
        "text": "Quote 上海精密制造 · CNY 720000.00",
        "links": [c.as_dict() for c in claims],
        "locale": locale,
    }
    return Delivery("dl_1", "alert", "email", "quote/qt_1", NOW.isoformat(), payload, to="u_huang", address="h@x.cn")


def test_an_email_alert_ends_with_its_links_signed_for_the_public_url() -> None:
    courier = DeliveryCourier(Settings(public_url="https://crm.example.com/"), Secrets())  # type: ignore[arg-type]
    text = courier._email_text(_alert("en"))
    lines = text.splitlines()
    assert lines[0] == "Quote 上海精密制造 · CNY 720000.00" and lines[1] == ""
    assert lines[2].startswith("Approve: https://crm.example.com/a/") and lines[3].startswith("Reject: https://")
    token = lines[2].rsplit("/a/", 1)[1]
    claims = read_token(token, "unit-secret", NOW + timedelta(hours=1))
    assert (claims.person, claims.action, claims.subject) == ("u_huang", "approve", "approval/ap_1_1")
    assert [link.label for link in courier.links(_alert("zh-CN"))] == ["批准", "拒绝"]


def test_without_a_link_secret_an_alert_goes_without_links() -> None:
    class NoSecret:
        def link_secret(self) -> None:
            return None

    courier = DeliveryCourier(Settings(), NoSecret())  # type: ignore[arg-type]
    assert (
        courier.links(_alert("en")) == [] and courier._email_text(_alert("en")) == "Quote 上海精密制造 · CNY 720000.00"
    )
