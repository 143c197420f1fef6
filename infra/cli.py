"""The ``closeloop`` command line. Every command has --help and fails with a one-line reason."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from infra.cli_audit import register as register_audit
from infra.cli_deliveries import register as register_deliveries
from infra.cli_kpis import register as register_kpis
from infra.cli_leads import register as register_leads
from infra.cli_lists import register as register_lists
from infra.cli_outbox import register as register_outbox
from infra.cli_privacy import register as register_privacy
from infra.cli_rules import CommandError, cmd_rules_sync, cmd_rules_versions, cmd_schedule_run, register
from infra.cli_send import register as register_send
from infra.cli_show import register as register_show
from infra.cli_timers import register as register_timers
from infra.local.stack import DEFAULT_RULES, StackSettings

EPILOG = """\
examples:
  closeloop dev                                   start the local stack on the example rules
  closeloop rules validate dir:admin_sheets/examples
  closeloop events list --type LeadAssigned       (in a second terminal, same environment)
  closeloop pump                                  wait until the local plumbing is idle
  closeloop rules backtest dir:/tmp/rules --since 7d
                                                  what a rules change would do to last week's leads
  closeloop rules rollback 3                      make version 3 active again
  closeloop schedule run rules-sync               run a scheduled job now
  closeloop notifications list --to u_liu         the alerts one person got, with their text
  closeloop deliveries list --status failed       what did not go out, and the receiver's last answer
  closeloop kpis --team 'SMB East'                the KPI set of the last 28 days for one team
  closeloop cases list --status open --priority P1
                                                  open P1 cases, newest first (also opportunities, quotes,
                                                  contracts, orders, invoices, accounts)
  closeloop show case/cs_...                      a record, its events, alerts, deliveries and timers
  closeloop send contact-center case.json --kind cases
                                                  a webhook body signed with the stack's secret and clock
  closeloop sheets init --title "Sales rules" --locale zh-CN --share ops@example.com
"""

DEV_EPILOG = """\
fault injection (local stack only):
  CLOSELOOP_CHAOS=throttle=0.2,conflict=0.1,timeout=0.02,seed=7 closeloop dev
      the embedded AWS fails a share of DynamoDB reads, writes and transactions and of EventBridge
      PutEvents as AWS does: throttle (ProvisionedThroughputExceededException, a transaction
      cancelled with ThrottlingError, EventBridge ThrottlingException), conflict (a transaction
      cancelled with TransactionConflict), timeout (applied, then the answer is lost: only reads and
      transactions, whose ClientRequestToken makes botocore's repeat safe), seed (the same choices
      again). Faults begin once the stack is up; GET <embedded AWS>/_closeloop/chaos counts them.
"""


def _stack_settings(args: argparse.Namespace) -> StackSettings:
    try:
        return StackSettings.from_env(
            rules=getattr(args, "rules", None),
            port=getattr(args, "port", None),
            aws_port=getattr(args, "aws_port", None),
            finance_url=getattr(args, "finance_url", None),
            erp_url=getattr(args, "erp_url", None),
            public_url=getattr(args, "public_url", None),
            schedules=False if getattr(args, "no_schedules", False) else None,
            dev_origins=True if getattr(args, "allow_dev_origins", False) else None,
        )
    except ValueError as exc:  # a CLOSELOOP_* variable that is not a port, not on/off, ...
        raise CommandError(str(exc)) from None


def _connect(args: argparse.Namespace) -> StackSettings:
    """Reach the local stack that `closeloop dev` runs (same CLOSELOOP_* variables) — or, with
    CLOSELOOP_STACK=aws, the deployed stack through the usual AWS credentials and region."""
    import socket

    from infra.local.stack import connect_env

    settings = _stack_settings(args)
    if os.environ.get("CLOSELOOP_STACK", "local") == "aws":
        _require_aws_credentials()
        _require_stage()
        return settings
    with socket.socket() as probe:
        if probe.connect_ex((settings.host, settings.aws_port)) != 0:
            raise CommandError(
                f"no local stack on port {settings.aws_port}: start one with `closeloop dev` "
                "(or set CLOSELOOP_AWS_PORT to the port it uses)"
            )
    connect_env(settings)
    _use_stack_clock(settings.api_url)
    return settings


def _use_stack_clock(api_url: str) -> None:
    """Record at the stack's business time, as its API does: a stack started at
    CLOSELOOP_CLOCK_START says its clock on every answer; without an answer, this machine's."""
    import urllib.error
    import urllib.request
    from datetime import UTC, datetime

    from infra.local.headers import NOW_HEADER
    from shared.adapters.container import use_clock, utc_now

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=3) as answer:
            told = answer.headers.get(NOW_HEADER)
    except (urllib.error.URLError, OSError):
        return
    if told:
        offset = datetime.fromisoformat(told.replace("Z", "+00:00")) - datetime.now(UTC)
        if abs(offset.total_seconds()) > 1:  # the clock was shifted, not merely read a moment ago
            use_clock(lambda: utc_now() + offset)


NO_AWS_CREDENTIALS = (
    "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_REGION "
    "(CLOSELOOP_STACK=aws reaches the deployed stack; unset it for the local one)"
)


NO_STAGE = (
    "CLOSELOOP_STAGE is not set: name the deployed stage to reach (the STAGE of `make deploy`, e.g. "
    "CLOSELOOP_STAGE=prod); every table, bus and secret is closeloop-<stage>-..."
)


def _require_stage() -> None:
    from shared.adapters.settings import Settings

    stage = os.environ.get("CLOSELOOP_STAGE", "").strip()
    if not stage:
        raise CommandError(NO_STAGE)
    try:
        Settings.for_stage(stage)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _require_aws_credentials() -> None:
    """Say so in one line before the first call fails deep inside PynamoDB."""
    import boto3

    if boto3.Session().get_credentials() is None:
        raise CommandError(NO_AWS_CREDENTIALS)


def _no_credentials(exc: BaseException) -> bool:
    """botocore's NoCredentialsError anywhere in the chain (PynamoDB wraps it in GetError, ...)."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def cmd_demo(args: argparse.Namespace) -> int:
    from infra.demo import main as demo

    return demo()


def cmd_dev(args: argparse.Namespace) -> int:
    from infra.local.stack import LocalStack

    settings = _stack_settings(args)
    _check_chat_webhooks(settings.chat_webhooks)
    console = _console()
    stack = LocalStack(settings, on_request=console.request if console else None)
    print(f"starting embedded AWS on {settings.endpoint_url} (resources from template.yaml) ...", flush=True)
    from admin_sheets.readers import SourceError
    from infra.local.aws import PortInUseError

    try:
        result = stack.start()
    except PortInUseError as exc:
        stack.stop()
        raise CommandError(str(exc)) from None
    except OSError as exc:  # the API port, most likely
        stack.stop()
        raise CommandError(f"could not start the local stack: {exc} (set CLOSELOOP_PORT / --port)") from None
    except (SourceError, ValueError) as exc:
        stack.stop()
        raise CommandError(f"cannot read the rules: {exc}") from None
    if result.status in ("rejected", "failed"):
        stack.stop()
        for problem in result.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"the rules in {settings.rules} are not valid ({len(result.problems)} problems above)")
    watcher = _watch_bus(settings, console)
    _print_banner(settings, result.version_id)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        print("\nstopping ...", flush=True)
        if watcher is not None:
            watcher.stop()
        stack.stop()
    return 0


def _check_chat_webhooks(text: str) -> None:
    """CLOSELOOP_CHAT_WEBHOOKS must be {name: {"kind", "url", "secret"?}}: say what is wrong now,
    not when the first alert cannot go."""
    from shared.deliveries.domain.chat import ChatChannel

    try:
        channels = json.loads(text)
        if not isinstance(channels, dict):
            raise ValueError("it must be a JSON object {name: {kind, url, secret?}}")
        for name, value in channels.items():
            ChatChannel.parse(name, value)
    except ValueError as problem:
        raise CommandError(f"CLOSELOOP_CHAT_WEBHOOKS: {problem}") from None


def _console() -> Any:
    """The readable console (one line per request, event and log record) unless
    CLOSELOOP_CONSOLE says json: then the functions' JSON logs, as CloudWatch would have them."""
    from infra.local.console import Console
    from shared.adapters.observability import CONSOLE_ENV, use_console

    if os.environ.setdefault(CONSOLE_ENV, "pretty").strip().lower() != "pretty":
        return None
    use_console()
    return Console()


def _watch_bus(settings: StackSettings, console: Any) -> Any:
    from infra.local.console import BusWatcher

    return BusWatcher(settings.endpoint_url, console).start() if console is not None else None


def _print_banner(settings: StackSettings, version: str | None) -> None:
    url = settings.api_url
    print(
        f"""
Closeloop is running.
  API:           {url}
  admin key:     {settings.admin_key}   (header X-Api-Key)
  rules:         {settings.rules}  → active version {version}
  embedded AWS:  {settings.endpoint_url}
  schedules:     {_schedules_line(settings)}
  dev origins:   {_dev_origins_line(settings)}
  deliveries:    {_deliveries_line(settings)}{_chaos_line(settings)}

Post a lead from the public web form source:
  curl -s -X POST {url}/webhooks/leads/website -H 'Content-Type: application/json' \\
    -d '{{"email": "zhang.wei@example.cn", "name": "张伟", "company": "上海精密制造", "province": "上海",
         "industry": "制造业", "employees": 1500, "title": "采购总监", "phone": "13800138000"}}'
Read it back with its decision (use the lead_id printed above):
  curl -s {url}/leads/LEAD_ID -H 'X-Api-Key: {settings.admin_key}'

In another terminal: `closeloop events list`, `closeloop notifications list`, `closeloop pump`.  Ctrl-C stops.""",
        flush=True,
    )


def _chaos_line(settings: StackSettings) -> str:
    if settings.chaos is None:
        return ""
    return (
        f"\n  fault injection: {settings.chaos.describe()} (CLOSELOOP_CHAOS; {settings.endpoint_url}/_closeloop/chaos)"
    )


def _deliveries_line(settings: StackSettings) -> str:
    channels = ", ".join(sorted(json.loads(settings.chat_webhooks))) or "none (CLOSELOOP_CHAT_WEBHOOKS)"
    erp, finance = settings.erp_url or "none", settings.finance_url or "none"
    return f"ERP {erp}, finance {finance} (none: they wait as pending); chat channels: {channels}; email via SES"


def _schedules_line(settings: StackSettings) -> str:
    if settings.schedules:
        return "on: every schedule of template.yaml fires at its rate (--no-schedules turns them off)"
    return "off (closeloop schedule run NAME runs one)"


def _dev_origins_line(settings: StackSettings) -> str:
    if settings.dev_origins:
        return "on: pages on localhost, 127.0.0.1 (any port) or opened from disk may post to public sources"
    return "off (--allow-dev-origins lets pages on localhost or opened from disk post to public sources)"


def wait_idle(settings: StackSettings, timeout: float) -> None:
    """Wait until the running stack is idle: its plumbing has handled every stream record, due
    queue message, bus event and due schedule, and every recorded event is on the bus."""
    from infra.local.control import request_drain
    from infra.local.inspect import pending_events

    deadline = time.monotonic() + timeout
    # Only the plumbing knows its stream positions: ask it (None: the stack runs no plumbing).
    if os.environ.get("CLOSELOOP_STACK", "local") != "aws" and request_drain(settings.endpoint_url, timeout) is False:
        raise CommandError(
            f"the local plumbing is still busy after {timeout:g} s (the closeloop dev terminal says why)"
        )
    while (pending := _pending_events(pending_events)) != 0:
        if time.monotonic() > deadline:
            unpublished = "some" if pending is None else str(pending)
            raise CommandError(f"{unpublished} event(s) still unpublished after {timeout:g} s")
        time.sleep(0.1)


def _pending_events(count: Callable[[], int]) -> int | None:
    """How many events wait to be published; None when DynamoDB shed the count (throttled, or a
    fault of its own past the retries): not idle yet, ask again — the wait has its own deadline."""
    from shared.adapters.dynamo.faults import is_transient

    try:
        return count()
    except Exception as exc:
        if is_transient(exc):
            return None
        raise


def cmd_pump(args: argparse.Namespace) -> int:
    wait_idle(args.settings, args.timeout)
    print("idle: every stream record, due queue message and bus event handled; every recorded event published")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from shared.adapters.observability import CONSOLE_ENV, use_console

    if os.environ.setdefault(CONSOLE_ENV, "pretty").strip().lower() == "pretty":
        use_console()  # the job's log lines read as lines, not JSON (CLOSELOOP_CONSOLE=json for JSON)
    return cmd_schedule_run(args, lambda: wait_idle(args.settings, args.timeout))


def cmd_events_list(args: argparse.Namespace) -> int:
    from infra.local.inspect import follow_events, list_events

    if args.unpublished:
        from infra.cli_outbox import cmd_events_unpublished

        return cmd_events_unpublished(args)

    events: Any = (
        follow_events(args.type, args.subject, interval=args.interval)
        if args.follow
        else list_events(event_type=args.type, subject=args.subject)
    )
    count = 0
    try:
        for envelope in events:
            count += 1
            if args.json:
                print(json.dumps(envelope, ensure_ascii=False), flush=args.follow)
            else:
                summary = json.dumps(envelope["data"], ensure_ascii=False)
                line = f"{envelope['time']}  {envelope['type']:<22} {envelope['subject']:<28} {summary[:90]}"
                print(line, flush=args.follow)
    except KeyboardInterrupt:  # the way out of --follow
        pass
    if not args.json:
        print(f"({count} event{'s' if count != 1 else ''})", file=sys.stderr)
    return 0


def event_type(text: str) -> str:
    """--type: one of the event types (CONTRACT §4 and ours), else a usage error listing them."""
    import difflib

    from shared.kernel.domain.events import EVENT_TYPES

    if text in EVENT_TYPES:
        return text
    close = difflib.get_close_matches(text, EVENT_TYPES, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    raise argparse.ArgumentTypeError(f"unknown event type {text!r}; {hint}known types: {', '.join(EVENT_TYPES)}")


def cmd_rules_validate(args: argparse.Namespace) -> int:
    from admin_sheets.parse import validate_source
    from admin_sheets.readers import SourceError

    try:
        result = validate_source(args.source)
    except (SourceError, ValueError, NotImplementedError) as exc:
        raise CommandError(str(exc)) from None
    for problem in result.problems:
        print(problem)
    for warning in result.warnings:  # e.g. holidays the package only estimates: told, not blocking
        print(warning, file=sys.stderr)  # stdout stays the result: the problem lines, or "valid"
    if result.problems:
        print(f"{len(result.problems)} problem(s); nothing would be published", file=sys.stderr)
        return 1
    counts = ", ".join(f"{tab} {len(rows)}" for tab, rows in (result.content or {}).items() if rows)
    print(f"valid: {counts}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="closeloop",
        description="Closeloop: lead-to-cash automation. Local stack, rules and events.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        parent: Any,
        name: str,
        handler: Callable[[argparse.Namespace], int],
        text: str,
        *,
        needs_stack: bool = False,
        **kwargs: Any,
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=text, description=text, **kwargs)
        sub.set_defaults(handler=handler, needs_stack=needs_stack)
        return sub

    def stack_command(*args: Any, **kwargs: Any) -> argparse.ArgumentParser:
        """A command that works on the running local stack (reached through CLOSELOOP_* settings)."""
        return command(*args, needs_stack=True, **kwargs)

    dev = command(
        commands,
        "dev",
        cmd_dev,
        "run the local stack in the foreground (what `make run` does)",
        epilog=DEV_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dev.add_argument(
        "--rules",
        metavar="SOURCE",
        help=f"rule source: dir:PATH, xlsx:PATH or sheets:SPREADSHEET_ID (env CLOSELOOP_RULES; "
        f"default {DEFAULT_RULES})",
    )
    dev.add_argument("--port", type=int, help="API port (env CLOSELOOP_PORT; default 8000)")
    dev.add_argument("--aws-port", type=int, help="embedded AWS port (env CLOSELOOP_AWS_PORT; default 4566)")
    dev.add_argument(
        "--finance-url",
        metavar="URL",
        help="where invoice events are POSTed, signed (env CLOSELOOP_FINANCE_URL; default none: they wait as "
        "pending until one is set, then `closeloop deliveries retry --pending`)",
    )
    dev.add_argument(
        "--erp-url",
        metavar="URL",
        help="where order and contract events are POSTed, signed (env CLOSELOOP_ERP_URL; default none: they wait "
        'as pending). Chat channels for alerts: env CLOSELOOP_CHAT_WEBHOOKS=\'{"ops": {"kind": "wecom", '
        '"url": "…"}}\'; signing key: env CLOSELOOP_DELIVERY_SECRET (default dev-delivery-secret)',
    )
    dev.add_argument(
        "--public-url",
        metavar="URL",
        help="where the action links in alerts point, <URL>/a/<token>: an address people's phones reach "
        "(env CLOSELOOP_PUBLIC_URL; default this API's own URL); links are signed with env "
        "CLOSELOOP_LINK_SECRET (default dev-link-secret)",
    )
    dev.add_argument(
        "--no-schedules",
        action="store_true",
        help="schedules do not fire by themselves (env CLOSELOOP_SCHEDULES=off; default on: every schedule of "
        "template.yaml fires at its rate); `closeloop schedule run NAME` still runs one",
    )
    dev.add_argument(
        "--allow-dev-origins",
        action="store_true",
        help="let pages served from localhost or 127.0.0.1 (http or https, any port), or opened from "
        "disk (Origin: null), post to public sources and be sent back with _redirect, as if they were in the "
        "source's allowed_origins (env CLOSELOOP_DEV_ORIGINS=on; default off). Local stack only: a deployed "
        "stack never allows them. Try it with examples/web-form/",
    )

    pump = stack_command(
        commands,
        "pump",
        cmd_pump,
        "wait until every pending stream record, queue message and bus event that is due has been processed",
    )
    pump.add_argument("--timeout", type=float, default=60, help="give up after this many seconds (default 60)")

    events = commands.add_parser("events", help="inspect recorded domain events").add_subparsers(
        dest="events_command", metavar="SUBCOMMAND", required=True
    )
    listing = stack_command(events, "list", cmd_events_list, "every domain event recorded, oldest first")
    listing.add_argument("--type", type=event_type, help="only events of this type, e.g. LeadAssigned")
    listing.add_argument("--subject", help="only events about this subject, e.g. lead/ld_...")
    listing.add_argument("--json", action="store_true", help="one event envelope (JSON) per line")
    listing.add_argument(
        "--follow", action="store_true", help="then keep printing new events as they are recorded, until Ctrl-C"
    )
    listing.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)  # --follow's poll, seconds
    listing.add_argument(
        "--unpublished",
        action="store_true",
        help="only events not yet on the bus: waiting, or set aside after the bus refused them 3 times (with why)",
    )
    register_outbox(events, stack_command)

    rules = commands.add_parser("rules", help="validate and publish the rules workbook").add_subparsers(
        dest="rules_command", metavar="SUBCOMMAND", required=True
    )
    validate = command(
        rules, "validate", cmd_rules_validate, "check a rule source; prints one `Tab!Cell: message` line per problem"
    )
    validate.add_argument("source", help="dir:PATH (a CSV per tab), xlsx:PATH or sheets:SPREADSHEET_ID")
    sync = stack_command(rules, "sync", cmd_rules_sync, "read, validate and publish a new rules version")
    sync.add_argument(
        "--source",
        help="dir:PATH, xlsx:PATH or sheets:ID (default: the source the live rules were published "
        "from, as rules-sync reads; else CLOSELOOP_RULES or the examples)",
    )
    sync.add_argument("--dry-run", action="store_true", help="say what a sync would do; publish nothing")
    stack_command(rules, "versions", cmd_rules_versions, "every published rules version and what it is (* = live)")
    register(commands, rules, stack_command, command)
    register_timers(commands, stack_command)
    register_leads(commands, stack_command)
    register_lists(commands, command, _connect)
    register_show(commands, stack_command)
    register_send(commands, stack_command)
    register_kpis(commands, stack_command)
    register_audit(commands, stack_command)
    register_privacy(commands, stack_command)
    register_deliveries(commands, stack_command, lambda args: wait_idle(args.settings, 60))

    command(
        commands,
        "demo",
        cmd_demo,
        "the whole loop in a minute, narrated, on a local stack of its own: a lead captured, routed and touched, "
        "converted, quoted with two approvals, signed, shipped, invoiced to the sample finance receiver, a P1 case "
        "holding the renewal reminder, the KPIs. Needs no running stack; time is driven with timer-sweep --at",
    )

    schedule = commands.add_parser("schedule", help="run scheduled jobs by hand").add_subparsers(
        dest="schedule_command", metavar="SUBCOMMAND", required=True
    )
    run = stack_command(
        schedule,
        "run",
        cmd_schedule,
        "run one scheduled job as if its schedule fired at that instant, then wait until idle",
    )
    run.add_argument("name", help="the schedule's Name in template.yaml, e.g. rules-sync or outbox-sweep")
    run.add_argument("--at", metavar="ISO8601", help="the instant it fires (default: now)")
    run.add_argument(
        "--timeout", type=float, default=60, help="wait this many seconds for the plumbing to go idle (default 60)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.needs_stack:
            args.settings = _connect(args)
        from shared.adapters.acting import acting_as, cli_actor

        with acting_as(cli_actor()):  # what a command changes, the operator did (the audit)
            code: int = args.handler(args)
    except CommandError as exc:
        print(f"closeloop: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an outside failure: still one line, the details on demand
        if os.environ.get("CLOSELOOP_DEBUG"):
            raise
        if _no_credentials(exc):
            print(f"closeloop: {NO_AWS_CREDENTIALS}", file=sys.stderr)
            return 1
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"closeloop: {type(exc).__name__}: {reason} (CLOSELOOP_DEBUG=1 shows the details)", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
