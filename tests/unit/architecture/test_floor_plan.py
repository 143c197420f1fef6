"""The floor plan by capability (tools/floor_plan.py): every module of shared/ outside the adapters
lives in a capability's, the kernel's or composition's domain, services or messages folder, and
the capabilities that import each other are only those docs/architecture.md names — a ratchet: a
new cycle fails here, a broken one is taken off the list."""

from __future__ import annotations

from tools import floor_plan

# docs/architecture.md, "Floor plan by capability": each pair and what ties it
KNOWN_CYCLES = {
    ("customers", "fulfilment"),  # an invoice carries the account's tax details; a segment reads the order ledger
    ("customers", "leads"),  # activities and cases feed health; account managers are routed like leads
    ("customers", "sales"),  # a renewal hold asks approvals; an approval's contract is the customer's
    ("customers", "service_desk"),  # health reads open cases; a case feeds health
    ("fulfilment", "sales"),  # e-sign makes the order; the signature report reads dates as sales intake does
    ("leads", "rules"),  # the rules name lead fields; the backtest replays leads
    ("leads", "sales"),  # an activity converts a lead; an opportunity is made from a lead
}


def test_every_module_lives_in_a_capability() -> None:
    assert floor_plan.misplaced() == []
    assert {floor_plan.KERNEL, floor_plan.COMPOSITION} < set(floor_plan.capabilities())


def test_no_new_cycle_between_capabilities() -> None:
    assert set(floor_plan.cycles(floor_plan.graph())) == KNOWN_CYCLES


def test_the_report_prints_the_graph(capsys) -> None:  # type: ignore[no-untyped-def]
    assert floor_plan.main(["--cycles"]) == 0
    assert "customers <-> fulfilment" in capsys.readouterr().out


def test_the_order_puts_composition_on_top_and_the_kernel_at_the_bottom(capsys) -> None:  # type: ignore[no-untyped-def]
    assert floor_plan.main(["--order"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split(" > ")
    assert (first[0], first[-1], sorted(first)) == ("composition", "kernel", floor_plan.capabilities())
