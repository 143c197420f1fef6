"""`closeloop show SUBJECT`: one record in one view — the record as its GET shows it, its events,
the alerts and deliveries about it, and its pending timers. Each part is one indexed read by
subject (events by_subject, deliveries by_about, timers by_about), never a scan."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from infra.cli_lists import cell, local_zone
from infra.cli_rules import CommandError

EPILOG = """\
examples:
  closeloop show case/cs_0123456789abcdef0123     a case, its events, SLA timers and alerts
  closeloop show lead/ld_...                       a lead and what happened to it
  closeloop show invoice/inv_...                   an invoice (from its order), its finance deliveries
  closeloop show order/or_... --json               everything as one JSON object

SUBJECT is KIND/ID as events name it (lead, case, opportunity, quote, contract, order, invoice,
account); the ids come from `closeloop <kind>s list` or an event's subject.
"""


def _readers() -> dict[str, Callable[[str, Any], dict[str, Any]]]:
    """KIND -> the record as its GET route shows it (a NotFound error when there is none)."""
    from shared.customers.services.accounts import get_account
    from shared.fulfilment.services.orders import get_order
    from shared.kernel.domain.errors import LeadNotFound
    from shared.sales.services.esign import get_contract
    from shared.sales.services.quotes import get_quote
    from shared.sales.services.stage_moves import get_opportunity
    from shared.service_desk.services.cases import get_case

    def lead(lead_id: str, c: Any) -> dict[str, Any]:
        found = c.uow.leads.get(lead_id)
        if found is None:
            raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
        return dict(found.view())

    def invoice(invoice_id: str, c: Any) -> dict[str, Any]:
        order_id = c.uow.orders.order_of_invoice(invoice_id)
        order = c.uow.orders.get(order_id) if order_id else None
        found = order.invoice(invoice_id) if order else None
        if order is None or found is None:
            raise CommandError(f"no invoice with id {invoice_id[:60]!r}")
        return {**found, "order_id": order.order_id, "account_id": order.account_id}

    return {
        "lead": lead,
        "case": lambda i, c: get_case(i, c.rules.current(), c.uow, c.clock),
        "opportunity": lambda i, c: get_opportunity(i, c.rules.current(), c.uow),
        "quote": lambda i, c: get_quote(i, c.uow),
        "contract": lambda i, c: get_contract(i, c.uow),
        "order": lambda i, c: get_order(i, c.uow),
        "invoice": invoice,
        "account": lambda i, c: get_account(i, c.uow),
    }


def gather(subject: str) -> dict[str, Any]:
    """The record, its events (oldest first), alerts, other deliveries and pending timers."""
    from infra.local.inspect import list_events
    from shared.adapters.container import container
    from shared.kernel.domain.errors import CloseloopError

    kind, _, record_id = subject.partition("/")
    readers = _readers()
    if kind not in readers or not record_id:
        raise CommandError(f"{subject!r} is not KIND/ID; KIND is one of {', '.join(readers)} (e.g. case/cs_...)")
    c = container()
    try:
        record = readers[kind](record_id, c)
    except CloseloopError as exc:
        raise CommandError(str(exc)) from None
    deliveries = [d.to_dict() for d in c.uow.deliveries.about(subject)]
    return {
        "subject": subject,
        "record": record,
        "events": list_events(subject=subject),
        "alerts": [d for d in deliveries if d["kind"] == "alert"],
        "deliveries": [d for d in deliveries if d["kind"] != "alert"],
        "timers": [t.to_dict() for t in c.uow.timers.pending(about=subject)],
    }


def cmd_show(args: argparse.Namespace) -> int:
    view = gather(args.subject)
    if args.json:
        print(json.dumps(view, ensure_ascii=False))
        return 0
    zone = local_zone()
    print(view["subject"])
    for line in record_lines(view["record"], zone):
        print(f"  {line}")
    section("events", view["events"], lambda e: f"{cell('at', e['time'], zone)}  {e['type']:<24} {_data(e['data'])}")
    section("alerts", view["alerts"], lambda d: _alert(d, zone))
    section("deliveries", view["deliveries"], lambda d: _delivery(d, zone))
    section(
        "pending timers",
        view["timers"],
        lambda t: f"{cell('at', t['due_at'], zone)}  {t['kind']:<22} {t.get('set_by') or '-'}",
    )
    return 0


def record_lines(record: dict[str, Any], zone: Any) -> list[str]:
    """Its plain fields as ``name: value``; a list or object as how many it holds."""
    lines = []
    for name, value in record.items():
        if isinstance(value, list):
            shown = f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}" if value else "-"
        elif isinstance(value, dict):
            shown = _data(value) if value else "-"
        else:
            shown = cell(name, value, zone)
        lines.append(f"{name}: {shown}")
    return lines


def section(title: str, rows: list[dict[str, Any]], line: Callable[[dict[str, Any]], str]) -> None:
    print(f"{title} ({len(rows)})")
    for row in rows:
        print(f"  {line(row)}")


def _data(data: Any, width: int = 100) -> str:
    text = json.dumps(data, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _alert(d: dict[str, Any], zone: Any) -> str:
    text = str(d.get("text") or "").replace("\n", " ")
    title = text if len(text) <= 80 else text[:79] + "…"
    return (
        f"{cell('at', d['created_at'], zone)}  to {d.get('to') or '-':<12} {d['channel']:<10} {d['status']:<10} {title}"
    )


def _delivery(d: dict[str, Any], zone: Any) -> str:
    answer = f"last answer: {d['last_answer']}" if d["attempts"] else (d.get("waiting") or "no attempt yet")
    when = cell("at", d["created_at"], zone)
    return f"{when}  {d['kind']:<8} {d['channel']:<10} {d['status']:<10} {len(d['attempts'])} attempt(s), {answer}"


def _timer(t: dict[str, Any], zone: Any) -> str:
    return f"{cell('at', t['due_at'], zone)}  {t['kind']:<22} {t.get('set_by') or '-'}"


def register(commands: Any, stack_command: Any) -> None:
    show = stack_command(
        commands,
        "show",
        cmd_show,
        "one record in one view: the record, its events, alerts, deliveries and pending timers",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("subject", metavar="SUBJECT", help="KIND/ID, e.g. case/cs_… or lead/ld_…")
    show.add_argument("--json", action="store_true", help="one JSON object: subject, record, events, alerts, "
                      "deliveries, timers")  # fmt: skip
