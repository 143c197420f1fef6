"""The floor plan by capability (issue 18), as it stands: which business capability each module of
shared/domain and shared/services belongs to, and which capabilities import which.

``shared/messages`` is already one module per capability; the domain and the services are still
two flat folders. Moving them into ``shared/<capability>/`` is only worth doing once the import
graph between capabilities is a hierarchy — otherwise the folders would promise a separation the
code does not keep. This prints that graph, and the cycles in it, from the one table below::

    python -m tools.floor_plan            # capability -> capability: how many imports, an example
    python -m tools.floor_plan --cycles   # only the pairs that import each other

A new module gets a line in ``CAPABILITY`` (tests/unit/architecture/test_floor_plan.py fails
until it has one).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("domain", "services")
KERNEL = "kernel"  # what every capability shares: the unit of work's shapes, events, ids, text checks
COMPOSITION = "composition"  # registries and cross-capability features: may import every capability

_BY_CAPABILITY: dict[str, list[str]] = {
    "leads": [
        "domain.leads",
        "domain.scoring",
        "domain.routing",
        "domain.redirects",
        "domain.origins",
        "services.capture",
        "services.behavior",
        "services.activities",
        "services.lead_closing",
        "services.leads_query",
        "services.reassignment",
        "services.sla_clocks",
    ],
    "service_desk": [
        "domain.cases",
        "domain.case_clocks",
        "domain.case_intake",
        "services.cases",
        "services.case_clocks",
    ],
    "sales": [
        "domain.opportunities",
        "domain.stages",
        "domain.quotes",
        "domain.pricing",
        "domain.discounts",
        "domain.sales_intake",
        "services.opportunities",
        "services.stage_moves",
        "services.quotes",
        "services.approvals",
        "services.esign",
    ],
    "fulfilment": [
        "domain.orders",
        "domain.invoices",
        "services.orders",
    ],
    "customers": [
        "domain.accounts",
        "domain.contracts",
        "domain.renewals",
        "domain.health",
        "domain.health_signals",
        "domain.nps",
        "domain.segments",
        "services.accounts",
        "services.accounts_query",
        "services.account_managers",
        "services.renewals",
        "services.renewal_holds",
        "services.health",
        "services.surveys",
        "services.segments",
    ],
    "kpis": [
        "domain.kpi_definitions",
        "domain.kpi_events",
        "domain.kpi_rollups",
        "domain.kpi_sketch",
        "services.kpis",
        "services.kpi_ports",
    ],
    "rules": ["domain.rules", "services.rules_publishing", "services.backtest"],
    "time": ["domain.calendars", "domain.calendar_cells", "domain.sla", "domain.timers", "services.timers"],
    COMPOSITION: [
        "services.ports",
        "services.list_specs",
        "services.timer_handlers",
        "services.links",
        "services.privacy",
        "services.retention",
        "services.work_at_risk",
        "domain.privacy",
        "domain.links",
    ],
    KERNEL: [
        "domain.errors",
        "domain.events",
        "domain.ids",
        "domain.history",
        "domain.documents",
        "domain.stored_json",
        "domain.forms",
        "domain.normalize",
        "domain.access",
        "domain.deliveries",
        "domain.alerts",
        "domain.chat",
        "services.retry",
        "services.outbox",
        "services.paged_sweep",
        "services.listing",
        "services.list_types",
        "services.audit",
        "services.deliveries",
        "services.alerts",
        "services.webhook_auth",
    ],
}
CAPABILITY: dict[str, str] = {module: name for name, modules in _BY_CAPABILITY.items() for module in modules}


def modules() -> list[str]:
    """Every module of shared/domain and shared/services, as ``domain.cases``."""
    found = []
    for layer in LAYERS:
        found += [f"{layer}.{path.stem}" for path in sorted((ROOT / "shared" / layer).glob("*.py"))]
    return [m for m in found if not m.endswith(".__init__")]


def _imported(module: str) -> set[str]:
    """The shared/domain and shared/services modules ``module`` imports, lazily or not."""
    tree = ast.parse((ROOT / "shared" / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return {n.removeprefix("shared.") for n in names if n.removeprefix("shared.") in CAPABILITY}


def graph() -> dict[tuple[str, str], list[str]]:
    """(capability, capability it imports) -> the module imports behind it."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module in modules():
        source = CAPABILITY[module]
        for target in sorted(_imported(module)):
            if CAPABILITY[target] not in (source, KERNEL) and source != COMPOSITION:
                edges[(source, CAPABILITY[target])].append(f"{module} -> {target}")
    return dict(edges)


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
    """The pairs of capabilities that import each other (each pair once)."""
    return sorted((a, b) for a, b in edges if a < b and (b, a) in edges)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.floor_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", action="store_true", help="only the capabilities that import each other")
    args = parser.parse_args(argv)
    unplaced = [m for m in modules() if m not in CAPABILITY]
    if unplaced:
        print(f"not placed in tools/floor_plan.py CAPABILITY: {', '.join(unplaced)}", file=sys.stderr)
        return 2
    edges = graph()
    if args.cycles:
        for a, b in cycles(edges):
            print(f"{a} <-> {b}: {edges[(a, b)][0]}; {edges[(b, a)][0]}")
        return 0
    for (a, b), why in sorted(edges.items()):
        print(f"{a:13} -> {b:13} {len(why):3}  e.g. {why[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
