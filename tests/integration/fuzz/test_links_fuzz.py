"""Action link pages under arbitrary input (CONTRACT §12): any path token and any form body, by GET
or POST, answers an HTML page — 404 for what we did not sign, 410 for what expired — never a 5xx,
never JSON, and changes nothing (quotes, leads, cases, events)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.container import utc_now
from shared.adapters.dynamo.models import CaseItem, EventItem, LeadItem, QuoteItem
from shared.kernel.domain.links import LinkClaims, make_token
from tests.conftest import LINK_SECRET
from tests.integration.fuzz.strategies import hostile_text

EXPIRED = make_token(LinkClaims("u_liu", "approve", "approval/ap_x_1", 1_000_000_000, "old"), LINK_SECRET)
tokens = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=300),
    hostile_text.filter(bool),
    st.sampled_from([EXPIRED, EXPIRED + "x", EXPIRED.replace(".", ".."), "a" * 1025, ".", "%2e%2e"]),
)
forms = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: f"note={quote(t, errors='replace')}".encode()),
    st.just(b"note=" + b"x" * 20_000),
)


def _state() -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan())
        for model in (QuoteItem, LeadItem, CaseItem, EventItem)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=tokens, form=forms, method=st.sampled_from(["GET", "POST"]))
@example(token=EXPIRED, form=b"", method="POST")
def test_any_token_and_form_answer_a_page_and_change_nothing(
    clean_aws: Any, token: str, form: bytes, method: str
) -> None:
    before = _state()
    with Client(app) as client:
        answer = client.http.request(
            method,
            f"/a/{quote(token, safe='', errors='replace')}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=form,
        )
    assert answer.status_code in (404, 410, 413), (answer.status_code, answer.body[:300])
    assert answer.headers["Content-Type"].startswith("text/html")
    assert _state() == before


def test_a_valid_token_for_a_step_that_is_gone_is_the_apis_404(clean_aws: Any) -> None:
    later = int((utc_now() + timedelta(hours=1)).timestamp())
    token = make_token(LinkClaims("u_liu", "reject", "approval/ap_00000000_1", later, "gone-step"), LINK_SECRET)
    with Client(app) as client:
        answer = client.http.post(
            f"/a/{token}", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b""
        )
        again = client.http.post(f"/a/{token}", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"")
    assert answer.status_code == 404 and "approval_not_found" in answer.body.decode()
    assert again.status_code == 404  # refused: the link was not used up
