"""SLA alerts end to end over the embedded AWS: a breach alerts the manager by SES email (moto
records the message) and by the WeCom robot (a real HTTP post); DingTalk and Feishu robots get
their own formats, signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infra.local.aws import ACCOUNT_ID, REGION
from schedules.timer_sweep import handler as timer_sweep
from shared.adapters.container import utc_now
from shared.deliveries.domain.deliveries import Delivery
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Save
from shared.leads.services.capture import capture_lead

FRIDAY_1730 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # Shanghai; due Monday 15:00 (5 business hours)
LEAD = {
    "email": "alerts@acme.cn",
    "name": "张伟",
    "company": "上海精密制造",
    "phone": "13800138000",
    "employees": 500,
    "industry": "制造业",
    "title": "采购总监",
    "budget": "500,000",
    "country": "CN",
    "province": "江苏省",
}


def sent_emails() -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends[ACCOUNT_ID][REGION].sent_messages)


def test_a_breach_alerts_the_manager_by_email_and_wecom(configure, receiver, plumbing) -> None:
    container = configure(chat={"wecom": {"kind": "wecom", "url": f"{receiver.url}/wecom"}})
    active = container.rules.current()
    emails_before = len(sent_emails())
    result = capture_lead(LEAD, active.rules.source_named("website"), active, container.uow, lambda: FRIDAY_1730)
    assert result.lead.grade == "sql"
    due = result.lead.sla["first_touch"]["due_at"]
    assert timer_sweep({"time": due}, None)["fired"] == 2  # the warning and the breach
    assert plumbing.drain(30)

    alerts = container.uow.deliveries.listing(kind="alert")
    assert {(d.to, d.channel, d.status) for d in alerts} == {
        (result.lead.owner_id, "wecom", "delivered"),
        ("u_liu", "email", "delivered"),
        ("u_liu", "wecom", "delivered"),
    }
    [email] = sent_emails()[emails_before:]
    assert email.destinations == {"ToAddresses": ["liu.yang@example.com"]}
    assert email.source == "alerts@closeloop.local"
    assert email.subject == "⚠️ First touch overdue"
    assert "Lead 张伟 (上海精密制造)" in email.body and "Mon 23 Nov 2026 15:00 (Asia/Shanghai" in email.body
    posts = [p.json for p in receiver.posts]
    assert len(posts) == 2 and all(p["msgtype"] == "markdown" for p in posts)
    assert any(p["markdown"]["content"].startswith("**⚠️ First touch overdue**\nLead 张伟") for p in posts)

    # a retried sweep at the same instant alerts nobody twice
    assert timer_sweep({"time": due}, None)["fired"] == 0
    assert plumbing.drain(30) and len(receiver.posts) == 2 and len(sent_emails()) == emails_before + 1


def alert(channel: str, now: datetime) -> Delivery:
    return Delivery(
        delivery_id=f"dl_{channel}",
        kind="alert",
        channel=channel,
        about="lead/ld_1",
        created_at=iso(now),
        payload={"title": "⏰ First touch due soon", "text": "Lead 张伟"},
        to="u_wang",
        cause="tm_1",
    )


def test_dingtalk_and_feishu_robots_get_their_own_signed_formats(configure, receiver, plumbing) -> None:
    chat = {
        "ding": {"kind": "dingtalk", "url": f"{receiver.url}/robot/send?access_token=abc", "secret": "SECding"},
        "lark": {"kind": "feishu", "url": f"{receiver.url}/open-apis/bot/v2/hook/x", "secret": "SEClark"},
    }
    container = configure(chat=chat)
    now = utc_now()
    container.uow.commit(Change(saves=[Save(alert("ding", now), None), Save(alert("lark", now), None)]))
    assert plumbing.drain(30)
    ding = next(p for p in receiver.posts if p.path.startswith("/robot/send"))
    query = parse_qs(urlsplit(ding.path).query)
    stamp = query["timestamp"][0]
    expected = hmac.new(b"SECding", f"{stamp}\nSECding".encode(), hashlib.sha256).digest()
    assert query["access_token"] == ["abc"] and query["sign"] == [base64.b64encode(expected).decode()]
    assert abs(int(stamp) / 1000 - now.timestamp()) < 60
    assert ding.json == {
        "msgtype": "markdown",
        "markdown": {"title": "⏰ First touch due soon", "text": "#### ⏰ First touch due soon\nLead 张伟"},
    }
    lark = next(p for p in receiver.posts if p.path.startswith("/open-apis"))
    body = lark.json
    key = f"{body['timestamp']}\nSEClark".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and body["content"] == {"text": "⏰ First touch due soon\nLead 张伟"}
    assert {d.status for d in container.uow.deliveries.listing(kind="alert")} == {"delivered"}


def test_an_unconfigured_chat_channel_waits_without_an_attempt(configure, plumbing) -> None:
    container = configure(chat={})
    container.uow.commit(Change(saves=[Save(alert("wecom", utc_now()), None)]))
    assert plumbing.drain(30)
    [waiting] = container.uow.deliveries.listing(kind="alert")
    assert waiting.status == "pending" and waiting.waiting == "chat channel 'wecom' is not configured"
    assert waiting.attempts == [] and waiting.next_attempt_at is not None
    later = datetime.fromisoformat(waiting.next_attempt_at.replace("Z", "+00:00")) + timedelta(seconds=1)
    assert timer_sweep({"time": iso(later)}, None)["fired"] == 1  # it looks again by itself


def test_ses_refusing_an_unverified_sender_fails_the_email_for_good(configure, plumbing) -> None:
    container = configure(ses_sender="someone@not-verified.example")
    email = Delivery(
        delivery_id="dl_email",
        kind="alert",
        channel="email",
        about="lead/ld_1",
        created_at=iso(utc_now()),
        payload={"title": "⏰ First touch due soon", "text": "Lead 张伟"},
        to="u_liu",
        address="liu.yang@example.com",
        cause="tm_1",
    )
    before = len(sent_emails())
    container.uow.commit(Change(saves=[Save(email, None)]))
    assert plumbing.drain(30)
    [failed] = container.uow.deliveries.listing(kind="alert")
    assert failed.status == "failed" and failed.last_answer == "400 MessageRejected" and failed.dead_lettered
    assert len(sent_emails()) == before
