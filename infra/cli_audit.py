"""`closeloop audit list`: who changed what (CONTRACT §12), newest first — the same listing as
GET /audit, read from the events table's indexes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli_rules import CommandError

_FLAGS = {"subject": "--subject", "actor": "--actor", "since": "--since", "limit": "--limit", "cursor": "--cursor"}


def cmd_audit_list(args: argparse.Namespace) -> int:
    from shared.adapters.container import container
    from shared.kernel.domain.errors import ValidationFailed
    from shared.kernel.services.audit import list_audit

    c = container()
    asked = {"subject": args.subject, "actor": args.actor, "since": args.since}
    params = {name: value for name, value in asked.items() if value is not None}
    shown, cursor = 0, None
    while shown < args.limit:
        page_params = {**params, "limit": str(min(200, args.limit - shown)), **({"cursor": cursor} if cursor else {})}
        try:
            page = list_audit(page_params, c.audit, c.clock)
        except ValidationFailed as exc:
            name, problem = next(iter(exc.fields.items()), ("", exc.message))
            raise CommandError(f"{_FLAGS.get(name, name)} {params.get(name, '')!r}: {problem}") from None
        for entry in page["audit"]:
            print(json.dumps(entry, ensure_ascii=False) if args.json else line(entry))
        shown += len(page["audit"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    if not args.json:
        more = " (more: raise --limit)" if cursor else ""
        print(f"({shown} change{'s' if shown != 1 else ''}){more}", file=sys.stderr)
    return 0


def who(actor: dict[str, Any] | None) -> str:
    """``api_key liu-phone (u_liu)``, ``api_key ops for u_chen``, ``webhook hubspot``."""
    if not actor:
        return "(not recorded)"
    person = f" ({actor['owner_id']})" if actor.get("owner_id") else ""
    behalf = f" for {actor['on_behalf_of']}" if actor.get("on_behalf_of") else ""
    return f"{actor.get('kind')} {actor.get('name')}{person}{behalf}"


def line(entry: dict[str, Any]) -> str:
    return f"{entry['time']}  {entry['type']:<22} {entry['subject']:<34} by {who(entry.get('actor'))}"


def register(commands: Any, stack_command: Any) -> None:
    """Add `audit list` to the parser built in infra.cli."""
    audit = commands.add_parser("audit", help="who changed what: every change with its actor").add_subparsers(
        dest="audit_command", metavar="SUBCOMMAND", required=True
    )
    listing = stack_command(
        audit,
        "list",
        cmd_audit_list,
        "changes newest first, each with who made it: the API key (by name; its person, or the person it acted "
        "for), action link, webhook source, schedule or operator",
        epilog="examples:\n"
        "  closeloop audit list --subject quote/qt_…   who approved this discount, with which key, when\n"
        "  closeloop audit list --actor finance-system   what one key changed\n"
        "  closeloop audit list --since 7d              every change people made this week",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--subject", metavar="S", help="every event of one subject, e.g. quote/qt_… or lead/ld_…")
    listing.add_argument("--actor", metavar="NAME", help="the changes of one API key, link or operator, by name")
    listing.add_argument(
        "--since", metavar="WHEN", help="7d, 12h, 30m, 2w or an ISO time (default: all time with a filter, else 30d)"
    )
    listing.add_argument("--limit", type=int, default=200, help="at most this many changes (default 200)")
    listing.add_argument("--json", action="store_true", help="one entry (an event envelope with its actor) per line")
