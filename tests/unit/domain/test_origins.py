"""Development origins: pages on this machine may post only where the local stack allows them."""

from __future__ import annotations

import pytest

from shared.kernel.domain.errors import Forbidden, InvalidRedirect
from shared.leads.domain.origins import (
    DEV_ORIGINS_HINT,
    DevOrigins,
    check_public_origin,
    dev_origin_allowed,
    is_dev_origin,
    origin_allowed,
    refusal_hint,
)
from shared.leads.domain.redirects import redirect_target
from shared.rules.domain.rules import Source

DEV = [
    "null",  # a page opened from disk
    "http://localhost:5500",
    "http://localhost",
    "http://127.0.0.1:8000",
    "http://[::1]:3000",
    "https://localhost:5173",
    "HTTP://LOCALHOST:5500",
]
NOT_DEV = [
    "http://localhost.evil.com",
    "http://evil.com",
    "http://localhost@evil.com",
    "http://localhost:5500/path",
    "http://localhost:5500.evil.com",
    "http://127.0.0.1.nip.io",
    "http://10.0.0.1:8000",
    "http://0.0.0.0:8000",
    "file://",
    "NULL",
    "null ",
    "",
    "ftp://localhost",
]


@pytest.mark.parametrize("origin", DEV)
def test_pages_on_this_machine_are_dev_origins(origin: str) -> None:
    assert is_dev_origin(origin)
    assert dev_origin_allowed(origin, DevOrigins.ALLOWED)
    assert not dev_origin_allowed(origin, DevOrigins.REFUSED)
    assert not dev_origin_allowed(origin, DevOrigins.NEVER)


@pytest.mark.parametrize("origin", NOT_DEV)
def test_other_origins_are_not(origin: str) -> None:
    assert not is_dev_origin(origin)
    assert not dev_origin_allowed(origin, DevOrigins.ALLOWED)


def test_only_the_local_stack_without_the_flag_hints_at_it() -> None:
    assert refusal_hint("http://localhost:5500", DevOrigins.REFUSED) == f"; {DEV_ORIGINS_HINT}"
    assert refusal_hint("http://localhost:5500", DevOrigins.NEVER) == ""  # a deployed stack: no such flag
    assert refusal_hint("https://evil.example", DevOrigins.REFUSED) == ""  # the flag would not help
    assert "closeloop dev --allow-dev-origins" in DEV_ORIGINS_HINT and "CLOSELOOP_DEV_ORIGINS=on" in DEV_ORIGINS_HINT


@pytest.fixture
def website() -> Source:
    return Source("website", "public", allowed_origins=("https://www.example.com",))


def test_a_public_source_takes_dev_origins_only_when_allowed(website) -> None:
    for origin in ("http://localhost:5500", "null", "http://127.0.0.1:8080"):
        assert origin_allowed(origin, website, DevOrigins.ALLOWED)
        assert not origin_allowed(origin, website, DevOrigins.REFUSED)
        assert not origin_allowed(origin, website)  # the default is a deployed stack's
        check_public_origin(origin, website, DevOrigins.ALLOWED)


def test_the_refusal_says_how_to_allow_a_dev_origin_locally(website) -> None:
    with pytest.raises(Forbidden) as local:
        check_public_origin("http://localhost:5500", website, DevOrigins.REFUSED)
    assert str(local.value) == (
        "origin 'http://localhost:5500' is not allowed to post to source 'website'; " + DEV_ORIGINS_HINT
    )
    with pytest.raises(Forbidden) as deployed:
        check_public_origin("http://localhost:5500", website, DevOrigins.NEVER)
    assert str(deployed.value) == "origin 'http://localhost:5500' is not allowed to post to source 'website'"


def test_the_flag_does_not_open_other_origins(website) -> None:
    with pytest.raises(Forbidden, match="not allowed"):
        check_public_origin("https://evil.example", website, DevOrigins.ALLOWED)


ALLOWED = ["https://www.allowed.cn"]


@pytest.mark.parametrize(
    "url",
    ["http://localhost:5500/thanks.html", "http://127.0.0.1:43123/web-form/thanks.html?lang=zh", "http://[::1]:80/"],
)
def test_a_redirect_back_to_a_dev_page_needs_the_flag(url: str) -> None:
    assert redirect_target(url, ALLOWED, DevOrigins.ALLOWED).startswith(url.split("/")[0])
    with pytest.raises(InvalidRedirect) as local:
        redirect_target(url, ALLOWED, DevOrigins.REFUSED)
    assert local.value.message.endswith(DEV_ORIGINS_HINT)
    assert local.value.fields == {"_redirect": "must be on one of this source's allowed origins"}
    with pytest.raises(InvalidRedirect) as deployed:
        redirect_target(url, ALLOWED)
    assert DEV_ORIGINS_HINT not in deployed.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost.evil.com/thanks",
        "http://evil.com\\@localhost:5500/",
        "http://localhost:5500@evil.com/",
        "file:///home/me/web-form/thanks.html",  # a page on disk cannot be a redirect target
        "null",
    ],
)
def test_the_flag_does_not_widen_redirects_beyond_this_machine(url: str) -> None:
    with pytest.raises(InvalidRedirect):
        redirect_target(url, ALLOWED, DevOrigins.ALLOWED)
