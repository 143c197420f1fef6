"""Each chat robot's own message format and signing, checked against vectors computed outside
Python (openssl), so a wrong key/message order in the HMAC cannot pass."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.deliveries.domain.chat import ChatChannel, dingtalk_sign, feishu_sign, robot_answer, robot_post

NOW = datetime.fromtimestamp(1_700_000_000, UTC)
# printf '1700000000000\nSECdemo' | openssl dgst -sha256 -hmac 'SECdemo' -binary | base64
DINGTALK_VECTOR = "lOvVf9TQCVugV68mGbSZCg0gzOl1SVjxWi1MyVZCUuA="
# HMAC-SHA256 keyed by '1700000000\nSECdemo' over an empty message, base64
FEISHU_VECTOR = "U1q8KAchlt+ocM9vRG/rtwroY6XMkyjtyUV9XOpczwI="


def channel(kind: str, secret: str | None = None, url: str = "https://robot.example/hook?key=k") -> ChatChannel:
    return ChatChannel.parse("ops", {"kind": kind, "url": url, "secret": secret})


def test_dingtalk_and_feishu_signatures_match_the_known_vectors() -> None:
    assert dingtalk_sign("SECdemo", 1_700_000_000_000) == DINGTALK_VECTOR
    assert feishu_sign("SECdemo", 1_700_000_000) == FEISHU_VECTOR


def test_wecom_posts_markdown_content_unsigned() -> None:
    post = robot_post(channel("wecom"), "⚠️ First touch overdue", "Lead 张伟", NOW)
    assert post.url == "https://robot.example/hook?key=k"
    assert post.body == {"msgtype": "markdown", "markdown": {"content": "**⚠️ First touch overdue**\nLead 张伟"}}


def test_dingtalk_signs_with_timestamp_and_sign_query_parameters() -> None:
    post = robot_post(
        channel("dingtalk", "SECdemo", "https://oapi.dingtalk.com/robot/send?access_token=t"), "T", "x", NOW
    )
    query = parse_qs(urlsplit(post.url).query)
    assert query["access_token"] == ["t"] and query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [DINGTALK_VECTOR]  # parse_qs decodes the URL-encoding
    assert "sign=lOvVf9TQCVugV68mGbSZCg0gzOl1SVjxWi1MyVZCUuA%3D" in post.url
    assert post.body == {"msgtype": "markdown", "markdown": {"title": "T", "text": "#### T\nx"}}


def test_dingtalk_without_a_secret_is_not_signed() -> None:
    assert "sign=" not in robot_post(channel("dingtalk"), "T", "x", NOW).url


def test_feishu_signs_in_the_body_with_the_timestamp_in_seconds() -> None:
    post = robot_post(channel("feishu", "SECdemo"), "T", "x", NOW)
    assert post.body == {
        "timestamp": "1700000000",
        "sign": FEISHU_VECTOR,
        "msg_type": "text",
        "content": {"text": "T\nx"},
    }
    assert "sign" not in robot_post(channel("feishu"), "T", "x", NOW).body


def test_slack_posts_text_with_blocks() -> None:
    body = robot_post(channel("slack"), "T", "*x*", NOW).body
    assert body["text"] == "T\n*x*"
    assert body["blocks"][1] == {"type": "section", "text": {"type": "mrkdwn", "text": "*x*"}}


@pytest.mark.parametrize(
    ("kind", "status", "body", "verdict"),
    [
        ("wecom", 200, b'{"errcode":0,"errmsg":"ok"}', "delivered"),
        ("wecom", 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}', "final"),
        ("wecom", 200, b'{"errcode":45009,"errmsg":"api freq out of limit"}', "retry"),
        ("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}', "final"),
        ("dingtalk", 200, b'{"errcode":130101,"errmsg":"send too fast"}', "retry"),
        ("feishu", 200, b'{"code":0,"msg":"success"}', "delivered"),
        ("feishu", 200, b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}', "final"),
        ("slack", 200, b"ok", "delivered"),
        ("slack", 404, b"no_service", "final"),
        ("slack", 500, b"", "retry"),
    ],
)
def test_robots_refuse_with_a_200_and_an_error_code(kind: str, status: int, body: bytes, verdict: str) -> None:
    assert robot_answer(kind, status, body).verdict == verdict  # type: ignore[arg-type]


def test_a_channel_needs_a_known_kind_and_a_url() -> None:
    with pytest.raises(ValueError, match="needs kind"):
        ChatChannel.parse("ops", {"kind": "teams", "url": "https://x"})
