"""No import cycles among the project's modules (lazy imports inside functions count too):
a cycle is two modules that cannot be understood, tested or moved apart."""

from __future__ import annotations

import grimp

PACKAGES = ("shared", "functions", "schedules", "admin_sheets", "infra")


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain is not None:
                cycles.append(" -> ".join((module, *chain)))
    assert cycles == []
