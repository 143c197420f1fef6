"""`closeloop timers list`: pending timers, soonest first."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_timers_list(args: argparse.Namespace) -> int:
    from shared.adapters.container import container

    timers = container().uow.timers.pending(about=args.subject)
    for timer in timers:
        if args.json:
            print(json.dumps(timer.to_dict(), ensure_ascii=False))
        else:
            row = timer.to_dict()
            print(f"{row['due_at']}  {timer.kind:<18} {timer.about:<28} {timer.set_by or '-'}")
    if not args.json:
        print(f"({len(timers)} pending timer{'s' if len(timers) != 1 else ''})", file=sys.stderr)
    return 0


def register(commands: Any, stack_command: Any) -> None:
    """Add `timers list` to the parser built in infra.cli."""
    timers = commands.add_parser("timers", help="timers: every future action, due time first").add_subparsers(
        dest="timers_command", metavar="SUBCOMMAND", required=True
    )
    listing = stack_command(
        timers, "list", cmd_timers_list, "pending timers, soonest first: due time, kind, subject, the rule that set it"
    )
    listing.add_argument("--subject", metavar="S", help="only the timers of one subject, e.g. lead/ld_…")
    listing.add_argument("--json", action="store_true", help="one timer per line as JSON")
