"""Outside text in chat alerts (CONTRACT §14): a lead's name can never mention people, make a
link or change the formatting in any robot, and a long alert is shortened to the robot's limit."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.deliveries.domain.alerts import render_alert, zone
from shared.deliveries.domain.chat import ROBOT_KINDS, ChatChannel, robot_post

NOW = datetime.fromtimestamp(1_700_000_000, UTC)
SLA = {"kind": "first_touch", "due_at": "2026-11-23T02:10:00.000Z", "owner_id": "o_li"}
MARKUP = "[]<>*`~#"  # every robot's link, tag, emphasis, code and heading characters


def channel(kind: str) -> ChatChannel:
    return ChatChannel.parse("ops", {"kind": kind, "url": "https://robot.example/hook?key=k"})


def message(kind: str, name: str, title: str = "⚠️ First touch overdue") -> str:
    """What the people in the group read: the text of the robot's post."""
    text = render_alert("SlaBreached", SLA, "lead/ld_1", name, zone("UTC"), "en").text
    body = robot_post(channel(kind), title, text, NOW).body
    if kind == "wecom":
        return str(body["markdown"]["content"])
    if kind == "dingtalk":
        return str(body["markdown"]["text"])
    if kind == "feishu":
        return str(body["content"]["text"])
    return str(body["blocks"][1]["text"]["text"])


def test_a_lead_named_channel_does_not_ping_a_slack_channel() -> None:
    post = robot_post(channel("slack"), "T", "Lead <!channel> & <@U123> (<https://x.example|win>)", NOW).body
    assert post["blocks"][1]["text"]["text"] == (
        "Lead &lt;!channel&gt; &amp; &lt;@U123&gt; (&lt;https://x.example|win&gt;)"
    )
    assert "<" not in post["text"] and ">" not in post["text"]


@pytest.mark.parametrize(
    ("kind", "hostile"),
    [
        ("wecom", '<@zhangsan> <font color="warning">急</font>'),
        ("feishu", '<at user_id="all">所有人</at>'),
        ("dingtalk", "[点我领奖](https://evil.example/win)"),
        ("wecom", "[点我领奖](https://evil.example/win)"),
        ("dingtalk", "**VIP** # 标题 > 引用 `code` ~~删~~ _斜_"),
    ],
)
def test_markup_in_a_name_arrives_as_text(kind: str, hostile: str) -> None:
    shown = message(kind, hostile)
    assert "Lead " in shown
    name_part = shown.split("Lead ", 1)[1].split("\n")[0]
    assert not any(ch in name_part for ch in MARKUP), name_part
    assert not re.search(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", name_part)
    assert "点我领奖" in name_part or "@" in name_part or "VIP" in name_part or "所有人" in name_part


def test_ids_keep_their_underscores() -> None:
    post = robot_post(channel("dingtalk"), "T", "Case cs_01JABC resolved", NOW).body
    assert "cs_01JABC" in post["markdown"]["text"]


hostile_text = st.text(alphabet=st.sampled_from(list(MARKUP + "_&!@()|:/ab张伟\n")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(name=hostile_text, kind=st.sampled_from(ROBOT_KINDS))
def test_no_name_can_carry_markup_into_any_robot(name: str, kind: str) -> None:
    text = f"Lead {name}"
    body = robot_post(channel(kind), "T", text, NOW).body
    if kind == "slack":
        shown = body["blocks"][1]["text"]["text"]
        assert "<" not in shown and ">" not in shown
        assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", shown, re.S)
        # Slack shows exactly what was typed
        assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text
    else:
        shown = (
            body["content"]["text"]
            if kind == "feishu"
            else body["markdown"].get("content", body["markdown"].get("text"))
        )
        content = shown.split("\n", 1)[1]  # after the title line
        assert not any(ch in content for ch in MARKUP)
        assert not re.search(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", content)


def _held(cases: int, zh: bool = False) -> tuple[str, str]:
    data = {
        "contract_id": "ct_01JXYZ",
        "end_date": "2027-01-31",
        "amount": "1200000.00",
        "currency": "CNY",
        "account_manager_id": "o_li",
        "case_ids": [f"cs_01JZZZZZZZZZZZZZZZZZZZZZ{i:03d}" for i in range(cases)],
    }
    alert = render_alert(
        "RenewalHeld", data, "contract/ct_01JXYZ", "上海精密制造", zone("UTC"), "zh-CN" if zh else "en"
    )
    return alert.title, alert.text


@pytest.mark.parametrize("zh", [False, True])
def test_a_renewal_held_by_130_p1_cases_fits_slack_and_wecom(zh: bool) -> None:
    title, text = _held(130, zh)
    slack = robot_post(channel("slack"), title, text, NOW).body
    assert len(slack["blocks"][1]["text"]["text"]) <= 3000
    wecom = robot_post(channel("wecom"), title, text, NOW).body
    assert len(wecom["markdown"]["content"].encode()) <= 4096
    assert ("等共 130 个" if zh else "… and 110 more") in wecom["markdown"]["content"]


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=12_000), kind=st.sampled_from(ROBOT_KINDS))
def test_any_alert_fits_its_robot(name: str, kind: str) -> None:
    """However long the outside text, the message is within the robot's documented limit."""
    text = render_alert("SlaBreached", SLA, "lead/ld_1", name, zone("UTC"), "en").text
    body = robot_post(channel(kind), "⚠️ First touch overdue", text, NOW).body
    if kind == "slack":
        assert len(body["blocks"][1]["text"]["text"]) <= 3000
    elif kind == "wecom":
        assert len(body["markdown"]["content"].encode()) <= 4096
    else:
        assert len(json.dumps(body, ensure_ascii=False).encode()) <= 20_000


def test_a_long_name_is_cut_and_says_what_was_left_out() -> None:
    text = render_alert("SlaBreached", SLA, "lead/ld_1", "名" * 3000, zone("UTC"), "en").text
    content = robot_post(channel("wecom"), "⚠️ First touch overdue", text, NOW).body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("… and 2 more line(s)") and "名名…" in content
