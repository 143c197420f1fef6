"""The survey webhook and GET /accounts?segment=: arbitrary input never gives a 5xx, and a refused
answer changes nothing (accounts, events)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import AccountItem, EventItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, huge_numbers
from tests.unit.services.orders_helpers import CREDIT_CODE, make_order

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=12),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    hostile_text,
    huge_numbers,
    calendar_ends,
    decimal_exponents,
    st.sampled_from([CREDIT_CODE, "ac_00000000000000000000", "2026-11-22T08:00:00Z", "\ud800", "x" * 3000]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["email", "x"]), st.one_of(st.text(max_size=20), hostile_text), max_size=2),
)
answers = st.fixed_dictionaries({}, optional={k: odd for k in ("account_id", "credit_code", "respondent", "score",
                                                               "comment", "at")})  # fmt: skip
queries = st.dictionaries(
    st.sampled_from(["segment", "limit", "cursor", "owner"]), st.one_of(st.text(max_size=40), hostile_text), max_size=3
)


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (AccountItem, EventItem)
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=answers, real_account=st.booleans(), query=queries)
def test_surveys_and_the_segment_listing_never_5xx(
    clean_aws: Any, payload: dict[str, Any], real_account: bool, query: dict[str, str]
) -> None:
    c = clean_aws
    if not getattr(clean_aws, "_fuzz_account", None):
        clean_aws._fuzz_account = make_order(c.uow, c.rules.current(), datetime.now(UTC) - timedelta(days=1)).account_id
    if real_account:
        payload = {**payload, "account_id": clean_aws._fuzz_account}
    before = _state()
    raw = dumps(payload)
    with Client(app) as client:
        answer = client.http.post("/webhooks/surveys/nps-survey", body=raw, headers=signed_headers(raw))
        listed = client.http.get(
            f"/accounts?{urlencode(query, errors='surrogatepass')}", headers={"X-Api-Key": ADMIN_KEY}
        )
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400:
        assert _state() == before
        assert json.loads(answer.body)["error"]["code"] in ("validation_failed", "bad_request", "account_not_found")
    assert listed.status_code in (200, 400), listed.body
