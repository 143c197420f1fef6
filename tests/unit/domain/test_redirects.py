"""redirect_target: a form's `_redirect` goes only where a browser would land on an allowed origin."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.kernel.domain.errors import InvalidRedirect
from shared.leads.domain.redirects import MAX_REDIRECT_LENGTH, redirect_target

ALLOWED = ["https://www.allowed.cn", "http://localhost:8080", "https://例子.cn"]


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://www.allowed.cn/thanks", "https://www.allowed.cn/thanks"),
        ("https://www.allowed.cn", "https://www.allowed.cn"),
        ("https://www.allowed.cn:443/ok", "https://www.allowed.cn/ok"),
        ("https://www.allowed.cn:0443/ok", "https://www.allowed.cn/ok"),
        ("https://www.allowed.cn:/ok", "https://www.allowed.cn/ok"),
        ("https://WWW.ALLOWED.cn/Thanks", "https://www.allowed.cn/Thanks"),
        ("HTTPS://www.allowed.cn/x", "https://www.allowed.cn/x"),
        ("https://www.allowed.cn/thanks?from=form&lang=zh#top", "https://www.allowed.cn/thanks?from=form&lang=zh#top"),
        (
            "https://www.allowed.cn/谢谢?名=张伟",
            "https://www.allowed.cn/%E8%B0%A2%E8%B0%A2?%E5%90%8D=%E5%BC%A0%E4%BC%9F",
        ),
        ("https://www.allowed.cn/a%20b", "https://www.allowed.cn/a%20b"),
        ("https://www.allowed.cn/thanks?next=https://evil.com", "https://www.allowed.cn/thanks?next=https://evil.com"),
        ("http://localhost:8080/done", "http://localhost:8080/done"),
        # a unicode host and its punycode are one host to a browser
        ("https://例子.cn/谢谢", "https://xn--fsqu00a.cn/%E8%B0%A2%E8%B0%A2"),
        ("https://xn--fsqu00a.cn/ok", "https://xn--fsqu00a.cn/ok"),
        ("https://例子。cn/ok", "https://xn--fsqu00a.cn/ok"),  # an ideographic full stop is a dot
        ("https://ｗｗｗ.allowed.cn/ok", "https://www.allowed.cn/ok"),  # fullwidth letters map to ASCII
    ],
)
def test_a_plain_url_on_an_allowed_origin_is_the_target(url: str, target: str) -> None:
    assert redirect_target(url, ALLOWED) == target


def test_allowed_origins_are_compared_as_browsers_read_them() -> None:
    assert redirect_target("https://xn--fsqu00a.cn/", ["HTTPS://例子.CN:443/"]) == "https://xn--fsqu00a.cn/"
    assert redirect_target("https://例子.cn/", ["https://xn--fsqu00a.cn"]) == "https://xn--fsqu00a.cn/"
    assert redirect_target("https://a.cn/", [" https://a.cn ", "not a url", "javascript:x"]) == "https://a.cn/"


HOSTILE = [
    # parsers disagree: Python sees the allowed host, browsers go to evil.com
    "https://evil.com\\@www.allowed.cn/thanks",
    "https://evil.com\\www.allowed.cn/",
    "https:/\\evil.com",
    "https:\\\\evil.com",
    "/\\evil.com",
    "https://evil.com\\.www.allowed.cn/",
    # user info
    "https://www.allowed.cn@evil.com",
    "https://www.allowed.cn:443@evil.com/",
    "https://user:pass@www.allowed.cn/",
    "https://www.allowed.cn%2F@evil.com",
    "https://www.allowed.cn%40evil.com/",
    "https://%77ww.allowed.cn/",
    # no scheme, no host, or browsers fill in the host
    "//evil.com",
    "//www.allowed.cn/thanks",
    "/thanks",
    "thanks",
    "",
    "https://",
    "https:///evil.com",
    "https:evil.com",
    "https:www.allowed.cn/thanks",
    "https://:443/",
    # other schemes
    "javascript:alert(document.cookie)",
    "JavaScript://www.allowed.cn/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://www.allowed.cn/",
    "file:///etc/passwd",
    "wss://www.allowed.cn/",
    # controls and whitespace anywhere (browsers strip some of them and join the rest)
    "https://www.allowed.cn/thanks\r\nSet-Cookie: a=b",
    "https://www.allowed.cn/\nx",
    "https://evil.com\t.www.allowed.cn/",
    "ht\ttps://www.allowed.cn/",
    " https://www.allowed.cn/",
    "https://www.allowed.cn/ ",
    "https://www.allowed.cn/\x00",
    "\x00https://www.allowed.cn/",
    "https://www.allowed.cn/\u202e",
    "https://www.allo\u00adwed.cn/",  # a soft hyphen vanishes in a browser's host
    "https://www.allowed.cn/\u3000",
    "https://www.allowed.cn/\ud800",
    # other hosts, ports, look-alikes
    "https://evil.com/",
    "https://www.allowed.cn.evil.com/",
    "https://evil.com#@www.allowed.cn",
    "https://evil.com?@www.allowed.cn",
    "https://www.allowed.cn:8443/",
    "https://www.allowed.cn:99999/",
    "https://www.allowed.cn:443:443/",
    "https://www.allowed.cn:x/",
    "http://www.allowed.cn/",  # another scheme is another origin
    "https://www.allowed.cn./",
    "https://www..allowed.cn/",
    "https://[::1]/",
    "https://127.0.0.1/",
    "https://xn--80ak6aa92e.com/",  # punycode of a Cyrillic look-alike
    "https://www.аllowed.cn/",  # Cyrillic а
    "https://www.allowed.cn" + "/x" * MAX_REDIRECT_LENGTH,
]


@pytest.mark.parametrize("url", HOSTILE)
def test_a_hostile_redirect_is_refused(url: str) -> None:
    with pytest.raises(InvalidRedirect) as caught:
        redirect_target(url, ALLOWED)
    error = caught.value
    assert error.code == "invalid_redirect"
    assert set(error.fields) == {"_redirect"}
    assert error.message.isprintable()  # the refusal never echoes a control character back


@pytest.mark.parametrize("bad", [None, 42, ["https://www.allowed.cn/"]])
def test_a_redirect_that_is_not_text_is_refused(bad: object) -> None:
    with pytest.raises(InvalidRedirect):
        redirect_target(bad, ALLOWED)  # type: ignore[arg-type]


def test_nothing_is_allowed_without_allowed_origins() -> None:
    with pytest.raises(InvalidRedirect):
        redirect_target("https://www.allowed.cn/", [])


def test_the_longest_allowed_url_is_fine() -> None:
    url = "https://www.allowed.cn/" + "x" * (MAX_REDIRECT_LENGTH - len("https://www.allowed.cn/"))
    assert redirect_target(url, ALLOWED) == url


# --- a property: whatever is accepted is plain, and lands where a browser lands ----------------

_pieces = st.sampled_from(
    [
        "https:",
        "http:",
        "//",
        "/",
        "\\",
        "@",
        ":",
        "443",
        "%2F",
        "%40",
        "#",
        "?",
        ".",
        "evil.com",
        "www.allowed.cn",
        "例子.cn",
        "xn--fsqu00a.cn",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "\u202e",
        "ｗ",
        "。",
        "javascript:",
        "[::1]",
        "user",
    ]
)


@given(st.lists(_pieces | st.text(max_size=4), max_size=10).map("".join))
def test_an_accepted_target_is_plain_ascii_on_an_allowed_host(url: str) -> None:
    try:
        target = redirect_target(url, ALLOWED)
    except InvalidRedirect:
        return
    assert target.isascii() and target.isprintable() and "\\" not in target and " " not in target
    parts = urlsplit(target)
    assert parts.scheme in ("http", "https") and "@" not in parts.netloc
    assert f"{parts.scheme}://{parts.netloc}" in {
        "https://www.allowed.cn",
        "http://localhost:8080",
        "https://xn--fsqu00a.cn",
    }
