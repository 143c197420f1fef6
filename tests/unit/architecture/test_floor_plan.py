"""The floor plan by capability (tools/floor_plan.py): every domain and service module is placed in
one capability, and the capabilities that import each other are only those docs/architecture.md
names — a ratchet: a new cycle fails here, a broken one is taken off the list."""

from __future__ import annotations

from tools import floor_plan

# docs/architecture.md, "Floor plan by capability": each pair and what ties it
KNOWN_CYCLES = {
    ("customers", "fulfilment"),  # an invoice carries the account's tax details; a segment reads the order ledger
    ("customers", "leads"),  # activities and cases feed health; account managers are routed like leads
    ("customers", "sales"),  # a renewal hold asks approvals; an approval's contract is the customer's
    ("customers", "service_desk"),  # health reads open cases; a case feeds health
    ("leads", "rules"),  # the rules name lead fields; the backtest replays leads
    ("leads", "sales"),  # an activity converts a lead; an opportunity is made from a lead
    ("rules", "time"),  # the Calendars tab is rules; an SLA row names its rules
}


def test_every_module_has_its_capability() -> None:
    assert [m for m in floor_plan.modules() if m not in floor_plan.CAPABILITY] == []
    assert set(floor_plan.CAPABILITY) <= set(floor_plan.modules()), "a placed module is gone: take its line out"


def test_no_new_cycle_between_capabilities() -> None:
    assert set(floor_plan.cycles(floor_plan.graph())) == KNOWN_CYCLES


def test_the_report_prints_the_graph(capsys) -> None:  # type: ignore[no-untyped-def]
    assert floor_plan.main(["--cycles"]) == 0
    assert "customers <-> fulfilment" in capsys.readouterr().out
