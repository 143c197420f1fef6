"""`closeloop rules diff|rollback|backtest`, `closeloop sheets init`, `closeloop schedule run`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any


class CommandError(Exception):
    """A failure worth one clear line to the user (shared with infra.cli)."""


_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text)
    if not match:
        raise CommandError(f"--since {text!r}: use a number and a unit, like 30m, 12h, 7d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def _store() -> Any:
    from shared.adapters.container import container

    return container().rules_store


def _version(store: Any, ref: str) -> Any:
    from shared.rules.services.rules_publishing import find_version

    try:
        return find_version(store, ref)
    except LookupError as exc:
        raise CommandError(str(exc)) from None


def _live_words(live: str | None) -> str:
    return f"{live} stays live" if live else "no version is live yet"


def sync_outcome(result: Any, source: str) -> str:
    """What a sync did, as a sentence a person can act on (the problems are printed above it)."""
    live, count = result.version_id, len(result.problems)
    lines = {
        "published": f"published: {live} ({source}); new leads are judged by it",
        "unchanged": f"unchanged: {live} is live and {source} holds the same rules; nothing to publish",
        "rejected": f"rejected: {count} problem(s) above; nothing published, {_live_words(live)}",
        "held": f"held: {source} still holds the rules rolled back from; edit it to publish again; {_live_words(live)}",
        "failed": f"failed: {source} could not be read (above); nothing published, {_live_words(live)}",
        "conflict": f"conflict: another publish moved the live version at the same moment; run the sync again "
        f"({live} is live)",
    }
    return lines.get(result.status, f"{result.status}: {live or '-'} ({source})")


def cmd_rules_sync(args: argparse.Namespace) -> int:
    from admin_sheets.publishing import sync_rules
    from admin_sheets.readers import SourceError
    from schedules.rules_sync import source_to_sync
    from shared.adapters.container import container

    source = args.source or source_to_sync(container(), args.settings.rules)
    if source is None:
        raise CommandError("no rules source: name one with --source (dir:PATH, xlsx:PATH or sheets:ID)")
    if args.dry_run:
        return _dry_run(source, container())
    try:
        result = sync_rules(source, container())
    except (SourceError, ValueError, NotImplementedError) as exc:
        raise CommandError(str(exc)) from None
    for problem in result.problems:
        print(problem)
    for warning in result.warnings:  # told, not blocking: on stderr, so stdout stays the outcome
        print(warning, file=sys.stderr)
    print(sync_outcome(result, source))
    if result.report_error:
        print(f"(the outcome could not be written back into the sheet: {result.report_error})")
    return 1 if result.status in ("rejected", "failed", "conflict") else 0


def _dry_run(source: str, c: Any) -> int:
    """Read and judge the source as a sync would, and say what the sync would do; publish nothing.
    (The sync service's own dry run says only valid or not: whether a sync would publish, change
    nothing or hold takes the content's hash against the live version's, as publish_rules does.)"""
    from admin_sheets.publishing import rule_source
    from admin_sheets.readers import SourceError
    from shared.rules.domain.rules import content_hash
    from shared.rules.services.rules_publishing import SourceUnreadable, version_id_for

    store = c.rules_store
    active = store.active()
    live = active.version_id if active else None
    try:
        read = rule_source(source, c).read()
    except SourceUnreadable as exc:
        print(exc)
        print(f"failed: {source} could not be read (above); dry run: nothing published, {_live_words(live)}")
        return 1
    except (SourceError, ValueError, NotImplementedError) as exc:
        raise CommandError(str(exc)) from None
    if read.problems or read.content is None:
        for problem in read.problems:
            print(problem)
        print(f"rejected: {len(read.problems)} problem(s) above; dry run: nothing published, {_live_words(live)}")
        return 1
    for warning in read.warnings:
        print(warning, file=sys.stderr)
    digest = content_hash(read.content)
    if active is not None and digest == active.content_hash:
        print(f"valid: the same rules as the live {live}; a sync would publish nothing (dry run)")
    elif active is not None and digest == active.held_hash:
        print(
            f"valid, but held: {source} still holds the rules rolled back from; a sync would keep {live} live "
            "until it is edited (dry run)"
        )
    else:
        number = max((v.number for v in store.versions()), default=0) + 1
        print(
            f"valid: a sync would publish it as {version_id_for(number, digest)}; "
            f"dry run: nothing published, {_live_words(live)}"
        )
    return 0


def cmd_rules_versions(args: argparse.Namespace) -> int:
    """Every version, oldest first, with what it is: live, earlier, rolled back from, held."""
    from shared.adapters.container import container

    store = container().rules_store
    active = store.active()
    versions = store.versions()
    if not versions:
        print("no rules version published yet: `closeloop rules sync` publishes one", file=sys.stderr)
        return 0
    latest = max(v.number for v in versions)
    print(f"  {'version':<16} {'what':<44} {'created (UTC)':<24}  {'rows':>6}  source")
    for record in versions:
        is_live = active is not None and record.version_id == active.version_id
        rows = sum(record.row_counts.values())
        what = _what(record, active, latest)
        print(
            f"{'*' if is_live else ' '} {record.version_id:<16} {what:<44} {record.created_at:<24}  {rows:>6}  "
            f"{record.source}"
        )
    print(
        "* = live: new leads are judged by it. `closeloop rules rollback N` makes another version live; "
        "`closeloop rules diff A B` shows what changed",
        file=sys.stderr,
    )
    return 0


def _what(record: Any, active: Any, latest: int) -> str:
    if active is None:
        return "not live"
    if record.version_id == active.version_id:
        return "live" if record.number == latest else "live (rolled back to)"
    if record.number < active.number:
        return "earlier"
    if active.held_hash == record.content_hash:
        return "rolled back from; held while the source has it"
    return "newer, not live (rolled back past)"


def cmd_rules_diff(args: argparse.Namespace) -> int:
    from admin_sheets.versions import describe, diff_content

    store = _store()
    old, new = _version(store, args.old), _version(store, args.new)
    diffs = diff_content(store.content(old.version_id), store.content(new.version_id))
    if args.json:
        print(json.dumps([d.to_dict() for d in diffs], ensure_ascii=False))
    else:
        print(f"{old.version_id} → {new.version_id}")
        print("\n".join(describe(diffs)))
    return 0


def cmd_rules_rollback(args: argparse.Namespace) -> int:
    from shared.adapters.container import container
    from shared.rules.services.rules_publishing import rollback_rules

    c = container()
    try:
        result = rollback_rules(args.version, c.rules_store, c.clock)
    except LookupError as exc:
        raise CommandError(str(exc)) from None
    if result.status == "conflict":
        raise CommandError(result.problems[0])
    if result.status == "unchanged":
        print(f"{result.version_id} is already the active version; nothing to do")
    else:
        print(f"rolled back: {result.version_id} is active again (event RulesRolledBack recorded)")
    return 0


def _candidate(source: str) -> Any:
    from admin_sheets.parse import validate_source
    from admin_sheets.readers import SourceError
    from shared.rules.domain.active import ActiveRules
    from shared.rules.domain.rules import RuleSet, content_hash

    try:
        parsed = validate_source(source)
    except (SourceError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if parsed.problems or parsed.content is None:
        for problem in parsed.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"{source} has {len(parsed.problems)} problem(s); fix them before a backtest")
    rules = RuleSet.from_content(parsed.content, f"candidate-{content_hash(parsed.content)[:8]}")
    return ActiveRules(rules)


def cmd_rules_backtest(args: argparse.Namespace) -> int:
    from shared.adapters.container import container
    from shared.rules.services.backtest import backtest

    since = parse_duration(args.since)
    candidate = _candidate(args.source)
    now = datetime.now(UTC)
    leads = container().uow.leads.captured_between(now - since, now)

    def progress(n: int) -> None:
        print(f"backtest: {n} leads re-evaluated ...", file=sys.stderr, flush=True)

    report = backtest(leads, candidate, examples=args.examples, progress=progress)
    reminders = _reminder_backtest(candidate, now, args.examples)
    segments = _segment_backtest(candidate, now, args.examples)
    if args.json:
        body = {"source": args.source, "since": (now - since).isoformat(), **report.to_dict()}
        body.update({"renewal_reminders": reminders.to_dict(), "segments": segments.to_dict()})
        print(json.dumps(body, ensure_ascii=False))
        return 0
    _print_backtest(args.source, args.since, report)
    _print_reminder_backtest(reminders)
    _print_segment_backtest(segments)
    return 0


def _segment_backtest(candidate: Any, now: datetime, examples: int) -> Any:
    """How many accounts the candidate's Segments tab (and rfm_window_days) would move from the
    segment the live rules give them today (a pass over the accounts: an operator's look)."""
    from shared.adapters.container import container
    from shared.customers.services.segments import backtest_segments

    c = container()
    return backtest_segments(c.rules.current(), candidate, c.uow, now, examples)


def _print_segment_backtest(report: Any) -> None:
    print(
        f"Customer segments: {report.with_orders} of {report.accounts} account(s) have orders; "
        f"{report.moved} would move to another segment (at the next order or segment-sweep after publishing)."
    )
    for move, count in report.to_dict()["moves"].items():
        print(f"  {move:<38} {count:>6}")
    for example in report.examples:
        print(f"  e.g. {example['account_id']}: {example['from']} → {example['to']}")


def _reminder_backtest(candidate: Any, now: datetime, examples: int) -> Any:
    """The pending renewal reminders the candidate's Renewals tab (and timezone) would move if it
    applied to contracts already signed. It does not: nothing is moved (a scan of the timers
    table, as `timers list`: an operator's look, not a request path)."""
    from shared.adapters.container import container
    from shared.customers.services.renewals import backtest_reminders

    return backtest_reminders(candidate, container().uow, now, examples)


def _print_reminder_backtest(report: Any) -> None:
    print(
        f"Renewal reminders: {report.pending} pending on {report.contracts} contract(s); if the candidate applied "
        f"to them, {report.affected} would change. It applies to contracts signed after it is published: "
        f"none of these move."
    )
    for label, count in (
        ("would move (another day or hour)", report.moved),
        ("would be dropped (no such row)", report.dropped),
        ("would tell other roles / opportunity", report.changed),
        ("would be added (a new row)", report.added),
    ):
        print(f"  {label:<38} {count:>6}")
    for example in report.examples:
        print(
            f"  e.g. {example['verdict']:<8} {example['contract_id']} {example['days_before']} days: "
            f"{example['due_at']} → {example['candidate_due_at'] or '—'}"
        )


def _print_backtest(source: str, since: str, report: Any) -> None:
    print(f"Backtest of {source} over the {report.leads} lead(s) captured in the last {since}:")
    for category, label in (
        ("grade", "grade would change"),
        ("tier", "tier would change"),
        ("team", "team would change"),
        ("unassignable", "nobody could take it"),
    ):
        share = f" ({100 * report.changed[category] / report.leads:.1f}%)" if report.leads else ""
        print(f"  {label:<22} {report.changed[category]:>6}{share}")
    for category, examples in report.examples.items():
        for example in examples:
            before, after = example["before"], example["after"]
            print(
                f"  e.g. {category:<12} {example['lead_id']}: grade {before['grade']}→{after['grade']}, "
                f"tier {before['tier']}→{after['tier']}, team {before['team']}→{after['team']}"
            )
    # a "0 would change" here says nothing about quotes: Products and Discounts are checked when
    # published (a discount outside 0–100 % is refused) and apply to quotes made after that
    print("  (leads only: Products and Discounts changes apply to quotes made after publishing)")


def cmd_sheets_init(args: argparse.Namespace) -> int:
    from admin_sheets.google_sheets import SheetsError, sheets_client
    from admin_sheets.workbook_init import create_workbook

    credentials = _key_file(args.credentials) if args.credentials else None
    try:
        client = sheets_client(credentials)
        spreadsheet_id = create_workbook(client, args.title, share=args.share, locale=args.locale)
    except (SheetsError, OSError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    print(spreadsheet_id)
    print(f"created https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit", file=sys.stderr)
    print(f"next: closeloop rules validate sheets:{spreadsheet_id}", file=sys.stderr)
    return 0


def _key_file(path: str) -> Any:
    """--credentials: the service-account key (JSON) downloaded from the Google Cloud console."""
    try:
        with open(path, encoding="utf-8") as key_file:
            return json.load(key_file)
    except FileNotFoundError:
        raise CommandError(
            f"--credentials {path}: no such file (the service account's JSON key, from the Google Cloud console)"
        ) from None
    except IsADirectoryError:
        raise CommandError(f"--credentials {path}: is a folder, not a JSON key file") from None
    except OSError as exc:
        raise CommandError(f"--credentials {path}: cannot read it ({exc.strerror or exc})") from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise CommandError(f"--credentials {path}: not a JSON key file") from None


def parse_instant(text: str | None) -> datetime:
    """--at: an ISO 8601 instant with its offset, to the millisecond (a timer's ``due_at`` as
    `timers list` prints it fires that timer); default now. Without an offset it is refused:
    silently reading it as UTC put sweeps hours away from what a person in Shanghai meant."""
    if not text:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--at {text!r} is not an ISO 8601 instant (e.g. 2026-11-22T08:00:00Z)") from None
    if at.tzinfo is None:
        raise CommandError(f"--at {text!r} has no offset: add Z for UTC or the zone's offset, e.g. {text}+08:00")
    return at


def _unfinished(result: Any) -> bool:
    """A sweep that stopped before its time budget ended (timers, events left for its next run)."""
    return isinstance(result, dict) and bool(result.get("stopped_early"))


def cmd_schedule_run(args: argparse.Namespace, drain: Any, template: dict[str, Any] | None = None) -> int:
    """Invoke the schedule's function here, with the event its schedule sends, then wait idle.
    Any schedule of the template (default template.yaml), by its Name."""
    from infra.local.runtime import LambdaContext, load_handler
    from infra.local.scheduler import event_time, find_schedule, scheduled_event
    from infra.template import load_template

    at = parse_instant(args.at)
    try:
        spec = find_schedule(template if template is not None else load_template(), args.name)
    except KeyError as exc:
        raise CommandError(str(exc.args[0])) from None
    function = spec.function
    os.environ.setdefault("CLOSELOOP_RULES", args.settings.rules)  # what the local stack serves
    started = time.monotonic()
    handler = load_handler(function.handler)
    result = handler(
        scheduled_event(spec, at), LambdaContext(function.logical_id, function.memory_size, function.timeout)
    )
    while _unfinished(result):  # its time budget ran out: the runs that would follow, at once
        result = handler(
            scheduled_event(spec, at), LambdaContext(function.logical_id, function.memory_size, function.timeout)
        )
    drain()
    print(json.dumps(result, ensure_ascii=False, default=str))
    elapsed = time.monotonic() - started
    print(f"{args.name} ran as of {event_time(at)} in {elapsed:.1f} s; plumbing idle", file=sys.stderr)
    return 0


def register(commands: Any, rules: Any, stack_command: Any, command: Any) -> None:
    """Add this module's commands to the parser built in infra.cli."""
    diff = stack_command(rules, "diff", cmd_rules_diff, "what changed between two versions, per tab")
    diff.add_argument("old", help="version id (v3-1a2b3c4d) or number (3)")
    diff.add_argument("new", help="version id or number")
    diff.add_argument("--json", action="store_true", help="machine-readable output")
    rollback = stack_command(rules, "rollback", cmd_rules_rollback, "make an earlier version active again")
    rollback.add_argument("version", help="version id or number, from `closeloop rules versions`")
    backtest = stack_command(
        rules,
        "backtest",
        cmd_rules_backtest,
        "replay recent leads under candidate rules and show what would change; count the pending renewal "
        "reminders a Renewals change would move (it moves none)",
    )
    backtest.add_argument("source", help="candidate rules: dir:PATH, xlsx:PATH or sheets:ID")
    backtest.add_argument("--since", default="7d", help="how far back: 30m, 12h, 7d, 2w (default 7d)")
    backtest.add_argument("--json", action="store_true", help="machine-readable report")
    backtest.add_argument("--examples", type=int, default=5, help="examples shown per kind of change (default 5)")

    sheets = commands.add_parser("sheets", help="the Google Sheets admin workbook").add_subparsers(
        dest="sheets_command", metavar="SUBCOMMAND", required=True
    )
    init = command(
        sheets,
        "init",
        cmd_sheets_init,
        "create the admin workbook: every tab, header, dropdown and note, with the example rules",
    )
    init.add_argument("--title", required=True, help="the workbook's title")
    init.add_argument("--share", metavar="EMAIL", help="give this person edit access")
    init.add_argument("--locale", choices=["en", "zh-CN"], default="en", help="tab names, headers and notes")
    init.add_argument(
        "--credentials", metavar="FILE", help="service-account key file (default: GOOGLE_APPLICATION_CREDENTIALS)"
    )
