"""`closeloop leads list`: recent leads, newest first — the GET /leads listing for people."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli_rules import CommandError

# the service's query parameter -> the flag a person typed
_FLAGS = {"owner_id": "--owner", "team": "--team", "grade": "--grade", "since": "--since", "limit": "--limit"}


def cmd_leads_list(args: argparse.Namespace) -> int:
    """Pages through the listing (at most 200 a page) until --limit leads are printed."""
    from shared.adapters.container import container
    from shared.kernel.domain.errors import ValidationFailed
    from shared.leads.services.leads_query import MAX_LIMIT, list_leads

    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    c = container()
    filters = {"owner_id": args.owner, "team": args.team, "grade": args.grade, "since": args.since}
    params = {name: value for name, value in filters.items() if value is not None}
    printed, cursor = 0, None
    while printed < args.limit:
        page_params = {**params, "limit": str(min(args.limit - printed, MAX_LIMIT))}
        if cursor:
            page_params["cursor"] = cursor  # the listing keeps the first page's window
        try:
            page = list_leads(page_params, c.uow, c.clock)
        except ValidationFailed as exc:
            name, problem = next(iter(exc.fields.items()))
            raise CommandError(f"{_FLAGS.get(name, name)} {params.get(name, '')!r}: {problem}") from None
        for lead in page["leads"]:
            print(json.dumps(lead, ensure_ascii=False) if args.json else lead_line(lead))
        printed += len(page["leads"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    if not args.json:
        more = f"; more with --limit {args.limit * 2}" if cursor else ""
        print(f"({printed} lead{'s' if printed != 1 else ''}, newest first{more})", file=sys.stderr)
    return 0


def lead_line(lead: dict[str, Any]) -> str:
    """One line: when, which, how good, whose, who — the person's name last (widths vary)."""
    when = lead["captured_at"][:16].replace("T", " ")
    whose = f"{lead['team']}/{lead['owner_id']}" if lead["owner_id"] else f"queue:{lead['queue'] or '-'}"
    who = " · ".join(str(lead[k]) for k in ("name", "company", "email") if lead.get(k))
    return f"{when}  {lead['lead_id']}  {lead['grade']:<7} {lead['tier']:<10} {lead['score']:>3}  {whose:<28} {who}"


def register(commands: Any, stack_command: Any) -> None:
    """Add `leads list` to the parser built in infra.cli."""
    from shared.rules.domain.rules import GRADES

    leads = commands.add_parser("leads", help="recent leads").add_subparsers(
        dest="leads_command", metavar="SUBCOMMAND", required=True
    )
    listing = stack_command(
        leads,
        "list",
        cmd_leads_list,
        "recent leads, newest first: captured, id, grade, tier, score, team/owner, name · company · email",
    )
    listing.add_argument("--owner", metavar="OWNER_ID", help="only this owner's leads, e.g. u_wang")
    listing.add_argument("--team", help="only this team's leads, e.g. 'SMB East'")
    listing.add_argument("--grade", choices=GRADES, help="only leads of this grade")
    listing.add_argument("--since", help="how far back: 30m, 12h, 7d, 2w or an ISO 8601 time (default 30d)")
    listing.add_argument("--limit", type=int, default=50, help="at most this many leads (default 50)")
    listing.add_argument("--json", action="store_true", help="one lead per line as JSON")
