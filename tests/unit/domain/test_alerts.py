"""Alert text: the subject, what is due and when, in the recipient's zone and the workbook's language."""

from __future__ import annotations

import json

from shared.deliveries.domain.alerts import render_alert, zone

DATA = {"clock": "first_touch", "kind": "lead_first_touch", "owner_id": "u_wang", "due_at": "2026-11-23T02:30:00.000Z"}
PEOPLE = {"u_wang": "王磊 Wang Lei"}


def test_english_in_the_recipients_zone() -> None:
    alert = render_alert("SlaBreached", DATA, "lead/ld_1", "Li Wei (Acme)", zone("Europe/London"), "en", PEOPLE)
    assert alert.title == "⚠️ First touch overdue"
    assert alert.text == (
        "Lead Li Wei (Acme)\nFirst touch due Mon 23 Nov 2026 02:30 (Europe/London, UTC)\nOwner: 王磊 Wang Lei"
    )


def test_chinese_in_shanghai_time() -> None:
    alert = render_alert("SlaWarning", DATA, "lead/ld_1", "张伟 (上海精密制造)", zone("Asia/Shanghai"), "zh-CN", PEOPLE)
    assert alert.title == "⏰ 首次跟进即将到期"
    assert alert.text == "线索 张伟 (上海精密制造)\n首次跟进截止：2026-11-23 周一 10:30（Asia/Shanghai，UTC+08:00）"


def test_cases_and_unknown_names() -> None:
    data = {**DATA, "kind": "case_first_response", "clock": "first_response"}
    alert = render_alert("SlaEscalated", data, "case/cs_9", None, zone("Asia/Shanghai"), "en")
    assert alert.title == "🚨 Escalated: first response still overdue"
    assert alert.text.startswith("Case cs_9\nFirst response due Mon 23 Nov 2026 10:30 (Asia/Shanghai, UTC+08:00)")


def test_zone_falls_back_in_order() -> None:
    assert zone(None, "Not/AZone", "Asia/Tokyo").key == "Asia/Tokyo"
    assert zone(None, None).key == "UTC"


def test_a_segment_alert_names_the_account_its_rfm_and_the_rows_playbook_escaped_for_each_robot() -> None:
    from datetime import UTC, datetime

    from shared.deliveries.domain.chat import ROBOT_KINDS, ChatChannel, robot_post

    data = {
        "from": "新客户",
        "to": "高价值客户",
        "rfm": {"recency_days": 3, "frequency": 2, "monetary": "620199.99"},
        "note": "QBR with the manager",
    }
    hostile = '[点我](https://evil.example) <!channel> <at user_id="all">'
    alert = render_alert("AccountSegmentChanged", data, "account/ac_1", hostile, zone("UTC"), "en")
    assert alert.title == "📊 Customer segment: 高价值客户"
    assert "新客户 → 高价值客户" in alert.text and "3 days ago · 2 orders · 620199.99 spent" in alert.text
    assert alert.text.endswith("Playbook: QBR with the manager")
    zh = render_alert("AccountSegmentChanged", data, "account/ac_1", "上海精密制造", zone("UTC"), "zh-CN")
    assert "跟进策略：QBR with the manager" in zh.text
    for kind in ROBOT_KINDS:
        channel = ChatChannel.parse("ops", {"kind": kind, "url": "https://robot.example/hook"})
        posted = json.dumps(robot_post(channel, alert.title, alert.text, datetime(2026, 12, 1, tzinfo=UTC)).body)
        assert "<!channel>" not in posted, kind
        if kind != "slack":  # Slack's links are <url|text>, escaped above; [text](url) is plain text there
            assert "](https://evil.example)" not in posted, kind
        assert '<at user_id=\\"all\\">' not in posted, kind
