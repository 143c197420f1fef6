"""Orders for tests, made through the API the e-sign webhook will call (order_change)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from shared.customers.messages.accounts import AccountChange
from shared.customers.services.accounts import patch_account
from shared.fulfilment.domain.orders import Order
from shared.fulfilment.messages.orders import InvoiceStatusReport, ShipmentReport
from shared.fulfilment.services.orders import order_change, record_invoice_status, record_shipment_report
from shared.fulfilment.services.ports import OrdersWork
from shared.kernel.messages.validation import read
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import RuleSet
from tests.unit.services.helpers import now_of

CREDIT_CODE = "91350100M000100Y43"
ACME = {"company": "上海精密制造", "country": "CN", "credit_code": CREDIT_CODE, "account_manager_id": "u_xu"}
NO_TAX_ID = {"company": "无税号公司", "country": "CN", "account_manager_id": "u_xu"}
LINES = [
    {"sku": "CL-PRO", "name": "Closeloop Pro", "quantity": 10, "unit_price": Decimal("1200.00"), "amount": "10200.00"},
    {"sku": "CL-ONB", "name": "Onboarding", "quantity": 3, "unit_price": "3333.33"},
]


def with_invoice_on(active: ActiveRules, invoice_on: str) -> ActiveRules:
    content = copy.deepcopy(active.rules.content)
    content["Settings"] = [r for r in content["Settings"] if r["key"] != "invoice_on"]
    content["Settings"].append({"key": "invoice_on", "value": invoice_on})
    rules = RuleSet.from_content(content, f"{active.version}-{invoice_on}")
    return ActiveRules(rules)


def make_order(
    uow: OrdersWork,
    active: ActiveRules,
    now: Any,
    *,
    contract_id: str = "ct_1",
    account: dict[str, Any] | None = None,
    lines: list[dict[str, Any]] | None = None,
) -> Order:
    made = order_change(
        uow,
        active,
        now,
        contract_id=contract_id,
        quote_id="qt_1",
        opportunity_id="op_1",
        account=buyer(account or ACME, active, now),
        lines=lines or LINES,
    )
    uow.commit(made.change)
    return made.order


def shipment(order_id: str, shipment_id: str, status: str, at: str, **lines: int) -> dict[str, Any]:
    body: dict[str, Any] = {"shipment_id": shipment_id, "order_id": order_id, "status": status, "at": at}
    if lines:
        body["lines"] = [{"sku": sku.replace("_", "-"), "quantity": q} for sku, q in lines.items()]
    return body


def report_shipment(body: dict[str, Any], source: str, active: ActiveRules, uow: OrdersWork, clock: Any) -> Any:
    """The shipment webhook: the body read as the edge reads it, then recorded."""
    report = read(ShipmentReport, body, now=now_of(clock), active=active)
    return record_shipment_report(report, source, active, uow, clock)


def write_back(invoice_id: str, body: dict[str, Any], active: ActiveRules, uow: OrdersWork, clock: Any) -> Any:
    """Finance's write-back: the body read as the API reads it, then recorded."""
    command = read(InvoiceStatusReport, body, now=now_of(clock), active=active)
    return record_invoice_status(invoice_id, command, active, uow, clock)


def buyer(account: dict[str, Any], active: ActiveRules, now: Any) -> AccountChange:
    """A signed quote's customer, read as the e-sign webhook reads it."""
    return read(AccountChange, account, now=now, active=active)


def change_account(account_id: str, body: dict[str, Any], active: ActiveRules, uow: OrdersWork, clock: Any) -> Any:
    """PATCH /accounts/{id}: the body read as the API reads it, then applied."""
    return patch_account(account_id, read(AccountChange, body, now=now_of(clock), active=active), active, uow, clock)
