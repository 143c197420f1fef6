"""Every route's list fields and dates under the fuzz classes issue 15 added: the ends of the
calendar at every UTC offset, Decimal exponents, lists of the wrong shape. Never a 5xx, a
refusal changes nothing, and whatever was accepted reads back and takes a normal request after."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.api.app import app
from shared.adapters.dynamo.models import EventItem, OpportunityItem, OrderItem, QuoteItem
from shared.kernel.domain.events import iso
from tests.conftest import ADMIN_KEY
from tests.integration.api.helpers import signed_headers
from tests.integration.fuzz.strategies import calendar_ends, decimal_exponents, dumps, hostile_text, wrong_shapes
from tests.unit.services.orders_helpers import make_order

KEY = {"X-Api-Key": ADMIN_KEY, "Content-Type": "application/json"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
odd = st.one_of(st.none(), st.integers(-2, 12), st.text(max_size=12), hostile_text, decimal_exponents, calendar_ends)
quote_lines = st.fixed_dictionaries(
    {"sku": st.sampled_from(["IOT-PLAT-STD", "NOPE"]) | odd},
    optional={"quantity": st.integers(1, 3) | odd, "discount": st.sampled_from(["5%", 0.1]) | decimal_exponents | odd},
)
shipment_lines = st.fixed_dictionaries(
    {"sku": st.sampled_from(["CL-PRO", "CL-ONB"]) | odd}, optional={"quantity": st.integers(1, 3) | odd}
)
days = calendar_ends | st.sampled_from(["2027-06-30", "2026-02-29", "2027-W01-1"]) | odd
query_days = calendar_ends | st.sampled_from(["2027-06-30", "2026-02-29", "2027-W01-1", "", "1e999999999", "9" * 30])


def _state(*models: Any) -> tuple[Any, ...]:
    return tuple(
        sorted(json.dumps(i.attribute_values, default=str, sort_keys=True) for i in model.scan()) for model in models
    )


def _opportunity(client: Any, clean_aws: Any) -> str:
    if not getattr(clean_aws, "_fuzz_opportunity", None):
        deal = {"name": "Fuzz", "owner_id": "u_wang", "account": {"company": "Fuzz Co"}}
        made = client.http.post("/opportunities", body=json.dumps(deal), headers=KEY)
        assert made.status_code == 201, made.body
        clean_aws._fuzz_opportunity = json.loads(made.body)["opportunity_id"]
    return str(clean_aws._fuzz_opportunity)


@FUZZ
@given(lines=wrong_shapes(quote_lines), valid_until=st.none() | days)
@example(lines=[{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "1e999999999%"}], valid_until=None)  # the probe's
@example(lines=["IOT-PLAT-STD", [{"sku": "IOT-PLAT-STD"}], None], valid_until="0001-01-01")
def test_quote_lines_and_dates_never_5xx_and_what_is_accepted_is_used_again(
    clean_aws: Any, lines: Any, valid_until: Any
) -> None:
    with Client(app) as client:
        opportunity_id = _opportunity(client, clean_aws)
        before = _state(QuoteItem, OpportunityItem, EventItem)
        payload = {"opportunity_id": opportunity_id, "by": "u_wang", "lines": lines, "valid_until": valid_until}
        answer = client.http.post("/quotes", body=dumps(payload), headers=KEY)
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state(QuoteItem, OpportunityItem, EventItem) == before
            assert json.loads(answer.body)["error"].get("fields"), answer.body
        else:
            quote = json.loads(answer.body)
            shown = client.http.get(f"/quotes/{quote['quote_id']}", headers=KEY)
            assert shown.status_code == 200 and json.loads(shown.body)["lines"] == quote["lines"]
        normal = {"opportunity_id": opportunity_id, "by": "u_wang", "lines": [{"sku": "IOT-PLAT-STD", "quantity": 1}]}
        again = client.http.post("/quotes", body=json.dumps(normal), headers=KEY)
        assert again.status_code == 201, again.body
        assert client.http.get(f"/opportunities/{opportunity_id}", headers=KEY).status_code == 200


@FUZZ
@given(
    lines=st.none() | wrong_shapes(shipment_lines),
    at=st.none() | calendar_ends | odd,
    status=st.sampled_from(["shipped", "signed"]),
)
def test_shipment_lines_and_times_never_5xx_and_what_is_accepted_is_used_again(
    clean_aws: Any, lines: Any, at: Any, status: str
) -> None:
    now = datetime.now(UTC)
    order = make_order(
        clean_aws.uow, clean_aws.rules.current(), now - timedelta(days=1), contract_id=f"ct_{uuid.uuid4().hex[:20]}"
    )
    with Client(app) as client:
        before = _state(OrderItem, EventItem)
        payload = {"shipment_id": "SH-F", "order_id": order.order_id, "status": status, "at": at, "lines": lines}
        raw = dumps(payload)
        answer = client.http.post("/webhooks/shipments/warehouse", body=raw, headers=signed_headers(raw))
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state(OrderItem, EventItem) == before
            normal = dumps(
                {
                    "shipment_id": "SH-N",
                    "order_id": order.order_id,
                    "status": "shipped",
                    "at": iso(now),
                    "lines": [{"sku": "CL-ONB", "quantity": 1}],
                }
            )
        else:
            normal = raw  # the same report again: recorded once, answered alike
        shown = client.http.get(f"/orders/{order.order_id}", headers=KEY)
        assert shown.status_code == 200, shown.body
        again = client.http.post("/webhooks/shipments/warehouse", body=normal, headers=signed_headers(normal))
        assert again.status_code == 200, again.body
        assert client.http.get(f"/orders/{order.order_id}", headers=KEY).status_code == 200


@FUZZ
@given(
    params=st.fixed_dictionaries({}, optional={"from": query_days, "to": query_days}),
    since=st.none() | calendar_ends | st.sampled_from(["999999w", "999999d", "7d"]),
)
@example(params={"from": "9999-12-31"}, since=None)  # the probe's
@example(params={"to": "0001-01-01"}, since="0001-01-01T00:00:00-14:00")
def test_kpi_windows_and_lead_lists_at_the_ends_of_the_calendar_never_5xx(
    clean_aws: Any, params: dict[str, Any], since: Any
) -> None:
    from urllib.parse import urlencode

    with Client(app) as client:
        text = {k: str(getattr(v, "literal", v)) for k, v in params.items() if v is not None}
        answer = client.http.get(f"/kpis?{urlencode(text)}", headers=KEY)
        assert answer.status_code < 500, answer.body
        if answer.status_code == 400:
            assert set(json.loads(answer.body)["error"]["fields"]) <= {"from", "to", "window"}, answer.body
        if since is not None:
            listed = client.http.get(f"/leads?{urlencode({'since': since})}", headers=KEY)
            assert listed.status_code < 500, listed.body
        assert client.http.get("/kpis", headers=KEY).status_code == 200


@FUZZ
@given(at=calendar_ends | odd, close_date=st.none() | days, amount=st.none() | decimal_exponents)
def test_stage_moves_and_opportunity_fields_never_5xx_and_the_deal_moves_on(
    clean_aws: Any, at: Any, close_date: Any, amount: Any
) -> None:
    with Client(app) as client:
        opportunity_id = _opportunity(client, clean_aws)
        before = _state(OpportunityItem, EventItem)
        fields = {"close_date": close_date, "amount": amount}
        move = {"stage": "lost", "by": "u_wang", "reason": "fuzz", "at": at, "fields": fields}
        answer = client.http.post(f"/opportunities/{opportunity_id}/stage", body=dumps(move), headers=KEY)
        assert answer.status_code < 500, answer.body
        if answer.status_code >= 400:
            assert _state(OpportunityItem, EventItem) == before
        else:
            clean_aws._fuzz_opportunity = None  # lost: the next example opens another
        shown = client.http.get(f"/opportunities/{opportunity_id}", headers=KEY)
        assert shown.status_code == 200, shown.body
        call = client.http.post(
            f"/opportunities/{opportunity_id}/activities",
            body=json.dumps({"type": "call", "by": "u_wang"}),
            headers=KEY,
        )
        assert call.status_code < 300, call.body
