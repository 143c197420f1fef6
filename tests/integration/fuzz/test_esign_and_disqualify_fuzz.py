"""The e-sign webhook and disqualify: arbitrary, hostile input never gives a 5xx, and a refused
request changes nothing (contracts, orders, accounts, leads, events, timers)."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import AccountItem, ContractItem, EventItem, LeadItem, OrderItem, TimerItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, huge_numbers
from tests.unit.services.esign_helpers import approved_quote
from tests.unit.services.helpers import SQL_LEAD, TickingClock, capture

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
            "completed",
            "sent",
            "2027-01-01",
            "2027-02-30",
            "2026-11-22T08:00:00Z",
            "9999-12-31T23:59:59Z",
            "\ud800",
            "\x00",
            "u_liu",
            "x" * 3000,
            "https://evil.com\\@x",
            "a\r\nb",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
envelopes = st.fixed_dictionaries(
    {}, optional={k: odd for k in ("envelope_id", "status", "quote_id", "signed_at", "start_date", "end_date")}
)
disqualifications = st.fixed_dictionaries({}, optional={k: odd for k in ("reason", "by")})
MODELS = (ContractItem, OrderItem, AccountItem, LeadItem, EventItem, TimerItem)


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan()) for model in MODELS
    )


def _seeded(clean_aws: Any) -> dict[str, str]:
    if not getattr(clean_aws, "_fuzz_seed", None):
        active, clock = clean_aws.rules.current(), TickingClock()
        quote = approved_quote(active, clean_aws.uow, clock)
        lead = capture(SQL_LEAD, active, clean_aws.uow, clock).lead
        clean_aws._fuzz_seed = {"quote_id": quote["quote_id"], "lead_id": lead.lead_id}
    return dict(clean_aws._fuzz_seed)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=envelopes, real_quote=st.booleans())
@example(  # the probe's
    payload={"envelope_id": "env-y1", "status": "completed", "start_date": "0001-01-01", "end_date": "2027-12-31"},
    real_quote=True,
)
def test_the_esign_webhook_never_5xx_nor_changes_state_when_refused(
    clean_aws: Any, payload: dict[str, Any], real_quote: bool
) -> None:
    seed = _seeded(clean_aws)
    if real_quote:
        payload = {**payload, "quote_id": seed["quote_id"]}
    before = _state()
    raw = dumps(payload)
    with Client(app) as client:
        answer = client.http.post("/webhooks/esign/esign", body=raw, headers=signed_headers(raw))
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400 or json.loads(answer.body).get("status") == "ignored":
        assert _state() == before
    elif answer.status_code == 201:  # a contract made of fuzzed dates reads back and is recorded once
        made = json.loads(answer.body)
        key = {"X-Api-Key": ADMIN_KEY}
        with Client(app) as client:
            assert client.http.get(f"/contracts/{made['contract_id']}", headers=key).status_code == 200
            assert client.http.get(f"/orders/{made['order_id']}", headers=key).status_code == 200
            assert client.http.get(f"/accounts/{made['account_id']}", headers=key).status_code == 200
            again = client.http.post("/webhooks/esign/esign", body=raw, headers=signed_headers(raw))
        assert again.status_code in (200, 201) and json.loads(again.body)["contract_id"] == made["contract_id"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=disqualifications)
def test_disqualify_never_5xx_nor_changes_state_when_refused(clean_aws: Any, payload: dict[str, Any]) -> None:
    lead_id = _seeded(clean_aws)["lead_id"]
    before = _state()
    raw = dumps(payload)
    headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
    with Client(app) as client:
        answer = client.http.post(f"/leads/{lead_id}/disqualify", body=raw, headers=headers)
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400:
        assert _state() == before
