"""`closeloop notifications list`, `closeloop deliveries list` and `closeloop deliveries retry`:
what went out (alerts, ERP, finance), with its attempts and last answer; send failed ones again."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from infra.cli_rules import CommandError

STATUSES = ("pending", "delivered", "failed", "cancelled")


def _state(delivery: Any) -> str:
    """pending, with why it has not gone yet; delivered; failed."""
    if delivery.status != "pending":
        return str(delivery.status)
    if delivery.waiting:
        return f"pending ({delivery.waiting})"
    if delivery.next_attempt_at:
        return f"pending (retry at {delivery.next_attempt_at})"
    return "pending"


def cmd_notifications_list(args: argparse.Namespace) -> int:
    from shared.adapters.container import container

    c = container()
    alerts = [d for d in c.uow.deliveries.listing(kind="alert") if args.to in (None, d.to)]
    for d in alerts:
        # the action links the person got (CONTRACT §12), as the message carried them
        links = c.links.urls(d.payload.get("links"))
        if args.json:
            row = {k: v for k, v in d.to_dict().items() if k != "attempts"}
            print(json.dumps({**row, "title": d.payload.get("title"), "links": links}, ensure_ascii=False))
            continue
        print(f"{d.created_at}  to {d.to}  via {d.channel}  [{_state(d)}]  {d.about}")
        for line in [str(d.payload.get("title", "")), *d.text.splitlines()]:
            print(f"    {line}")
        for link in links:
            print(f"    {link['action']}: {link['url']}")
    if not args.json:
        print(f"({len(alerts)} notification{'s' if len(alerts) != 1 else ''})", file=sys.stderr)
    return 0


def cmd_deliveries_list(args: argparse.Namespace) -> int:
    from shared.adapters.container import container

    deliveries = container().uow.deliveries.listing(status=args.status)
    for d in deliveries:
        if args.json:
            print(json.dumps(d.to_dict(), ensure_ascii=False))
            continue
        tries = len(d.attempts)
        last = d.last_answer or "-"
        print(
            f"{d.created_at}  {d.delivery_id}  {d.kind:<8} {d.channel:<10} {d.about:<28} "
            f"{_state(d)}  attempts {tries}, last answer: {last}"
        )
    if not args.json:
        print(f"({len(deliveries)} deliver{'ies' if len(deliveries) != 1 else 'y'})", file=sys.stderr)
    return 0


def cmd_deliveries_retry(args: argparse.Namespace, drain: Callable[[], None]) -> int:
    from shared.adapters.container import container, utc_now
    from shared.deliveries.services.deliveries import send_again

    if bool(args.ids) == bool(args.failed or args.pending):
        raise CommandError("give delivery ids, or --failed, or --pending (one of them)")
    uow = container().uow
    if args.failed or args.pending:
        wanted = "failed" if args.failed else "pending"
        ids = [d.delivery_id for d in uow.deliveries.listing(status=wanted) if wanted == "failed" or d.waiting]
    else:
        ids = list(args.ids)
    if not ids:
        print("nothing to send again", file=sys.stderr)
        return 0
    result = send_again(uow, ids, utc_now())
    if result.sent:
        drain()  # the sender runs on the stack: wait until it has answered
    for delivery_id in result.sent:
        after = uow.deliveries.get(delivery_id)
        answer = after.last_answer if after is not None else None
        print(f"{delivery_id}  {_state(after) if after else 'gone'}  last answer: {answer or '-'}")
    for delivery_id, reason in result.refused.items():
        print(f"closeloop: {delivery_id}: {reason}", file=sys.stderr)
    if result.refused and not result.sent:
        raise CommandError(f"nothing sent again ({len(result.refused)} refused, reasons above)")
    return 1 if result.refused else 0


def register(commands: Any, stack_command: Any, drain: Callable[[argparse.Namespace], None]) -> None:
    """Add `notifications list` and `deliveries list|retry` to the parser built in infra.cli."""
    notifications = commands.add_parser(
        "notifications", help="alerts sent to people (email, chat robots)"
    ).add_subparsers(dest="notifications_command", metavar="SUBCOMMAND", required=True)
    listing = stack_command(
        notifications,
        "list",
        cmd_notifications_list,
        "every alert sent to a person, oldest first: to whom, channel, status, and the text they got",
    )
    listing.add_argument("--to", metavar="OWNER", help="only the alerts of one person (an Owners owner_id, e.g. u_liu)")
    listing.add_argument("--json", action="store_true", help="one alert per line as JSON")

    deliveries = commands.add_parser(
        "deliveries", help="outbound deliveries (alerts, ERP, finance): attempts, answers, retries"
    ).add_subparsers(dest="deliveries_command", metavar="SUBCOMMAND", required=True)
    dlist = stack_command(
        deliveries,
        "list",
        cmd_deliveries_list,
        "every delivery, oldest first: kind, channel, subject, status, attempts and the last answer",
    )
    dlist.add_argument("--status", choices=STATUSES, help="only deliveries in this status")
    dlist.add_argument("--json", action="store_true", help="one delivery (with every attempt) per line as JSON")

    retry = stack_command(
        deliveries,
        "retry",
        lambda args: cmd_deliveries_retry(args, lambda: drain(args)),
        "send deliveries again now (a new round of retries), then wait until the sender has answered; "
        "a delivered one is never sent again",
        epilog="examples:\n  closeloop deliveries retry dl_0123…      one delivery, by the id `deliveries list` shows\n"
        "  closeloop deliveries retry --failed      every failed one (after fixing the receiver)\n"
        "  closeloop deliveries retry --pending     every one waiting for a URL or chat channel (after setting it)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="delivery ids (dl_…)")
    which = retry.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="every failed delivery")
    which.add_argument("--pending", action="store_true", help="every delivery waiting for somewhere to go")
