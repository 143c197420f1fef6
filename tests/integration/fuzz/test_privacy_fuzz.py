"""POST /privacy/erase and GET /privacy/export: arbitrary bodies and queries never give a 5xx, and a
refused erasure changes nothing (leads, lead keys, cases, events)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import CaseItem, EventItem, LeadItem, LeadKeyItem
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import post_lead
from tests.integration.fuzz.strategies import dumps, hostile_text, huge_numbers

KNOWN = {"email": "fuzz.person@example.cn", "phone": "13912340000", "name": "模糊"}
odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**20),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    hostile_text,
    huge_numbers,
    st.sampled_from(["FUZZ.person@example.cn", "+86 139 1234 0000", "not@", "@", "x" * 400, "\ud800", "a@b"]),
    st.lists(st.text(max_size=5), max_size=2),
    st.dictionaries(st.sampled_from(["email", "phone"]), st.text(max_size=10), max_size=2),
)
bodies = st.one_of(
    st.fixed_dictionaries({}, optional={k: odd for k in ("email", "phone", "name", "lead_id")}),
    st.lists(odd, max_size=2),
    odd,
)
queries = st.dictionaries(st.sampled_from(["email", "phone", "name", "limit"]), st.one_of(st.text(max_size=40),
                          hostile_text), max_size=2)  # fmt: skip


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (LeadItem, LeadKeyItem, CaseItem, EventItem)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=bodies, query=queries)
def test_erasure_and_export_never_5xx_and_a_refusal_changes_nothing(
    clean_aws: Any, payload: Any, query: dict[str, str]
) -> None:
    headers = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
    with Client(app) as client:
        if not getattr(clean_aws, "_fuzz_person", None):
            assert post_lead(client, "website", KNOWN).status_code in (200, 201)
            clean_aws._fuzz_person = True
        before = _state()
        erased = client.http.post("/privacy/erase", body=dumps(payload), headers=headers)
        exported = client.http.get(
            f"/privacy/export?{urlencode(query, errors='surrogatepass')}", headers={"X-Api-Key": ADMIN_KEY}
        )
    assert erased.status_code in (200, 400, 413, 415), erased.body
    assert exported.status_code in (200, 400), exported.body
    if erased.status_code >= 400:
        assert _state() == before
        assert json.loads(erased.body)["error"]["code"] in ("validation_failed", "bad_request")
    else:
        assert set(json.loads(erased.body)["erased"]) == {"leads", "cases", "events"}
