"""An alert's action links in each robot's own format (CONTRACT §12): buttons where the format has
them (DingTalk actionCard, Feishu interactive card, Slack actions block), markdown links on WeCom;
the outside text around them is still escaped, and an alert without links is posted as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.deliveries.domain.chat import LIMITS, ChatChannel, RobotLink, robot_post

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
APPROVE = RobotLink("approve", "Approve", "https://crm.example.com/a/eyJ2IjoxfQ.sig-approve")
REJECT = RobotLink("reject", "Reject", "https://crm.example.com/a/eyJ2IjoxfQ.sig-reject")
TEXT = "Quote <!channel> [x](http://evil) · CNY 720000.00"


def _channel(kind: str, secret: str | None = None) -> ChatChannel:
    return ChatChannel(kind, kind, f"https://robot.example/{kind}", secret)  # type: ignore[arg-type]


def test_wecom_gets_markdown_links_after_the_escaped_text() -> None:
    content = robot_post(_channel("wecom"), "✍️ Approval requested", TEXT, NOW, [APPROVE, REJECT]).body["markdown"][
        "content"
    ]
    assert f"[Approve]({APPROVE.url})" in content and f"[Reject]({REJECT.url})" in content
    assert "[x](http://evil)" not in content and "［x］(http://evil)" in content  # the outside text stays inert


def test_dingtalk_gets_an_action_card_with_one_button_per_link() -> None:
    post = robot_post(_channel("dingtalk", "SEC1"), "✍️ Approval requested", TEXT, NOW, [APPROVE, REJECT])
    assert post.body["msgtype"] == "actionCard" and "sign=" in post.url
    card = post.body["actionCard"]
    assert card["btns"] == [
        {"title": "Approve", "actionURL": APPROVE.url},
        {"title": "Reject", "actionURL": REJECT.url},
    ]
    assert card["btnOrientation"] == "1" and "［x］" in card["text"]


def test_feishu_gets_an_interactive_card_with_url_buttons_and_stays_signed() -> None:
    post = robot_post(_channel("feishu", "s3cret"), "✍️ Approval requested", TEXT, NOW, [APPROVE, REJECT])
    assert post.body["msg_type"] == "interactive" and post.body["timestamp"] and post.body["sign"]
    elements = post.body["card"]["elements"]
    buttons = next(e for e in elements if e["tag"] == "action")["actions"]
    assert [(b["text"]["content"], b["url"], b["type"]) for b in buttons] == [
        ("Approve", APPROVE.url, "primary"),
        ("Reject", REJECT.url, "danger"),
    ]
    assert "＜!channel＞" in elements[0]["text"]["content"]


def test_slack_gets_an_actions_block_of_url_buttons_and_links_in_its_text() -> None:
    body = robot_post(_channel("slack"), "✍️ Approval requested", TEXT, NOW, [APPROVE, REJECT]).body
    actions = body["blocks"][-1]
    assert actions["type"] == "actions"
    assert [(b["url"], b.get("style")) for b in actions["elements"]] == [
        (APPROVE.url, "primary"),
        (REJECT.url, "danger"),
    ]
    assert f"<{APPROVE.url}|Approve>" in body["text"] and "&lt;!channel&gt;" in body["text"]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "slack"])
def test_without_links_the_message_is_as_before(kind: str) -> None:
    body = json.dumps(robot_post(_channel(kind), "⚠️ First touch overdue", "Lead 张伟", NOW).body, ensure_ascii=False)
    assert "actionCard" not in body and "interactive" not in body and '"actions"' not in body and "/a/" not in body


def test_a_long_wecom_alert_is_shortened_and_keeps_its_links() -> None:
    long_text = "\n".join(f"line {n} " + "x" * 80 for n in range(200))
    content = robot_post(_channel("wecom"), "title", long_text, NOW, [APPROVE, REJECT]).body["markdown"]["content"]
    assert len(content.encode()) <= LIMITS["wecom"] and content.endswith(f"[Reject]({REJECT.url})")
