"""`closeloop send SOURCE FILE|-`: post a body to a signed webhook of the local stack, signed as
CONTRACT §2 says (X-Closeloop-Signature: t=<unix seconds>,v1=HMAC-SHA256 over "<t>." + body)
with the stack's webhook secret and the time the stack judges signatures by, and print the answer."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from infra.cli_rules import CommandError

KINDS = ("leads", "behavior", "cases", "shipments", "esign", "usage")

EPILOG = """\
examples:
  closeloop send crm lead.json                          a lead to POST /webhooks/leads/crm
  echo '{"external_id": "CC-1", "priority": "P1", "subject": "Line down",
         "account": {"company": "Acme", "country": "CN"}}' | closeloop send contact-center - --kind cases
  closeloop send warehouse shipment.json --kind shipments --idempotency-key SH-1-signed
  closeloop send docusign envelope.json --kind esign

The body is sent as it is in the file (the signature covers those bytes). The secret is
CLOSELOOP_WEBHOOK_SECRET (default dev-webhook-secret, every signed source of the local stack);
the time is the one the running stack judges signatures by (its answers say it: the real time,
also on a stack whose business clock CLOSELOOP_CLOCK_START shifted), so the signature is inside
the server's 300 s tolerance. Prints the answer's body; exits 1 when its status is 4xx or 5xx
(the status is on stderr).
"""


def stack_clock(api_url: str) -> datetime:
    """The time the running stack judges signatures by (its X-Closeloop-Clock header); without
    an answer, this machine's clock."""
    import urllib.error
    import urllib.request

    from infra.local.headers import CLOCK_HEADER

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as answer:
            told = answer.headers.get(CLOCK_HEADER)
    except (urllib.error.URLError, OSError):
        told = None
    return datetime.fromisoformat(told.replace("Z", "+00:00")) if told else datetime.now(UTC)


def read_body(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as file:
            return file.read()
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from None


def cmd_send(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    from shared.kernel.services.webhook_auth import sign

    settings = args.settings
    body = read_body(args.file)
    now = stack_clock(settings.api_url)
    headers = {
        "Content-Type": args.content_type,
        "X-Closeloop-Signature": sign(settings.webhook_secret, int(now.timestamp()), body),
    }
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    url = f"{settings.api_url}/webhooks/{args.kind}/{args.source}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        status, text = answer.code, answer.read()
    except (urllib.error.URLError, OSError) as exc:
        raise CommandError(f"no API at {settings.api_url} ({exc}); is `closeloop dev` running?") from None
    print(_readable(text))
    print(f"HTTP {status} from POST /webhooks/{args.kind}/{args.source}", file=sys.stderr)
    return 0 if status < 400 else 1


def _readable(text: bytes) -> str:
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except ValueError:
        return text.decode("utf-8", "replace")


def register(commands: Any, stack_command: Any) -> None:
    send = stack_command(
        commands,
        "send",
        cmd_send,
        "post a body to a signed webhook of the local stack, signed with its secret; print the answer",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    send.add_argument("source", metavar="SOURCE", help="the source's name (Sources tab), e.g. crm, contact-center")
    send.add_argument("file", metavar="FILE", help="the body: a file, or - for standard input")
    send.add_argument(
        "--kind", choices=KINDS, default="leads", help="which webhook: POST /webhooks/KIND/SOURCE (default leads)"
    )
    send.add_argument("--idempotency-key", metavar="KEY", help="sent as Idempotency-Key (a repeat answers the first)")
    send.add_argument(
        "--content-type", default="application/json", help="the body's Content-Type (default application/json)"
    )
