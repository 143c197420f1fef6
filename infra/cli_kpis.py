"""`closeloop kpis`: the KPI set of a window (CONTRACT §7), the numbers GET /kpis gives."""

from __future__ import annotations

import argparse
import json
from typing import Any

from infra.cli_rules import CommandError

_FLAGS = {"from": "--from", "to": "--to", "team": "--team", "owner_id": "--owner"}


def cmd_kpis(args: argparse.Namespace) -> int:
    from shared.adapters.container import container
    from shared.kernel.domain.errors import ValidationFailed
    from shared.kpis.services.kpis import kpi_report

    c = container()
    asked = {"from": args.start, "to": args.end, "team": args.team, "owner_id": args.owner}
    params = {name: value for name, value in asked.items() if value is not None}
    try:
        report = kpi_report(params, c.kpis, c.rules.current().rules, c.clock())
    except ValidationFailed as exc:
        name, problem = next(iter(exc.fields.items()), ("", exc.message))
        raise CommandError(f"{_FLAGS.get(name, name)} {params.get(name, '')!r}: {problem}") from None
    print(json.dumps(report, ensure_ascii=False) if args.json else table(report))
    return 0


def table(report: dict[str, Any]) -> str:
    from shared.kpis.domain.kpi_definitions import rows

    scope = " · ".join(f"{k} {report[k]}" for k in ("team", "owner_id") if report[k]) or "all teams"
    lines = [f"KPIs {report['from']} → {report['to']} (to excluded; days in {report['timezone']}; {scope})", ""]
    found = rows(report["kpis"])
    width = max(len(label) for label, _, _ in found)
    lines.append(f"{'KPI':<{width}}  {'value':>9}  {'numerator':>12}  {'denominator':>12}")
    for label, kpi, value in found:
        lines.append(f"{label:<{width}}  {value:>9}  {_n(kpi['numerator']):>12}  {_n(kpi['denominator']):>12}")
    if report["skipped"]:
        lines += [
            "",
            "not counted (a data key missing): " + ", ".join(f"{k} ×{n}" for k, n in report["skipped"].items()),
        ]
    return "\n".join(lines)


def _n(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:,.2f}"


EPILOG = """\
Definitions (CONTRACT §7), each with its numerator and denominator; medians are exact to ~4.4%
(log-scale buckets). Computed from rollups kept as events are recorded, so a query reads a few
items per day of the window, whatever the number of leads.

examples:
  closeloop kpis                                   the last 28 days, today included
  closeloop kpis --from 2026-10-01 --to 2026-11-01 October
  closeloop kpis --team 'SMB East' --json          one team, as GET /kpis answers
"""


def register(commands: Any, stack_command: Any) -> None:
    """Add `kpis` to the parser built in infra.cli."""
    kpis = stack_command(
        commands,
        "kpis",
        cmd_kpis,
        "the KPI set of a window: conversion, first touch, win rate, cycle, approvals, FCR, SLAs, NRR, invoicing",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kpis.add_argument("--from", dest="start", metavar="DATE", help="first day, YYYY-MM-DD (default: 27 days ago)")
    kpis.add_argument(
        "--to",
        dest="end",
        metavar="DATE",
        help="the day after the last, YYYY-MM-DD (default: tomorrow, or 28 days after --from)",
    )
    kpis.add_argument("--team", metavar="T", help="only this team, e.g. 'SMB East'")
    kpis.add_argument("--owner", metavar="OWNER_ID", help="only this owner, e.g. u_wang")
    kpis.add_argument("--json", action="store_true", help="the whole answer as JSON (what GET /kpis returns)")
