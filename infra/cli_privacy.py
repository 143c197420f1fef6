"""`closeloop privacy erase|export`: the privacy routes (CONTRACT §12) from the operator's terminal —
the same services as POST /privacy/erase and GET /privacy/export; what an erasure changes is
recorded as done by the operator (the audit)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from infra.cli_rules import CommandError


def _person(args: argparse.Namespace) -> dict[str, str]:
    return {"email": args.email} if args.email is not None else {"phone": args.phone}


def _run(args: argparse.Namespace, service: Any) -> Any:
    from shared.adapters.container import container
    from shared.kernel.domain.errors import ValidationFailed

    c = container()
    try:
        return service(_person(args), c.rules.current(), c.uow, c.personal_records, c.clock)
    except ValidationFailed as exc:
        name, problem = next(iter(exc.fields.items()), ("", exc.message))
        raise CommandError(f"--{name}: {problem}") from None


def cmd_privacy_erase(args: argparse.Namespace) -> int:
    from shared.composition.services.privacy import erase_person

    print(json.dumps(_run(args, erase_person).body(), ensure_ascii=False))
    return 0


def cmd_privacy_export(args: argparse.Namespace) -> int:
    from shared.composition.services.privacy import export_person

    print(json.dumps(_run(args, export_person), ensure_ascii=False, indent=2))
    return 0


def register(commands: Any, stack_command: Any) -> None:
    """Add `privacy erase` and `privacy export` to the parser built in infra.cli."""
    privacy = commands.add_parser(
        "privacy", help="erase or export one person (PIPL / GDPR): their lead, case contacts, events"
    ).add_subparsers(dest="privacy_command", metavar="SUBCOMMAND", required=True)
    for name, handler, text in (
        ("erase", cmd_privacy_erase, "erase the person everywhere Closeloop holds them; prints the counts erased "
         "(zeros when erased already). Copies already sent to the ERP, finance or chat are out of reach"),
        ("export", cmd_privacy_export, "print everything held about the person as one JSON document"),
    ):  # fmt: skip
        command = stack_command(privacy, name, handler, text)
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--email", metavar="EMAIL", help="the person's email")
        who.add_argument(
            "--phone", metavar="PHONE", help="the person's phone (a national number: Settings default_country)"
        )
