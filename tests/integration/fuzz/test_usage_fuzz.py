"""The usage webhook: arbitrary input never gives a 5xx, and a refused report changes nothing
(accounts, events, deliveries)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import AccountItem, DeliveryItem, EventItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, huge_numbers
from tests.unit.services.orders_helpers import CREDIT_CODE, make_order

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**8),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    hostile_text,
    huge_numbers,
    calendar_ends,
    decimal_exponents,
    st.sampled_from(
        [
            "ac_00000000000000000000",
            CREDIT_CODE,
            "91350100M000100Y44",
            "2026-11-22T08:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+05:00",
            "12",
            "\ud800",
            "\x00",
            "x" * 3000,
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
reports = st.fixed_dictionaries(
    {}, optional={k: odd for k in ("account_id", "credit_code", "at", "active_users", "licensed_users")}
)


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (AccountItem, EventItem, DeliveryItem)
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=reports, real_account=st.booleans())
@example(payload={"at": "0001-01-01", "active_users": 1, "licensed_users": 2}, real_account=True)  # the probe's
@example(payload={"at": "0999-06-15T12:00:00Z", "active_users": 1, "licensed_users": 2}, real_account=True)
def test_the_usage_webhook_never_5xx_nor_changes_state_when_refused(
    clean_aws: Any, payload: dict[str, Any], real_account: bool
) -> None:
    c = clean_aws
    if not getattr(clean_aws, "_fuzz_account", None):
        signed = datetime.now(UTC) - timedelta(days=60)
        clean_aws._fuzz_account = make_order(c.uow, c.rules.current(), signed).account_id
    if real_account:
        payload = {**payload, "account_id": clean_aws._fuzz_account}
    before = _state()
    raw = dumps(payload)
    with Client(app) as client:
        answer = client.http.post("/webhooks/usage/product-analytics", body=raw, headers=signed_headers(raw))
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400:
        assert _state() == before
        error = json.loads(answer.body)["error"]
        assert error["code"] in ("validation_failed", "bad_request", "account_not_found")
    if real_account:  # whatever was stored or refused, the account reads and takes a normal report
        account_id = clean_aws._fuzz_account
        shown = client_get(f"/accounts/{account_id}")
        assert shown.status_code == 200, shown.body
        normal = dumps({"account_id": account_id, "active_users": 3, "licensed_users": 5})
        with Client(app) as client:
            again = client.http.post("/webhooks/usage/product-analytics", body=normal, headers=signed_headers(normal))
        assert again.status_code == 200, again.body


def client_get(path: str) -> Any:
    with Client(app) as client:
        return client.http.get(path, headers={"X-Api-Key": ADMIN_KEY})
