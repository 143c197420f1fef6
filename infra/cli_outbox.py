"""`closeloop events list --unpublished` and `events retry ID|--failed`: the outbox's events not
yet on the bus — waiting (the stream or the next outbox-sweep sends them) or set aside after the
bus refused them three times (CONTRACT §13)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_events_unpublished(args: argparse.Namespace) -> int:
    from shared.adapters.container import container

    publisher = container().publisher
    rows = [{**e, "status": "waiting"} for e in publisher.pending(before="9999", limit=10_000)]
    rows += [{**e, "status": "set_aside"} for e in publisher.set_aside()]
    rows = [r for r in rows if args.type in (None, r["type"]) and args.subject in (None, r["subject"])]
    for row in sorted(rows, key=lambda r: r["time"]):
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            why = f"  {row.get('last_error')}" if row["status"] == "set_aside" else ""
            print(f"{row['time']}  {row['status']:<9} {row['type']:<22} {row['subject']:<28} {row['id']}{why}")
    if not args.json:
        aside = sum(1 for r in rows if r["status"] == "set_aside")
        print(f"({len(rows) - aside} waiting, {aside} set aside)", file=sys.stderr)
    return 0


def cmd_events_retry(args: argparse.Namespace) -> int:
    from infra.cli_timers import retry_outcome
    from shared.adapters.container import container

    if not args.ids and not args.failed:
        print("closeloop events retry: give event ids, or --failed for every event set aside", file=sys.stderr)
        return 2
    back = container().publisher.retry(None if args.failed else list(args.ids))
    for event_id in back:
        print(f"{event_id}  pending again (the next outbox-sweep publishes it)")
    return retry_outcome("events", args.ids, back, "event", "pending again")


def register(events: Any, stack_command: Any) -> None:
    """Add `events retry` to the `events` subcommands built in infra.cli."""
    retry = stack_command(
        events, "retry", cmd_events_retry, "put events set aside back: the next outbox-sweep publishes them"
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="event ids (evt_…), as `events list --unpublished` shows")
    retry.add_argument("--failed", action="store_true", help="every event set aside")
