"""`closeloop timers list` (pending, or set aside with --failed) and `timers retry ID|--failed`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def cmd_timers_list(args: argparse.Namespace) -> int:
    from shared.adapters.container import container

    timers = container().uow.timers
    found = timers.failed() if args.failed else timers.pending(about=args.subject)
    if args.failed and args.subject:
        found = [t for t in found if t.about == args.subject]
    for timer in found:
        row = timer.to_dict()
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
        elif args.failed:
            print(f"{row['due_at']}  {timer.kind:<18} {timer.about:<28} {timer.timer_id}  {timer.last_error or '-'}")
        else:
            print(f"{row['due_at']}  {timer.kind:<18} {timer.about:<28} {timer.set_by or '-'}")
    if not args.json:
        what = "timer" + ("s" if len(found) != 1 else "")
        print(f"({len(found)} {what} {'set aside' if args.failed else 'pending'})", file=sys.stderr)
    return 0


def cmd_timers_retry(args: argparse.Namespace) -> int:
    from shared.adapters.container import container
    from shared.time.services.timers import retry_failed

    if not args.ids and not args.failed:
        print("closeloop timers retry: give timer ids, or --failed for every timer set aside", file=sys.stderr)
        return 2
    back = retry_failed(container().uow, None if args.failed else list(args.ids))
    for timer in back:
        print(f"{timer.timer_id}  {timer.kind:<18} {timer.about}  due again (fires in the next timer-sweep)")
    return retry_outcome("timers", args.ids, [t.timer_id for t in back], "timer", "due again")


def retry_outcome(command: str, asked: list[str], back: list[str], noun: str, state: str) -> int:
    """How a `… retry` ends: the ids asked for that were not set aside (exit 1), else a count."""
    missing = sorted(set(asked) - set(back))
    if missing:
        print(f"closeloop {command} retry: not set aside (or no such {noun}): {', '.join(missing)}", file=sys.stderr)
        return 1
    print(f"({len(back)} {noun}{'s' if len(back) != 1 else ''} {state})", file=sys.stderr)
    return 0


def register(commands: Any, stack_command: Any) -> None:
    """Add `timers list` and `timers retry` to the parser built in infra.cli."""
    timers = commands.add_parser("timers", help="timers: every future action, due time first").add_subparsers(
        dest="timers_command", metavar="SUBCOMMAND", required=True
    )
    listing = stack_command(
        timers, "list", cmd_timers_list, "pending timers, soonest first: due time, kind, subject, the rule that set it"
    )
    listing.add_argument("--subject", metavar="S", help="only the timers of one subject, e.g. lead/ld_…")
    listing.add_argument(
        "--failed", action="store_true", help="timers set aside after failing 3 times, with the last error"
    )
    listing.add_argument("--json", action="store_true", help="one timer per line as JSON")
    retry = stack_command(
        timers,
        "retry",
        cmd_timers_retry,
        "put timers set aside back: the next timer-sweep fires them (their due time has passed)",
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="timer ids (tm_…), as `timers list --failed` shows")
    retry.add_argument("--failed", action="store_true", help="every timer set aside")
