"""Whatever arrives at the lead webhook — arbitrary JSON, form and multipart bodies, headers,
sizes, encodings, numbers too long to read, text that is not Unicode, control characters,
look-alike characters, honeypot and redirect tricks — the answer is never a 5xx, a rejected
request leaves nothing behind, and what is stored can always be read back."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import urlsplit

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem, LeadItem, LeadKeyItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import (
    BOUNDARY,
    FIELDS,
    HOSTILE_REDIRECTS,
    bodies,
    fullwidth,
    honeypot_values,
    multipart,
    odd_redirects,
    urlencoded,
)

extra_headers = st.dictionaries(
    st.sampled_from(["Origin", "Idempotency-Key", "X-Closeloop-Signature", "Accept", "Content-Encoding"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    max_size=3,
)
_FORM = "application/x-www-form-urlencoded"
MULTI_LINE = {"message", "extra", "touches", "activities", "trace", "quality"}
FUZZ = settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _counts() -> tuple[int, int, int]:
    return sum(1 for _ in LeadItem.scan()), sum(1 for _ in LeadKeyItem.scan()), sum(1 for _ in EventItem.scan())


@pytest.fixture(scope="module")
def client_and_aws(aws):
    yield aws


def _honeypot_filled(fields: object) -> bool:
    """An independent oracle for the honeypot rule: present and not "" or null → a bot."""
    return isinstance(fields, dict) and "_hp" in fields and fields["_hp"] not in ("", None)


@FUZZ
@given(
    body=bodies,
    headers=extra_headers,
    source=st.sampled_from(["website", "hubspot", "nope", "legacy-form"]),
    sign=st.booleans(),
)
def test_the_lead_webhook_never_answers_5xx_nor_writes_half(clean_aws, body, headers, source, sign):
    raw, content_type, fields = body
    all_headers = signed_headers(raw) if sign else {}
    all_headers.update({"Content-Type": content_type, **headers})
    before = _counts()
    with Client(app) as client:
        # the test client encodes the answer as UTF-8 itself: an unencodable answer raises here
        response = client.http.post(f"/webhooks/leads/{source}", body=raw, headers=all_headers)
        assert response.status_code < 500, response.body
        after = _counts()
        received = response.status_code == 200 and b'"received"' in response.body
        sent_back = response.status_code == 303 and "error=" in response.headers.get("Location", "")
        if _honeypot_filled(fields):
            assert after == before, f"a filled honeypot was stored: {fields!r}"
        if response.status_code >= 400 or received or sent_back:
            assert after == before, f"a rejected request changed state: {response.status_code} {response.body[:200]!r}"
        elif not _honeypot_filled(fields):
            assert response.status_code in (200, 201, 303)
            payload = json.loads(response.body) if response.status_code != 303 else None
            if payload and payload.get("status") == "created":
                assert after[0] == before[0] + 1 and after[2] > before[2]  # lead and its events, together
            if payload:
                _assert_readable(client, payload["lead_id"])
    _assert_consistent()


def _assert_readable(client: Client, lead_id: str) -> None:
    """What was stored can be read back, and single-line fields hold no control characters."""
    response = client.http.get(f"/leads/{lead_id}", headers={"X-Api-Key": ADMIN_KEY})
    assert response.status_code == 200, response.body
    lead = json.loads(response.body.decode("utf-8"))
    for name, value in lead.items():
        if isinstance(value, str) and name not in MULTI_LINE:
            bad = [c for c in value if unicodedata.category(c) in ("Cc", "Cs") or c in "\u202a\u202b\u202c\u202d\u202e"]
            assert not bad, f"{name} was stored with {bad!r}"


def _assert_consistent() -> None:
    leads = {item.lead_id for item in LeadItem.scan()}
    assert {k.lead_id for k in LeadKeyItem.scan()} <= leads, "a key points at a lead that does not exist"
    captured = {e.subject for e in EventItem.scan() if e.type == "LeadCaptured"}
    assert captured == {f"lead/{lead_id}" for lead_id in leads}, "a lead without its LeadCaptured event"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    local=st.from_regex(r"[a-z][a-z0-9._]{0,10}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
    domain=st.sampled_from(["example.com", "example.cn", "acme-mfg.com.cn"]),
    mask=st.lists(st.booleans(), min_size=1, max_size=8).filter(any),
    upper=st.booleans(),
)
@example(
    local="conf.user", domain="example.com", mask=[True, False, False, False, False, False, False, False], upper=False
)
def test_a_fullwidth_look_alike_email_is_the_same_lead(clean_aws, local, domain, mask, upper):
    email = f"{local}@{domain}"
    lookalike = fullwidth(email.upper() if upper else email, mask)
    with Client(app) as client:
        first = client.http.post(
            "/webhooks/leads/website", body=urlencoded({"email": email}), headers={"Content-Type": _FORM}
        )
        again = client.http.post(
            "/webhooks/leads/website",
            body=urlencoded({"email": lookalike, "company": "Look-alike Ltd"}),
            headers={"Content-Type": _FORM},
        )
    assert first.status_code in (200, 201) and again.status_code == 200, (first.body, again.body)
    assert json.loads(again.body)["lead_id"] == json.loads(first.body)["lead_id"], f"{lookalike!r} made another lead"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hp=honeypot_values, as_form=st.booleans())
def test_any_honeypot_value_but_empty_stores_nothing(clean_aws, hp, as_form):
    assume(isinstance(hp, str) or not as_form)
    fields = {"email": "honeypot@example.cn", "_hp": hp}
    raw = urlencoded(fields) if as_form else json.dumps(fields).encode()
    before = _counts()
    with Client(app) as client:
        response = client.http.post(
            "/webhooks/leads/website", body=raw, headers={"Content-Type": _FORM if as_form else "application/json"}
        )
    if hp in ("", None):
        assert response.status_code in (200, 201)
    else:
        assert (response.status_code, json.loads(response.body)) == (200, {"status": "received"}), repr(hp)
        assert _counts() == before


ALLOWED_ORIGINS = {"https://www.example.com", "https://example.com"}


def _lands_on_an_allowed_origin(location: str) -> bool:
    """An independent, strict oracle: plain printable ASCII, no backslash, no user info, and an
    http(s) origin of the source's allowed origins."""
    if not location.isascii() or not location.isprintable() or any(c in location for c in " \\"):
        return False
    parts = urlsplit(location)
    return (
        parts.scheme in ("http", "https")
        and "@" not in parts.netloc
        and (f"{parts.scheme}://{parts.netloc.lower().removesuffix(':443')}" in ALLOWED_ORIGINS)
    )


@FUZZ
@given(redirect=odd_redirects)
@example(redirect=HOSTILE_REDIRECTS[0])  # https://evil.com\@www.example.com/thanks: browsers go to evil.com
def test_a_form_redirect_lands_only_on_an_allowed_origin(clean_aws, redirect):
    raw = urlencoded({"email": "redirect@example.cn", "_redirect": redirect})
    with Client(app) as client:
        response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": _FORM})
    assert response.status_code < 500, response.body
    location = response.headers.get("Location")
    assert location is None or _lands_on_an_allowed_origin(location), f"{redirect!r} → Location {location!r}"


plain_forms = st.dictionaries(
    st.sampled_from([f for f in FIELDS if f != "_redirect"]) | st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True),
    st.text(max_size=40) | st.sampled_from(["a@b.cn", "13800138000", "上海", "制造业", "1,000", "on", ""]),
    max_size=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=plain_forms)
def test_a_multipart_form_gets_the_same_answer_as_the_urlencoded_form(clean_aws, fields):
    """What `fetch(url, {body: new FormData(form)})` sends is the same form as a plain post."""
    answers = []
    with Client(app) as client:
        for raw, content_type in (
            (urlencoded(fields), _FORM),
            (multipart(fields), f"multipart/form-data; boundary={BOUNDARY}"),
        ):
            response = client.http.post("/webhooks/leads/website", body=raw, headers={"Content-Type": content_type})
            assert response.status_code < 500, response.body
            answer = json.loads(response.body)
            answers.append((response.status_code < 300, answer.get("lead_id"), answer.get("error", {}).get("fields")))
    assert answers[0] == answers[1], f"{fields!r}: urlencoded {answers[0]} but multipart {answers[1]}"
