"""`closeloop cases list`, `opportunities list`, ... (CONTRACT §11): one command per aggregate,
each built from the aggregate's list declaration (shared/composition/services/list_specs.py) — the same
filters as GET /<plural>, as flags — a readable table (times in Settings `timezone`) or --json."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from infra.cli_rules import CommandError

# a filter's query parameter -> its flag, where the flag reads better without the "_id"
_SHORT = {
    "owner_id": "--owner",
    "account_id": "--account",
    "opportunity_id": "--opportunity",
    "approver_id": "--approver",
}
_WIDEST = 40  # a free-text column (a title, a name) is cut here in the table

EXAMPLES = {
    "cases": "closeloop cases list --status open --priority P1\n  closeloop cases list --team Support --since 7d",
    "opportunities": "closeloop opportunities list --status open --owner u_wang",
    "quotes": "closeloop quotes list --approver u_zhao        the quotes waiting on u_zhao",
    "contracts": "closeloop contracts list --ending-before 2027-03-31 --status active",
    "orders": "closeloop orders list --account ac_... --since 30d",
    "invoices": "closeloop invoices list --status blocked",
    "accounts": "closeloop accounts list --below-health --owner u_liu",
}


def flag_of(name: str) -> str:
    return _SHORT.get(name, "--" + name.replace("_", "-"))


class _Refused(Exception):
    """The list refused a parameter: (its name, what is wrong)."""


class _Api:
    """The running `closeloop dev`: GET /<plural> on its API, as any client would. A terminal's
    command then loads no AWS SDK and no rules: the stack's warm process answers (and its
    answers carry Settings `timezone`)."""

    def __init__(self, settings: Any) -> None:
        self._url, self._key = settings.api_url, settings.admin_key
        self.zone: Any = None

    def page(self, listing: Any, params: dict[str, str]) -> dict[str, Any]:
        import urllib.error
        import urllib.parse
        import urllib.request
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from infra.local.headers import TIMEZONE_HEADER

        url = f"{self._url}/{listing.plural}?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"X-Api-Key": self._key})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                page: dict[str, Any] = json.loads(answer.read())
                zone = answer.headers.get(TIMEZONE_HEADER)
        except urllib.error.HTTPError as refused:
            error = json.loads(refused.read() or b"{}").get("error", {})
            if refused.code == 400 and error.get("fields"):
                raise _Refused(*next(iter(error["fields"].items()))) from None
            raise CommandError(f"GET /{listing.plural} answered {refused.code}: {error.get('message', '')}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"no API at {self._url} ({exc}); is `closeloop dev` running?") from None
        if self.zone is None and zone:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):  # an unknown name: times stay UTC
                self.zone = ZoneInfo(zone)
        return page


class _Tables:
    """The deployed stack (CLOSELOOP_STACK=aws): the tables themselves, through the list service."""

    def __init__(self) -> None:
        self.zone = local_zone()

    def page(self, listing: Any, params: dict[str, str]) -> dict[str, Any]:
        from shared.adapters.container import container
        from shared.kernel.domain.errors import ValidationFailed
        from shared.kernel.services.listing import list_page

        c = container()
        try:
            return list_page(listing, params, c.uow, c.clock)
        except ValidationFailed as exc:
            raise _Refused(*next(iter(exc.fields.items()))) from None


def pages(source: Any, listing: Any, params: dict[str, str], limit: int) -> Iterator[dict[str, Any]]:
    """The list's summaries, newest first, page after page until ``limit`` (200 a page at most)."""
    from shared.kernel.services.listing import MAX_LIMIT

    printed, cursor = 0, None
    while printed < limit:
        page_params = {**params, "limit": str(min(limit - printed, MAX_LIMIT))}
        if cursor:
            page_params["cursor"] = cursor  # the listing keeps the first page's window
        try:
            page = source.page(listing, page_params)
        except _Refused as refused:
            name, problem = refused.args
            raise CommandError(f"{flag_of(name)} {params.get(name, '')!r}: {problem}") from None
        yield from page[listing.plural]
        printed += len(page[listing.plural])
        cursor = page["next_cursor"]
        if not cursor:
            return
    if cursor:
        raise _More()


class _More(Exception):
    """There is more than --limit showed."""


def cmd_list(args: argparse.Namespace) -> int:
    import os

    from infra.local.stack import StackSettings
    from shared.composition.services.list_specs import LISTINGS

    listing = LISTINGS[args.plural]
    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    params = {f.name: value for f in listing.filters if (value := getattr(args, f.name)) is not None}
    if getattr(args, "since", None) is not None:
        params["since"] = args.since
    if os.environ.get("CLOSELOOP_STACK", "local") == "aws":
        args.settings = args.connect(args)
        source: Any = _Tables()
    else:
        try:
            source = _Api(StackSettings.from_env())
        except ValueError as exc:  # a CLOSELOOP_* variable that is not a port, ...
            raise CommandError(str(exc)) from None
    rows: list[dict[str, Any]] = []
    more = False
    try:
        for summary in pages(source, listing, params, args.limit):
            if args.json:
                print(json.dumps(summary, ensure_ascii=False))
            else:
                rows.append(summary)
    except _More:
        more = True
    if not args.json:
        print_table(rows, listing.columns, source.zone)
        hint = f"; more with --limit {args.limit * 2}" if more else ""
        count = len(rows)
        noun = listing.plural if count != 1 else listing.kind
        print(f"({count} {noun}, newest first{hint})", file=sys.stderr)
    return 0


def local_zone() -> Any:
    """Settings `timezone` of the active rules (UTC when none are published yet)."""
    from zoneinfo import ZoneInfo

    from shared.adapters.container import container

    try:
        return ZoneInfo(container().rules.current().rules.settings.timezone)
    except Exception:  # no rules published: times stay in UTC, marked Z
        return None


def cell(name: str, value: Any, zone: Any) -> str:
    if value is None:
        return "-"
    if name.endswith("_at") and isinstance(value, str) and zone is not None:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    text = str(value).replace("\n", " ")
    return text if len(text) <= _WIDEST else text[: _WIDEST - 1] + "…"


def print_table(rows: list[dict[str, Any]], columns: tuple[str, ...], zone: Any) -> None:
    if not rows:
        return
    table = [[cell(name, row.get(name), zone) for name in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in table)) for i, name in enumerate(columns)]
    print("  ".join(name.upper().ljust(width) for name, width in zip(columns, widths, strict=True)).rstrip())
    for line in table:
        print("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())


def register(commands: Any, command: Any, connect: Any) -> None:
    """Add `<plural> list` for every listed aggregate to the parser built in infra.cli. Locally
    each asks the running stack's API; with CLOSELOOP_STACK=aws, ``connect`` reaches the tables."""
    from shared.composition.services.list_specs import LISTINGS

    for plural, listing in LISTINGS.items():
        group = commands.add_parser(plural, help=f"{plural}, newest first (list)").add_subparsers(
            dest=f"{plural}_command", metavar="SUBCOMMAND", required=True
        )
        columns = ", ".join(listing.columns)
        sub = command(
            group,
            "list",
            cmd_list,
            f"{plural}, newest first, as GET /{plural} lists them: {columns} (times in Settings timezone)",
            epilog=f"examples:\n  {EXAMPLES[plural]}\n  closeloop {plural} list --json | jq .",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(plural=plural, connect=connect)
        for f in listing.filters:
            text = f.help or f"only {plural} with this {f.name}"
            if f.choices == ("true", "false"):
                sub.add_argument(flag_of(f.name), dest=f.name, nargs="?", const="true", choices=f.choices, help=text)
            elif f.choices:
                sub.add_argument(flag_of(f.name), dest=f.name, choices=f.choices, help=text)
            else:
                sub.add_argument(flag_of(f.name), dest=f.name, metavar=f.name.upper(), help=text)
        if listing.since:
            sub.add_argument("--since", help="how far back: 30m, 12h, 7d, 2w or an ISO 8601 time (default: all)")
        sub.add_argument("--limit", type=int, default=50, help=f"at most this many {plural} (default 50)")
        sub.add_argument("--json", action="store_true", help="one summary per line as JSON (times in UTC)")
