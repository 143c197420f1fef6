"""Whatever arrives at the lead webhook — arbitrary JSON, form bodies, headers, sizes and
encodings — the answer is never a 5xx, and a rejected request leaves nothing behind."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem, LeadItem, LeadKeyItem
from shared.domain.normalize import CONTROL_FIELDS, KNOWN_FIELDS
from tests.integration.api.helpers import signed_headers

FIELDS = [*KNOWN_FIELDS, *CONTROL_FIELDS]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=300),
    st.sampled_from(
        [
            "a@b.cn",
            "13800138000",
            "+1 415 555 0100",
            "中国",
            "制造业",
            "1,000",
            "1e5000",
            "9" * 60,
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "-1",
            "1e309",
            "91350100M000100Y43",
            "yes",
            "上海",
            "\x00",
            "=cmd|' /C calc'!A0",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
lead_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=30), json_values, max_size=25)
bodies = st.one_of(
    lead_objects.map(lambda d: (json.dumps(d, allow_nan=True).encode(), "application/json")),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), st.text(max_size=60), max_size=12).map(
        lambda d: (urlencode(d).encode(), "application/x-www-form-urlencoded")
    ),
    st.binary(max_size=400).map(lambda b: (b, "application/json")),
    st.tuples(
        st.binary(max_size=200),
        st.sampled_from(["text/plain", "multipart/form-data", "", "application/json; charset=gbk", "*/*"]),
    ),
    st.integers(60_000, 70_000).map(
        lambda n: (b'{"email": "big@example.cn", "message": "' + b"x" * n + b'"}', "application/json")
    ),
    json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
)
extra_headers = st.dictionaries(
    st.sampled_from(["Origin", "Idempotency-Key", "X-Closeloop-Signature", "Accept", "Content-Encoding"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    max_size=3,
)


def _counts() -> tuple[int, int, int]:
    return sum(1 for _ in LeadItem.scan()), sum(1 for _ in LeadKeyItem.scan()), sum(1 for _ in EventItem.scan())


@pytest.fixture(scope="module")
def client_and_aws(aws):
    yield aws


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    body=bodies,
    headers=extra_headers,
    source=st.sampled_from(["website", "hubspot", "nope", "legacy-form"]),
    sign=st.booleans(),
)
def test_the_lead_webhook_never_answers_5xx_nor_writes_half(clean_aws, body, headers, source, sign):
    raw, content_type = body
    all_headers = signed_headers(raw) if sign else {}
    all_headers.update({"Content-Type": content_type, **headers})
    before = _counts()
    with Client(app) as client:
        response = client.http.post(f"/webhooks/leads/{source}", body=raw, headers=all_headers)
    assert response.status_code < 500, response.body
    after = _counts()
    if response.status_code >= 400 or (response.status_code == 200 and b"received" in response.body):
        assert after == before, f"a rejected request changed state: {response.status_code} {response.body[:200]!r}"
    else:
        assert response.status_code in (200, 201, 303)
        payload = json.loads(response.body) if response.status_code != 303 else None
        if payload and payload.get("status") == "created":
            assert after[0] == before[0] + 1 and after[2] > before[2]  # lead and its events, together
    _assert_consistent()


def _assert_consistent() -> None:
    leads = {item.lead_id for item in LeadItem.scan()}
    assert {k.lead_id for k in LeadKeyItem.scan()} <= leads, "a key points at a lead that does not exist"
    captured = {e.subject for e in EventItem.scan() if e.type == "LeadCaptured"}
    assert captured == {f"lead/{lead_id}" for lead_id in leads}, "a lead without its LeadCaptured event"
