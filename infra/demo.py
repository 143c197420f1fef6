"""`closeloop demo`: the whole loop in a minute, narrated, on a local stack of its own.

A lead is captured, routed and touched; converted, quoted with a discount two people must approve,
signed; shipped and signed for, invoiced to a finance receiver that prints the invoice; a P1 case
holds the 90-day renewal reminder until it is resolved; the KPIs close the story. Time is driven
the way tests drive it — `timer-sweep` run at chosen instants — so nothing waits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"X-Api-Key": "dev-admin-key"}
SECRET = "dev-webhook-secret"
LEAD = {
    "email": "li.ming@suzhou-precision.cn",
    "name": "李明",
    "company": "苏州精密机械",
    "province": "江苏省",
    "industry": "制造业",
    "employees": 800,
    "title": "采购总监",
    "phone": "13912345678",
    "budget": "900,000",
    "credit_code": "91350100M000100Y43",
}


class Demo:
    """One story on one stack: each step says what happens, does it over HTTP, shows the answer."""

    def __init__(self, stack: Any, out: Callable[[str], None]) -> None:
        self.stack, self.out, self.api = stack, out, stack.settings.api_url
        self.http = requests.Session()
        self.step_no = 0

    # ------------------------------------------------------------ plumbing

    def say(self, text: str) -> None:
        self.step_no += 1
        self.out(f"\n{self.step_no:>2}. {text}")

    def show(self, text: str) -> None:
        self.out(f"    {text}")

    def call(self, method: str, path: str, body: Any = None, *, signed: bool = False, key: bool = True) -> Any:
        from shared.kernel.services.webhook_auth import sign

        raw = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", **(ADMIN if key else {})}
        if signed and raw is not None:
            headers["X-Closeloop-Signature"] = sign(SECRET, int(datetime.now(UTC).timestamp()), raw)
        answer = self.http.request(method, f"{self.api}{path}", data=raw, headers=headers, timeout=30)
        data = answer.json() if answer.content else None
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} answered {answer.status_code}: {json.dumps(data, ensure_ascii=False)}")
        self.stack.drain()
        return data

    def sweep(self, at: datetime) -> dict[str, Any]:
        """timer-sweep as if its schedule fired at ``at`` (what `closeloop schedule run --at` does)."""
        from infra.local.runtime import LambdaContext, load_handler
        from infra.local.scheduler import find_schedule, scheduled_event
        from infra.template import load_template

        spec = find_schedule(load_template(), "timer-sweep")
        function = spec.function
        context = LambdaContext(function.logical_id, function.memory_size, function.timeout)
        result: dict[str, Any] = load_handler(function.handler)(scheduled_event(spec, at), context)
        self.stack.drain()
        return result

    # ------------------------------------------------------------ the story

    def run(self, invoices: list[str]) -> None:
        lead = self.capture()
        opportunity = self.convert(lead)
        quote = self.quote(opportunity)
        contract = self.sign(quote)
        self.ship(contract, invoices)
        case = self.p1_case(contract)
        self.renewal(contract, case)
        self.kpis()

    def capture(self) -> dict[str, Any]:
        self.say("A buyer fills in the website form: the lead is scored, tiered and routed.")
        lead = self.call("POST", "/webhooks/leads/website", LEAD, key=False)
        self.show(f"{lead['lead_id']}: score {lead['score']}, grade {lead['grade']}, tier {lead['tier']}")
        self.show(f"→ {lead['owner_id']} in {lead['team']} (decision trace: GET /leads/{lead['lead_id']})")
        clock = self.call("GET", f"/leads/{lead['lead_id']}")["sla"]["first_touch"]
        self.show(f"first touch due {clock['due_at']} (business hours of {clock['calendar']})")
        self.say("The owner calls within the hour: first touch, the SLA is met.")
        self.call("POST", f"/leads/{lead['lead_id']}/activities", {"type": "call", "by": lead["owner_id"]})
        touched = self.call("GET", f"/leads/{lead['lead_id']}")
        self.show(f"first_touch_at {touched['first_touch_at']}; clock {touched['sla']['first_touch']['state']}")
        return dict(lead)

    def convert(self, lead: dict[str, Any]) -> dict[str, Any]:
        self.say("It is a real project: the lead becomes an opportunity (the owner's lead load is freed).")
        body = {"lead_id": lead["lead_id"], "name": "Line monitoring, Suzhou plant", "owner_id": lead["owner_id"]}
        opportunity = self.call("POST", "/opportunities", body)
        self.show(f"{opportunity['opportunity_id']} in stage {opportunity['stage']}")
        return dict(opportunity)

    def quote(self, opportunity: dict[str, Any]) -> dict[str, Any]:
        self.say("A quote: two Enterprise licences at 25% off — over 500,000 and over 20%.")
        lines = [{"sku": "IOT-PLAT-ENT", "quantity": 2, "discount": "25%"}]
        owner = opportunity["owner_id"]
        quote = self.call(
            "POST", "/quotes", {"opportunity_id": opportunity["opportunity_id"], "by": owner, "lines": lines}
        )
        steps = quote["approval"]["steps"]
        self.show(f"{quote['quote_id']}: list {quote['list_total']}, amount {quote['amount']} → {quote['status']}")
        self.show("approvals: " + ", ".join(f"{s['role']} {s['approver_id']}" for s in steps))
        for step in steps:
            decided = self.call(
                "POST", f"/approvals/{step['approval_id']}/decision", {"decision": "approve", "by": step["approver_id"]}
            )
            self.show(f"{step['role']} {step['approver_id']} approves → quote {decided.get('status', decided)}")
        return dict(self.call("GET", f"/quotes/{quote['quote_id']}"))

    def sign(self, quote: dict[str, Any]) -> dict[str, Any]:
        self.say("The customer signs the contract electronically.")
        start = date.today()
        self.term = (start, start + timedelta(days=99))
        envelope = {
            "envelope_id": f"env-{quote['quote_id'][-6:]}",
            "status": "completed",
            "quote_id": quote["quote_id"],
            "start_date": self.term[0].isoformat(),
            "end_date": self.term[1].isoformat(),
        }
        made = self.call("POST", "/webhooks/esign/esign", envelope, signed=True, key=False)
        contract = self.call("GET", f"/contracts/{made['contract_id']}")
        account = self.call("GET", f"/accounts/{made['account_id']}")
        self.show(f"{made['contract_id']} → order {made['order_id']}, account {made['account_id']}")
        self.show(f"account manager {account['account_manager_id']}; renewal reminders: {len(contract['reminders'])}")
        return dict(contract)

    def ship(self, contract: dict[str, Any], invoices: list[str]) -> None:
        self.say("The warehouse ships, and the customer signs for the delivery (签收).")
        order = self.call("GET", f"/orders/{contract['order_id']}")
        lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]]
        for status in ("shipped", "signed"):
            report = {"shipment_id": "SH-DEMO-1", "order_id": order["order_id"], "status": status,
                      "at": datetime.now(UTC).isoformat(), "lines": lines}  # fmt: skip
            self.call("POST", "/webhooks/shipments/warehouse", report, signed=True, key=False)
        order = self.call("GET", f"/orders/{contract['order_id']}")
        invoice = order["invoices"][0]
        self.show(f"invoice {invoice['invoice_id']} requested for {invoice['amount']} {order['currency']}")
        self.show(f"finance received: {invoices[-1] if invoices else '(nothing yet)'}")
        self.say("Finance writes back: the invoice is issued (the account manager is told).")
        self.call(
            "POST", f"/invoices/{invoice['invoice_id']}/status", {"status": "issued", "invoice_number": "No. 0001"}
        )
        self.show("InvoiceIssued recorded")

    def p1_case(self, contract: dict[str, Any]) -> dict[str, Any]:
        self.say("A production line stops: the contact center opens a P1 case for this customer.")
        account = self.call("GET", f"/accounts/{contract['account_id']}")
        case = {"external_id": "CC-DEMO-1", "subject": "Line 3 stopped", "priority": "P1", "channel": "phone",
                "account": {"account_id": account["account_id"]}}  # fmt: skip
        opened = self.call("POST", "/webhooks/cases/contact-center", case, signed=True, key=False)
        self.show(f"{opened['case_id']} → {opened['owner_id']} ({opened['team']}), first response due "
                  f"{opened['sla']['first_response']['due_at']}")  # fmt: skip
        return dict(opened)

    def renewal(self, contract: dict[str, Any], case: dict[str, Any]) -> None:
        reminder = datetime.combine(self.term[1] - timedelta(days=90), datetime.min.time()).replace(
            hour=9, tzinfo=_zone()
        )
        self.say(f"Time passes to the 90-day renewal reminder ({reminder.isoformat()}): the P1 case is still open.")
        self.sweep(reminder)
        held = self.call("GET", f"/contracts/{contract['contract_id']}")
        hold = held.get("hold") or {}
        self.show(f"reminder fired on hold: held by {', '.join(hold.get('case_ids', []))} (RenewalHeld to the "
                  "account manager's manager)")  # fmt: skip
        opportunity = held.get("renewal_opportunity") or {}
        if opportunity:
            self.show(f"renewal opportunity {opportunity.get('opportunity_id')} opened for the account manager")
        self.say("Support resolves the case: the renewal is released.")
        owner = case["owner_id"]
        events = f"/cases/{case['case_id']}/events"
        self.call("POST", events, {"type": "first_response", "by": owner})
        self.call("POST", events, {"type": "resolved", "by": owner})
        released = self.call("GET", f"/contracts/{contract['contract_id']}")
        self.show(f"on hold: {str(released.get('on_hold')).lower()} (RenewalReleased)")

    def kpis(self) -> None:
        self.say("The KPIs, from the events just recorded:")
        today = date.today()  # the window's days are Settings timezone days: take in tomorrow's too
        kpis = self.call("GET", f"/kpis?from={today - timedelta(days=7)}&to={today + timedelta(days=2)}")
        for name, value in kpis["kpis"].items():
            if isinstance(value, dict) and "value" in value:
                self.show(f"{name:<28} {value['value']}  ({value['numerator']} / {value['denominator']})")
            elif isinstance(value, dict):  # per SLA kind
                for kind, part in value.items():
                    self.show(f"{name + ' ' + kind:<28} {part['value']}  ({part['numerator']} / {part['denominator']})")


class DemoError(Exception):
    pass


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def _finance_receiver(lines: list[str]) -> Any:
    """The sample finance receiver (examples/finance-receiver), in a thread on a free port."""
    path = ROOT / "examples" / "finance-receiver" / "receiver.py"
    spec = importlib.util.spec_from_file_location("finance_receiver", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    server = module.make_server(0, "dev-delivery-secret", ":memory:", lines.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(out: Callable[[str], None] = print) -> int:
    from infra.local.stack import LocalStack, StackSettings

    invoices: list[str] = []
    receiver = _finance_receiver(invoices)
    finance = f"http://127.0.0.1:{receiver.server_address[1]}/invoices"
    settings = StackSettings(port=_free_port(), aws_port=_free_port(), finance_url=finance, schedules=False)
    # the story is the narration: the functions' logs and metric blobs stay quiet, as do access logs
    os.environ.update({"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "1"})
    stack = LocalStack(settings, on_request=lambda *request: None)
    out(f"Closeloop demo: a local stack on {settings.api_url}, the sample finance receiver on {finance}")
    try:
        stack.start()
        Demo(stack, out).run(invoices)
        out("\nThat is the loop. `closeloop dev` runs the same stack for you to try each step by hand.")
        return 0
    except DemoError as exc:
        print(f"closeloop demo: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        receiver.shutdown()
