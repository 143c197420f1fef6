"""The floor plan by capability (issue 18): ``shared/<capability>/<layer>/<module>.py``, the
capability named by its folder — leads, service_desk, sales, fulfilment, customers, kpis, deliveries,
rules, time —, beside ``shared/kernel`` (what every capability shares) and ``shared/composition``
(registries and cross-capability features); ``shared/adapters`` stays outside. This prints which
capabilities import which, and the cycles among them::

    python -m tools.floor_plan            # capability -> capability: how many imports, an example
    python -m tools.floor_plan --cycles   # only the pairs that import each other
    python -m tools.floor_plan --order    # the order with the fewest imports going up, and those

pyproject.toml's import-linter contract "Capabilities" layers them (composition on top, the kernel
at the bottom) and names each import that goes up; tests/unit/architecture/test_floor_plan.py
lists the cycles that remain.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT / "shared"
LAYERS = ("domain", "services", "messages")
KERNEL = "kernel"  # what every capability shares: the unit of work's shapes, events, ids, text checks
COMPOSITION = "composition"  # registries and cross-capability features: may import every capability
OUTSIDE = ("adapters",)  # shared/ folders that are no capability


def capabilities() -> list[str]:
    """The folders of shared/ that hold a capability, the kernel or composition."""
    return sorted(p.name for p in SHARED.iterdir() if (p / "__init__.py").is_file() and p.name not in OUTSIDE)


def modules() -> list[str]:
    """Every module of the capabilities, as ``shared.service_desk.domain.cases``."""
    found = (SHARED / name / layer for name in capabilities() for layer in LAYERS)
    return [f"shared.{p.parent.name}.{p.name}.{f.stem}" for p in found for f in sorted(p.glob("[!_]*.py"))]


def misplaced() -> list[str]:
    """The Python files of shared/ that are neither in adapters nor a capability's layer module."""
    placed = {SHARED / "__init__.py", *(ROOT / (m.replace(".", "/") + ".py") for m in modules())}
    for name in capabilities():
        placed |= {SHARED / name / "__init__.py", *(SHARED / name / layer / "__init__.py" for layer in LAYERS)}
    return sorted(
        str(p.relative_to(ROOT))
        for p in SHARED.rglob("*.py")
        if p not in placed and p.relative_to(SHARED).parts[0] not in OUTSIDE
    )


def capability(module: str) -> str:
    return module.split(".")[1]


def _imported(module: str, known: set[str]) -> set[str]:
    """The capability modules ``module`` imports, lazily or not."""
    tree = ast.parse((ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names & known


def imports() -> list[tuple[str, str]]:
    """Every import of one capability's module by another capability's (importer, imported)."""
    known = set(modules())
    return [
        (module, target)
        for module in sorted(known)
        for target in sorted(_imported(module, known))
        if capability(module) != capability(target)
    ]


def graph() -> dict[tuple[str, str], list[str]]:
    """(capability, capability it imports) -> the module imports behind it; the kernel imported by
    anyone, and composition importing anyone, are as designed and left out."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module, target in imports():
        source, imported = capability(module), capability(target)
        if imported != KERNEL and source != COMPOSITION:
            edges[(source, imported)].append(f"{module} -> {target}")
    return dict(edges)


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[tuple[str, str]]:
    """The pairs of capabilities that import each other (each pair once)."""
    return sorted((a, b) for a, b in edges if a < b and (b, a) in edges)


def order() -> tuple[list[str], list[tuple[str, str]]]:
    """Composition on top, the kernel at the bottom and the capabilities between in the order with
    the fewest imports going up (a dynamic programme over subsets, top down); those imports."""
    every = imports()
    middle = [c for c in capabilities() if c not in (KERNEL, COMPOSITION)]
    weight = defaultdict(int, {(a, b): 0 for a in middle for b in middle})
    for module, target in every:
        weight[(capability(module), capability(target))] += 1
    best: dict[frozenset[str], tuple[int, list[str]]] = {frozenset(): (0, [])}
    for size in range(len(middle)):
        for placed, (cost, top) in [(s, v) for s, v in best.items() if len(s) == size]:
            for below in sorted(set(middle) - placed):
                total = cost + sum(weight[(below, above)] for above in placed)
                key = placed | {below}
                if key not in best or total < best[key][0]:
                    best[key] = (total, [*top, below])
    layers = [COMPOSITION, *best[frozenset(middle)][1], KERNEL]
    rank = {name: i for i, name in enumerate(layers)}
    return layers, [(m, t) for m, t in every if rank[capability(m)] > rank[capability(t)]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.floor_plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", action="store_true", help="only the capabilities that import each other")
    parser.add_argument("--order", action="store_true", help="the layers with the fewest imports going up")
    args = parser.parse_args(argv)
    if misplaced():
        print(f"not in a capability's domain, services or messages: {', '.join(misplaced())}", file=sys.stderr)
        return 2
    if args.order:
        layers, up = order()
        print(" > ".join(layers))
        for module, target in up:
            print(f"  {module} -> {target}")
        return 0
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
