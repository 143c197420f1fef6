"""Customer segments over real HTTP against the embedded AWS (CONTRACT §15): an order segments its
account at once (event, alerts with the row's playbook), GET /accounts/{id} and
GET /accounts?segment= show it, and segment-sweep moves accounts as time passes, paging through
DynamoDB and carrying on after its time budget."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from schedules.segment_sweep import handler as segment_sweep
from shared.adapters.dynamo.models import EventItem
from shared.kernel.domain.events import iso
from tests.integration.orders.conftest import World
from tests.unit.services.orders_helpers import ACME

NEW, HIGH, AT_RISK = "新客户", "高价值客户", "流失风险客户"
BIG = [{"sku": "CL-ENT", "name": "Enterprise", "quantity": 1, "unit_price": "600000.00"}]


def segment_events() -> list[Any]:
    return sorted((e for e in EventItem.scan() if e.type == "AccountSegmentChanged"), key=lambda e: str(e.time))


def listed(world: World, segment: str, **params: str) -> Any:
    query = "&".join([f"segment={quote(segment)}", *(f"{k}={v}" for k, v in params.items())])
    return world.get(f"/accounts?{query}")


def company(n: int) -> dict[str, str]:
    return {"company": f"客户 {n}", "country": "CN", "account_manager_id": "u_xu"}


def test_an_order_segments_its_account_at_once_and_tells_the_rows_roles(world: World) -> None:
    first = world.order()
    view = world.get(f"/accounts/{first.account_id}").json
    assert (view["segment"], view["segment_since"]) == (NEW, iso(world.clock()))
    assert {k: view["rfm"][k] for k in ("recency_days", "frequency", "monetary")} == {
        "recency_days": 0, "frequency": 1, "monetary": "20199.99"
    }  # fmt: skip
    assert view["segment_row"]["priority"] == 40
    [event] = segment_events()
    assert event.subject == f"account/{first.account_id}"
    alerts = [a for a in world.container.uow.deliveries.listing(kind="alert") if a.payload["event"] == event.type]
    assert {a.to for a in alerts} == {"u_xu"}  # the New row tells the account manager only
    assert all("onboarding call" in a.payload["text"] for a in alerts)  # the row's note: the playbook

    # ten days later a big order: two orders, 620,199.99 in the window → high value, manager told too
    world.clock.now += timedelta(days=10)
    world.order(contract_id="ct_2", account=ACME, lines=BIG)
    view = world.get(f"/accounts/{first.account_id}").json
    assert view["segment"] == HIGH and view["rfm"]["frequency"] == 2 and view["rfm"]["monetary"] == "620199.99"
    # the Routing row naming 高价值客户 gives it a senior account manager (Enterprise), in the history
    assert view["account_manager_id"] == "u_wu"
    assert view["history"][-1]["changes"]["account_manager_id"] == ["u_xu", "u_wu"]
    changed = segment_events()[-1]
    assert (changed.data["previous_owner_id"], changed.data["owner_id"]) == ("u_xu", "u_wu")
    assert [e.type for e in segment_events()] == ["AccountSegmentChanged"] * 2
    told = {(a.to, a.payload["title"]) for a in world.container.uow.deliveries.listing(kind="alert")}
    assert {to for to, title in told if HIGH in title} == {"u_wu", "u_huang"}  # am (the new one), manager
    assert [a["account_id"] for a in listed(world, HIGH).json["accounts"]] == [first.account_id]
    assert listed(world, NEW).json == {"accounts": [], "next_cursor": None}  # it left the segment


def test_accounts_of_a_segment_a_page_at_a_time_newest_first(world: World) -> None:
    made = []
    for n in range(3):
        made.append(world.order(contract_id=f"ct_{n}", account=company(n)).account_id)
        world.clock.now += timedelta(minutes=1)
    page = listed(world, NEW, limit="2")
    assert page.status_code == 200, page.json
    assert [a["account_id"] for a in page.json["accounts"]] == made[::-1][:2]
    assert page.json["accounts"][0]["rfm"]["frequency"] == 1
    rest = listed(world, NEW, limit="2", cursor=page.json["next_cursor"]).json
    assert [a["account_id"] for a in rest["accounts"]] == made[:1] and rest["next_cursor"] is None
    exactly = listed(world, NEW, limit="3").json
    assert len(exactly["accounts"]) == 3 and exactly["next_cursor"] is None  # never a cursor to an empty page


def test_the_listing_refuses_bad_parameters_naming_them(world: World) -> None:
    bad = world.get("/accounts?segment=&limit=0&owner=u_xu&cursor=nope")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"
    assert set(bad.json["error"]["fields"]) == {"segment", "limit", "owner", "cursor"}
    every = world.get("/accounts")  # without segment: every account, newest first (CONTRACT §11)
    assert every.status_code == 200 and set(every.json) == {"accounts", "next_cursor"}
    assert world.call("GET", f"/accounts?segment={quote(NEW)}").status_code == 401


def test_segment_sweep_moves_accounts_as_time_passes_and_tells_once(world: World) -> None:
    start = world.clock.now
    accounts = {world.order(contract_id=f"ct_{n}", account=company(n)).account_id for n in range(5)}
    assert len(segment_events()) == 5
    later = start + timedelta(days=200)
    world.clock.now = later
    summary = segment_sweep({"time": iso(later)}, None)
    assert {k: summary[k] for k in ("finished", "accounts", "updated", "segment_changes", "failed")} == {
        "finished": True, "accounts": 5, "updated": 5, "segment_changes": 5, "failed": 0
    }  # fmt: skip
    moved = [e for e in segment_events() if str(e.time) > iso(start)]
    assert sorted(e.subject for e in moved) == sorted(f"account/{a}" for a in accounts)
    assert {a["account_id"] for a in listed(world, AT_RISK).json["accounts"]} == accounts
    again = segment_sweep({"time": iso(later)}, None)  # the same instant again: nothing to write
    assert (again["updated"], again["unchanged"], again["segment_changes"]) == (0, 5, 0)
    assert len(segment_events()) == 10


class Budget:
    """A Lambda context whose remaining time runs out after ``pages`` pages of the sweep."""

    def __init__(self, pages: int) -> None:
        self.calls = 0
        self.pages = pages

    def get_remaining_time_in_millis(self) -> int:
        self.calls += 1
        return 900_000 if self.calls <= self.pages else 30_000


def test_a_segment_sweep_that_runs_out_of_time_is_carried_on(world: World, monkeypatch: Any) -> None:
    from shared.customers.services import segments

    accounts = {world.order(contract_id=f"ct_{n}", account=company(n)).account_id for n in range(5)}
    at = world.clock.now + timedelta(days=200)
    assert segment_sweep({"continue": True}, None) == {"continued": False}
    monkeypatch.setattr(segments, "PAGE_SIZE", 2)
    first = segment_sweep({"time": iso(at)}, Budget(pages=1))
    assert (first["finished"], first["accounts"]) == (False, 2)
    rest = segment_sweep({"continue": True}, None)
    assert (rest["finished"], rest["continued"], rest["accounts"], rest["at"]) == (True, True, 3, iso(at))
    assert {a["account_id"] for a in listed(world, AT_RISK).json["accounts"]} == accounts
    assert segment_sweep({"continue": True}, None) == {"continued": False}


def test_a_shed_or_failed_page_of_accounts_is_read_again_and_the_sweep_finishes(world: World, monkeypatch: Any) -> None:
    """DynamoDB sheds a page of the sweep's Scan, or fails it with its own fault, past PynamoDB's
    retries: the page is read again after a back-off, not the whole sweep given up."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import ScanError

    from shared.adapters.dynamo import faults
    from shared.adapters.dynamo.models import AccountItem
    from shared.customers.services import segments

    for n in range(5):
        world.order(contract_id=f"ct_{n}", account=company(n))
    scan, shed = AccountItem.scan, ["ProvisionedThroughputExceededException", "InternalServerError"]

    def shedding(*args: Any, **kwargs: Any) -> Any:
        results = scan(*args, **kwargs)
        if kwargs.get("last_evaluated_key") and shed:  # the second page, twice
            cause = ClientError({"Error": {"Code": shed.pop(0), "Message": "shed"}}, "Scan")
            raise ScanError("Failed to scan items", cause=cause)
        return results

    monkeypatch.setattr(AccountItem, "scan", shedding)
    monkeypatch.setattr(faults.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(segments, "PAGE_SIZE", 2)
    summary = segment_sweep({"time": iso(world.clock.now + timedelta(days=200))}, None)
    assert shed == [] and (summary["finished"], summary["accounts"], summary["failed"]) == (True, 5, 0)
