"""Case webhooks and case events: arbitrary input never gives a 5xx, and a rejected request
changes nothing (cases, keys, events, timers, owner loads)."""

from __future__ import annotations

import json
from typing import Any

from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import CaseItem, EventItem, LeadKeyItem, RoutingStateItem, TimerItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, huge_numbers

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    hostile_text,
    huge_numbers,
    calendar_ends,
    decimal_exponents,
    st.sampled_from(
        [
            "P1",
            "p4",
            "phone",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "1999-01-01T00:00:00Z",
            "91350100M000100Y43",
            "China",
            "u_he",
            "resolved",
            "customer_replied",
            "csat",
            "x" * 3000,
            "\ud800",
            "\x00",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(["account_id", "credit_code", "company", "country", "name", "email"]),
        st.text(max_size=20),
        max_size=3,
    ),
)
cases = st.fixed_dictionaries(
    {},
    optional={k: odd for k in ("external_id", "subject", "priority", "channel", "account", "contact", "opened_at")},
)
events = st.fixed_dictionaries({}, optional={k: odd for k in ("type", "by", "at", "note", "score")})


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (CaseItem, LeadKeyItem, EventItem, RoutingStateItem, TimerItem)
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=cases, event=events, use_real_case=st.booleans())
def test_case_routes_never_5xx_nor_change_state_when_rejected(
    clean_aws: Any, payload: Any, event: Any, use_real_case: bool
) -> None:
    with Client(app) as client:
        if not getattr(clean_aws, "_fuzz_case", None):
            raw = json.dumps({"external_id": "fuzz", "priority": "P2", "account": {"account_id": "a-1"}}).encode()
            created = client.http.post("/webhooks/cases/contact-center", body=raw, headers=signed_headers(raw))
            clean_aws._fuzz_case = json.loads(created.body)["case_id"]
        before = _state()
        raw = dumps(payload)
        answer = client.http.post("/webhooks/cases/contact-center", body=raw, headers=signed_headers(raw))
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state() == before
        else:  # what was accepted reads back, and the case takes a normal event after it
            _read_back_and_use(client, json.loads(answer.body)["case_id"])
        before = _state()
        case_id = clean_aws._fuzz_case if use_real_case else "cs_00000000000000000000"
        raw = dumps(event)
        answer = client.http.post(
            f"/cases/{case_id}/events", body=raw, headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
        )
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state() == before
        shown = client.http.get(f"/cases/{case_id}", headers={"X-Api-Key": ADMIN_KEY})
        assert shown.status_code in (200, 404)
        if answer.status_code < 300:
            _read_back_and_use(client, case_id)


def _read_back_and_use(client: Any, case_id: str) -> None:
    shown = client.http.get(f"/cases/{case_id}", headers={"X-Api-Key": ADMIN_KEY})
    assert shown.status_code == 200, shown.body
    note = json.dumps({"type": "note", "by": "u_he", "note": "checked after the fuzz"}).encode()
    headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
    again = client.http.post(f"/cases/{case_id}/events", body=note, headers=headers)
    assert again.status_code < 300, again.body
    assert client.http.get(f"/cases/{case_id}", headers={"X-Api-Key": ADMIN_KEY}).status_code == 200
