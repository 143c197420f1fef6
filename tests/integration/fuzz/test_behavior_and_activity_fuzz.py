"""Behaviour webhooks and sales activities: arbitrary input never gives a 5xx, and a rejected
request changes nothing (leads, keys, events, routing state)."""

from __future__ import annotations

import json

from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem, LeadItem, LeadKeyItem, RoutingStateItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, huge_numbers

odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    hostile_text,
    huge_numbers,
    calendar_ends,
    decimal_exponents,
    st.sampled_from(
        [
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "2026-11-22T08:00:00Z",
            "1e5000",
            "email_open",
            "demo_request",
            "unsubscribe",
            "call",
            "meeting",
            "u_wang",
            "x" * 3000,
            "\ud800",
            "\x00",
            "ｆｕｚｚ.ｔａｒｇｅｔ@example.cn",
        ]
    ),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
behaviours = st.fixed_dictionaries({}, optional={"email": odd, "lead_id": odd, "event": odd, "at": odd})
activities = st.fixed_dictionaries({}, optional={"type": odd, "by": odd, "at": odd, "note": odd})


def _state() -> tuple:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (LeadItem, LeadKeyItem, EventItem, RoutingStateItem)
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=behaviours, activity=activities, use_real_lead=st.booleans())
def test_behaviour_and_activities_never_5xx_nor_change_state_when_rejected(clean_aws, payload, activity, use_real_lead):
    with Client(app) as client:
        if not getattr(clean_aws, "_fuzz_lead", None):
            raw = json.dumps({"email": "fuzz.target@example.cn", "employees": 300}).encode()
            created = client.http.post("/webhooks/leads/hubspot", body=raw, headers=signed_headers(raw))
            clean_aws._fuzz_lead = json.loads(created.body)["lead_id"]
        if use_real_lead:
            payload = {**payload, "lead_id": clean_aws._fuzz_lead}
        before = _state()
        raw = dumps(payload)
        answer = client.http.post("/webhooks/behavior/hubspot", body=raw, headers=signed_headers(raw))
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state() == before
        before = _state()
        raw = dumps(activity)
        lead_id = clean_aws._fuzz_lead if use_real_lead else "ld_00000000000000000000"
        answer = client.http.post(
            f"/leads/{lead_id}/activities",
            body=raw,
            headers={"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"},
        )
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state() == before
        if use_real_lead:  # whatever was accepted, the lead can still be read back
            read = client.http.get(f"/leads/{lead_id}", headers={"X-Api-Key": ADMIN_KEY})
            assert read.status_code == 200 and json.loads(read.body.decode("utf-8"))["lead_id"] == lead_id
            # and it takes a normal activity and a normal behaviour after it
            call = json.dumps({"type": "call", "by": "u_wang"}).encode()
            headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
            assert client.http.post(f"/leads/{lead_id}/activities", body=call, headers=headers).status_code < 300
            opened = json.dumps({"lead_id": lead_id, "event": "email_open"}).encode()
            seen = client.http.post("/webhooks/behavior/hubspot", body=opened, headers=signed_headers(opened))
            assert seen.status_code < 300, seen.body
            assert client.http.get(f"/leads/{lead_id}", headers={"X-Api-Key": ADMIN_KEY}).status_code == 200
