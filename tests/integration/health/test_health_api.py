"""Account health over real HTTP against the embedded AWS: the usage webhook's signature, its
refusals (naming the field, storing nothing), a low report that warns the account manager, GET
/accounts/{id} with health, open cases and contracts, and health-sweep paging through DynamoDB."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from schedules.health_sweep import handler as health_sweep
from shared.adapters.dynamo.models import AccountItem, DeliveryItem, EventItem
from shared.customers.domain.contracts import Contract
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Save
from tests.integration.api.helpers import signed_headers
from tests.integration.orders.conftest import Answer, World
from tests.unit.services.orders_helpers import CREDIT_CODE


def _post(world: World, body: Any, *, source: str = "product-analytics", secret: str | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    # signed with the real time: signatures are judged by the wall clock, not the world's clock
    headers = signed_headers(raw) if secret is None else signed_headers(raw, secret=secret)
    return world.call("POST", f"/webhooks/usage/{source}", raw, headers)


def _stored() -> tuple[Any, ...]:
    return (
        sorted((a.account_id, a.version) for a in AccountItem.scan()),
        sorted(e.type for e in EventItem.scan()),
        sorted(d.delivery_id for d in DeliveryItem.scan()),
    )


def _old_account(world: World) -> str:
    """An account signed 60 days ago (old enough to be judged on engagement)."""
    now = world.clock.now
    world.clock.now = now - timedelta(days=60)
    order = world.order()
    world.clock.now = now
    return order.account_id


def test_low_usage_warns_the_account_manager_and_shows_on_the_account(world: World) -> None:
    account_id = _old_account(world)
    answer = _post(world, {"account_id": account_id, "active_users": 4, "licensed_users": 50})
    assert answer.status_code == 200, answer.json
    assert answer.json["recorded"] and answer.json["health"]["dimensions"]["usage"] == 8
    world.drain()
    [warning] = [e for e in EventItem.scan() if e.type == "HealthWarning"]
    assert warning.subject == f"account/{account_id}"
    alerts = world.container.uow.deliveries.listing(kind="alert")
    assert {(a.to, a.payload["event"]) for a in alerts} >= {("u_xu", "HealthWarning")}
    view = world.get(f"/accounts/{account_id}").json
    health = view["health"]
    assert health["below"] == ["usage", "engagement", "score"] and health["dimensions"]["usage"]["score"] == 8
    assert [p["usage"] for p in health["history"]] == [8]
    assert view["open_cases"] == [] and view["contracts"] == []
    # the same report again (idempotency by body) and a later one still low: no second warning
    assert _post(world, {"account_id": account_id, "active_users": 4, "licensed_users": 50}).status_code == 200
    world.clock.now += timedelta(hours=1)
    _post(world, {"credit_code": CREDIT_CODE, "active_users": 3, "licensed_users": 50})
    assert [e.type for e in EventItem.scan()].count("HealthWarning") == 1


def test_the_usage_webhook_refuses_with_the_contracts_answers_and_stores_nothing(world: World) -> None:
    account_id = _old_account(world)
    before = _stored()
    good = {"account_id": account_id, "active_users": 4, "licensed_users": 50}
    unsigned = world.call("POST", "/webhooks/usage/product-analytics", json.dumps(good).encode(),
                          {"Content-Type": "application/json"})  # fmt: skip
    assert unsigned.status_code == 401 and unsigned.json["error"]["code"] == "unauthorized"
    assert _post(world, good, secret="not-the-secret").status_code == 401
    stale = json.dumps(good).encode()
    late = world.call("POST", "/webhooks/usage/product-analytics", stale,
                      signed_headers(stale, at=int(time.time()) - 600))  # fmt: skip
    assert late.status_code == 401
    bad = _post(world, {"account_id": account_id, "active_users": -3, "licensed_users": "fifty"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"
    assert set(bad.json["error"]["fields"]) == {"active_users", "licensed_users"}
    unknown = _post(world, {"account_id": "ac_" + "e" * 20, "active_users": 1, "licensed_users": 5})
    assert unknown.status_code == 404 and unknown.json["error"]["code"] == "account_not_found"
    assert unknown.json["error"]["fields"] == {"account_id": "no such account"}
    nowhere = _post(world, good, source="no-such-source")
    assert nowhere.status_code == 404 and nowhere.json["error"]["code"] == "unknown_source"
    public = _post(world, good, source="website")
    assert public.status_code == 401  # usage takes signed sources only
    garbage = _post(world, b"{not json")
    assert garbage.status_code == 400
    assert _stored() == before


def test_the_account_lists_its_contracts_and_open_cases(world: World) -> None:
    account_id = _old_account(world)
    contract = Contract(
        "ct_" + "1" * 20, "docusign", "env-1", "qt_1", None, account_id, "or_1", "u_wu", iso(world.clock()),
        "2026-01-01", "2026-12-31", "20199.99", "CNY",
    )  # fmt: skip
    world.container.uow.commit(Change(saves=[Save(contract, None)]))
    case = {"external_id": "T-1", "priority": "P1", "account": {"credit_code": CREDIT_CODE}}
    raw = json.dumps(case).encode()
    opened = world.call("POST", "/webhooks/cases/contact-center", raw, signed_headers(raw))
    assert opened.status_code == 201, opened.json
    view = world.get(f"/accounts/{account_id}").json
    assert [(c["contract_id"], c["end_date"]) for c in view["contracts"]] == [(contract.contract_id, "2026-12-31")]
    assert [(c["case_id"], c["priority"]) for c in view["open_cases"]] == [(opened.json["case_id"], "P1")]
    assert view["health"]["dimensions"]["support"]["open_p1"] == 1


def test_health_sweep_pages_through_dynamodb_and_warns_once(world: World) -> None:
    from shared.customers.services.health import sweep_health

    accounts = set()
    now = world.clock.now
    world.clock.now = now - timedelta(days=60)
    for n in range(5):
        account = {"company": f"客户 {n}", "country": "CN", "account_manager_id": "u_xu"}
        accounts.add(world.order(contract_id=f"ct_{n}", account=account).account_id)
    world.clock.now = now
    paged = sweep_health(world.container.rules.current(), world.container.uow, now, page_size=2)
    assert (paged.accounts, paged.updated, paged.warnings, paged.failed) == (5, 5, 5, [])
    assert {e.subject for e in EventItem.scan() if e.type == "HealthWarning"} == {f"account/{a}" for a in accounts}
    # the next day's sweep, and one two hours later on the same UTC day (health days are UTC
    # days): fixed hours, so the test means the same whatever hour it runs at
    tomorrow = (now + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    summary = health_sweep({"time": iso(tomorrow)}, None)
    assert {k: summary[k] for k in ("accounts", "updated", "unchanged", "warnings", "failed")} == {
        "accounts": 5, "updated": 5, "unchanged": 0, "warnings": 0, "failed": 0
    }  # fmt: skip
    again = health_sweep({"time": iso(tomorrow + timedelta(hours=2))}, None)
    assert (again["updated"], again["unchanged"]) == (0, 5)


class Budget:
    """A Lambda context whose remaining time runs out after ``pages`` pages of the sweep."""

    def __init__(self, pages: int) -> None:
        self.calls = 0
        self.pages = pages

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return 900_000 if self.calls <= self.pages else 30_000


def test_a_health_sweep_that_runs_out_of_time_is_carried_on_by_the_continuation(world: World, monkeypatch: Any) -> None:
    from shared.customers.services import health

    now = world.clock.now
    world.clock.now = now - timedelta(days=60)
    accounts = {world.order(contract_id=f"ct_{n}", account={"company": f"客户 {n}", "country": "CN",
                                                             "account_manager_id": "u_xu"}).account_id
                for n in range(5)}  # fmt: skip
    world.clock.now = now
    at = (now + timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    nothing = health_sweep({"continue": True}, None)
    assert nothing == {"continued": False}  # no run stopped: one read, nothing done
    monkeypatch.setattr(health, "PAGE_SIZE", 2)
    first = health_sweep({"time": iso(at)}, Budget(pages=1))
    assert (first["finished"], first["accounts"]) == (False, 2)
    rest = health_sweep({"continue": True}, None)
    assert (rest["finished"], rest["continued"], rest["accounts"], rest["at"]) == (True, True, 3, iso(at))
    assert {e.subject for e in EventItem.scan() if e.type == "HealthWarning"} == {f"account/{a}" for a in accounts}
    assert health_sweep({"continue": True}, None) == {"continued": False}
