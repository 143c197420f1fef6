"""The `closeloop kpis` table README shows is what the command prints for the same events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.cli_kpis import table
from shared.adapters.kpi_memory import MemoryKpiStore
from shared.kernel.services.retry import ConflictRetry, no_wait
from shared.kpis.services.kpis import kpi_report, record_event

ROOT = Path(__file__).resolve().parents[2]


def sample_report(rules: Any) -> dict[str, Any]:
    """Four leads (three mql or better, two reaching sql), two first touches, two cases, three SLA clocks."""
    store = MemoryKpiStore()
    events = [
        ("LeadCaptured", "lead/a", {"grade": "sql"}),
        ("LeadCaptured", "lead/b", {"grade": "mql"}),
        ("LeadCaptured", "lead/c", {"grade": "mql"}),
        ("LeadMerged", "lead/b", {"grade": "sql"}),
        (
            "LeadFirstTouched",
            "lead/a",
            {"owner_id": "u_wang", "at": "2026-11-20T03:30:00Z", "assigned_at": "2026-11-20T02:00:00Z"},
        ),
        (
            "LeadFirstTouched",
            "lead/b",
            {"owner_id": "u_li", "at": "2026-11-20T05:00:00Z", "assigned_at": "2026-11-20T02:00:00Z"},
        ),
        ("SlaMet", "lead/a", {"kind": "lead_first_touch", "owner_id": "u_wang"}),
        ("SlaMet", "lead/b", {"kind": "lead_first_touch", "owner_id": "u_li"}),
        ("SlaBreached", "lead/c", {"kind": "lead_first_touch", "owner_id": "u_li"}),
        (
            "CaseResolved",
            "case/x",
            {"at": "2026-11-20T06:00:00Z", "owner_id": "u_qian", "first_contact_resolution": True},
        ),
        (
            "CaseResolved",
            "case/y",
            {"at": "2026-11-20T07:00:00Z", "owner_id": "u_song", "first_contact_resolution": False},
        ),
    ]
    for n, (kind, subject, data) in enumerate(events):
        envelope = {"id": f"evt_{n}", "type": kind, "time": "2026-11-20T02:00:00Z", "subject": subject, "data": data}
        record_event(envelope, store, rules.rules, ConflictRetry(sleep=no_wait))
    return kpi_report({}, store, rules.rules, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


def test_the_kpi_table_readme_quotes(example_rules: Any) -> None:
    printed = table(sample_report(example_rules))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```\n$ closeloop kpis\n{printed}\n```" in readme, printed


def test_the_architecture_lists_every_data_key_the_kpis_read() -> None:
    from shared.composition.messages.events import KPI_KEYS

    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")}
    for event_type, keys in KPI_KEYS.items():
        if keys:
            assert all(f"`{key}`" in rows[event_type] for key, _ in keys), event_type
