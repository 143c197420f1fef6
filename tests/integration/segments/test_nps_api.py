"""Net promoter answers over real HTTP against the embedded AWS (CONTRACT §15, NPS): the signed
survey webhook, its refusals (naming the field, storing nothing), the same respondent replacing
their answer for the quarter, the account's last-90-day NPS and the `nps` KPI with its counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from shared.adapters.dynamo.models import AccountItem, EventItem
from shared.kernel.domain.events import iso
from tests.integration.api.helpers import signed_headers
from tests.integration.orders.conftest import Answer, World
from tests.unit.services.orders_helpers import CREDIT_CODE


def _post(world: World, body: Any, *, source: str = "nps-survey", secret: str | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    # signatures are judged by the wall clock, whatever time the test's business clock shows
    headers = signed_headers(raw) if secret is None else signed_headers(raw, secret=secret)
    return world.call("POST", f"/webhooks/surveys/{source}", raw, headers)


def _stored() -> tuple[Any, ...]:
    return (
        sorted((a.account_id, a.version) for a in AccountItem.scan()),
        sorted(e.type for e in EventItem.scan()),
    )


def test_answers_make_the_accounts_nps_and_the_kpi_and_a_respondent_replaces_theirs(world: World) -> None:
    account_id = world.order().account_id
    now = world.clock()
    answers = [("cfo@acme.cn", 10), ("cto@acme.cn", 9), ("ops@acme.cn", 3), (None, 7)]
    for email, score in answers:
        respondent = {"email": email} if email else {}
        body = {"credit_code": CREDIT_CODE, "respondent": respondent, "score": score, "at": iso(now)}
        answer = _post(world, body)
        assert answer.status_code == 200, answer.json
    assert answer.json["nps"] == {
        "value": 0.25, "numerator": 1, "denominator": 4, "promoters": 2, "passives": 1, "detractors": 1,
        "window_days": 90, "computed_at": iso(now),
    }  # fmt: skip
    # the detractor answers again an hour later, same quarter: their answer is replaced, not added
    world.clock.now = now + timedelta(hours=1)
    again = _post(world, {"account_id": account_id, "respondent": {"email": "OPS@acme.cn"}, "score": 9})
    assert (again.json["recorded"], again.json["replaced"]) == (True, True)
    assert (again.json["nps"]["denominator"], again.json["nps"]["value"]) == (4, 0.75)
    # their first answer arriving late changes nothing
    late = _post(world, {"account_id": account_id, "respondent": {"email": "ops@acme.cn"}, "score": 0,
                         "at": iso(now - timedelta(minutes=5))})  # fmt: skip
    assert (late.json["recorded"], late.json["nps"]["value"]) == (False, 0.75)
    view = world.get(f"/accounts/{account_id}").json
    assert view["nps"]["promoters"] == 3 and view["nps"]["denominator"] == 4
    assert "ops@acme.cn" not in json.dumps(view).lower()  # respondents are kept as hashes only
    world.drain()
    day = (now + timedelta(hours=8)).date()  # the window in Asia/Shanghai days, today included
    kpis = world.get(f"/kpis?from={day - timedelta(days=1)}&to={day + timedelta(days=2)}").json["kpis"]
    assert kpis["nps"] == {
        "value": 0.75, "numerator": 3, "denominator": 4, "promoters": 3, "passives": 1, "detractors": 0
    }  # fmt: skip


def test_the_survey_webhook_refuses_with_the_contracts_answers_and_stores_nothing(world: World) -> None:
    account_id = world.order().account_id
    before = _stored()
    good = {"account_id": account_id, "respondent": {"email": "cfo@acme.cn"}, "score": 9}
    unsigned = world.call("POST", "/webhooks/surveys/nps-survey", json.dumps(good).encode(),
                          {"Content-Type": "application/json"})  # fmt: skip
    assert unsigned.status_code == 401 and unsigned.json["error"]["code"] == "unauthorized"
    assert _post(world, good, secret="not-the-secret").status_code == 401
    bad = _post(world, {"account_id": "nope", "respondent": {"email": "x"}, "score": 11, "comment": 5})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"
    assert set(bad.json["error"]["fields"]) == {"account_id", "respondent.email", "score", "comment"}
    unknown = _post(world, {**good, "account_id": "ac_" + "e" * 20})
    assert unknown.status_code == 404 and unknown.json["error"]["fields"] == {"account_id": "no such account"}
    assert _post(world, good, source="website").status_code == 401  # signed sources only
    assert _post(world, good, source="no-such-source").status_code == 404
    assert _post(world, b"{not json").status_code == 400
    assert _stored() == before
