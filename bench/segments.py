"""Customer segments (issue 19): what an order's segment costs DynamoDB, and what the daily
segment-sweep reads per account — over the embedded moto server, counted at the botocore layer
as the other request benches count (bench/service.py ``counting_dynamodb``).

- ``ddb_requests_per_order_segment_update``: an order recorded (the e-sign webhook's order
  change, committed) under the example rules, minus the same order under the same rules with an
  empty Segments tab; both for a new customer and for a second order of an existing one. The
  segment lives on the account the order's transaction writes anyway, so the goal is ≤ 2.
- ``segment_sweep_items_read_per_account``: items one sweep reads (Scan pages, GetItems,
  BatchGets, Queries) ÷ accounts it visited, a trend figure (1 is the floor: each account once).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

ORDERS = 20
ACCOUNTS = 300
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@contextmanager
def counting_items() -> Iterator[Counter[str]]:
    """Items read by every DynamoDB call of this process (``read``) and the calls (by operation)."""
    from botocore.client import BaseClient

    counted: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def call(self: Any, operation: str, params: Any) -> Any:
        answer = original(self, operation, params)
        if self.meta.service_model.service_name == "dynamodb":
            counted[operation] += 1
            if operation in ("Scan", "Query"):
                counted["read"] += int(answer.get("Count", 0))
            elif operation == "GetItem":
                counted["read"] += "Item" in answer
            elif operation == "BatchGetItem":
                counted["read"] += sum(len(items) for items in answer.get("Responses", {}).values())
        return answer

    BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@contextmanager
def _embedded() -> Iterator[Any]:
    from admin_sheets.publishing import sync_rules
    from bench.service import _free_port
    from infra.local.aws import aws_env, create_resources, start_moto
    from infra.template import load_template
    from shared.adapters.container import Container, reset_container
    from shared.adapters.dynamo.models import bind_tables

    port = _free_port()
    server = start_moto(port)
    saved = dict(os.environ)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        template = load_template()
        create_resources(template, endpoint, secrets={"closeloop-dev-webhook-secrets": json.dumps({"*": "bench"})})
        os.environ.update(aws_env(endpoint, template))
        bind_tables()
        container = Container()
        reset_container(container)
        assert sync_rules("dir:admin_sheets/examples", container).status in ("published", "unchanged")
        yield container
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_container(None)
        server.stop()


def _without_segments(active: Any) -> Any:
    from shared.rules.domain.active import ActiveRules
    from shared.rules.domain.rules import RuleSet

    content = {**active.rules.content, "Segments": []}
    rules = RuleSet.from_content(content, f"{active.version}-no-segments")
    return ActiveRules(rules)


def _order_requests(container: Any, active: Any, tag: str) -> float:
    """DynamoDB requests per order: a new customer's first order and its second, averaged."""
    from bench.service import counting_dynamodb
    from tests.unit.services.orders_helpers import make_order

    total = 0
    for n in range(ORDERS):
        account = {"company": f"{tag} 客户 {n}", "country": "CN", "account_manager_id": "u_xu"}
        for k in range(2):
            with counting_dynamodb() as calls:
                make_order(container.uow, active, T0 + timedelta(days=k), contract_id=f"ct_{tag}_{n}_{k}",
                           account=account)  # fmt: skip
            total += sum(calls.values())
    return total / (2 * ORDERS)


def segment_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    from shared.customers.services.segments import sweep_segments
    from tests.unit.services.orders_helpers import make_order

    with _embedded() as container:
        active = container.rules.current()
        progress(f"segments: DynamoDB requests of {2 * ORDERS} orders with and without a Segments tab")
        make_order(container.uow, active, T0, contract_id="ct_warm")  # rules and tables warm, as in a warm Lambda
        plain = _order_requests(container, _without_segments(active), "plain")
        segmented = _order_requests(container, active, "seg")
        for n in range(ACCOUNTS - 2 * ORDERS - 1):  # the orders above made 2 × ORDERS + 1 accounts
            account = {"company": f"sweep 客户 {n}", "country": "CN", "account_manager_id": "u_xu"}
            make_order(container.uow, active, T0, contract_id=f"ct_sweep_{n}", account=account)
        progress(f"segments: one segment-sweep over {ACCOUNTS} accounts, 200 days on")
        with counting_items() as counted:
            report = sweep_segments(active, container.uow, T0 + timedelta(days=200))
    visited = max(report.accounts, 1)
    return {
        "ddb_requests_per_order_segment_update": {
            "value": round(segmented - plain, 3),
            "unit": "requests/order",
            "note": f"DynamoDB requests of an order (order_change committed) under the example rules "
            f"({segmented:.2f}) minus under the same rules with an empty Segments tab ({plain:.2f}); "
            f"{ORDERS} new customers' first and second orders, embedded DynamoDB, counted at botocore",
        },
        "segment_sweep_items_read_per_account": {
            "value": round(counted["read"] / visited, 3),
            "unit": "items/account",
            "note": f"trend: items one segment-sweep read ({counted['read']}: Scan pages of 100, plus any "
            f"GetItem) ÷ accounts visited ({report.accounts}); {report.changed_segment} changed segment; "
            f"each account keeps the ledger of its orders, so no order is read",
        },
    }
