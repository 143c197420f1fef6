"""kpi-snapshot against the fake Google Sheets API (the real gspread client over HTTP): the
Dashboard tab in one read and one batch write, charts per rate, rule tabs untouched, every cell
formula-safe, nothing personal; and the KPI values as CloudWatch EMF metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from admin_sheets.dashboard import dashboard_requests
from functions.kpi_rollup.handler import handler as rollup
from schedules.kpi_snapshot import handler as snapshot
from shared.adapters.kpi_metrics import emit_kpi_metrics
from shared.kpis.domain.kpi_definitions import RATES
from tests.fakes.sheets_api import FakeSheetsApi

AT = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-23T02:00:00Z"}


def record(n: int, event_type: str, time: str, **data: Any) -> None:
    envelope = {"id": f"evt_dash_{n}", "type": event_type, "time": time, "subject": f"lead/ld_{n}", "data": data}
    assert rollup({"detail": envelope}, None)["outcome"] == "counted"


def some_events() -> None:
    record(1, "LeadCaptured", "2026-11-20T02:00:00Z", grade="sql")
    record(2, "LeadCaptured", "2026-11-20T02:00:00Z", grade="mql")
    record(3, "LeadFirstTouched", "2026-11-20T04:00:00Z", owner_id="u_wang", at="2026-11-20T04:00:00Z",
           assigned_at="2026-11-20T02:00:00Z")  # fmt: skip
    record(4, "SlaMet", "2026-11-20T04:00:00Z", kind="lead_first_touch", owner_id="u_wang")
    record(5, "SlaBreached", "2026-11-10T04:00:00Z", kind="lead_first_touch", owner_id="u_wang")


def cells(fake: FakeSheetsApi, spreadsheet_id: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in fake.values(spreadsheet_id, "Dashboard") if row}


def test_the_dashboard_is_written_in_one_batch_with_a_chart_per_rate(fake: FakeSheetsApi, workbook: str) -> None:
    some_events()
    rule_tabs = {tab: fake.values(workbook, tab) for tab in fake.tab_titles(workbook)}
    summary = snapshot(AT, None)
    assert summary["dashboard"] == "written"
    assert [method for method, _ in fake.requests] == ["GET", "POST"]  # tab ids, then one batchUpdate
    shown = cells(fake, workbook)
    assert shown["mql_to_sql_rate"][:2] == ["0.5", "50.0%"] and shown["mql_to_sql_rate"][2:] == ["1", "2"]
    assert shown["sla_attainment lead_first_touch"][1:] == ["50.0%", "1", "2"]
    assert shown["Window"] == ["2026-10-27 → 2026-11-24 (to excluded), days in Asia/Shanghai"]
    assert shown["week from"][: len(RATES)] == list(RATES)
    assert len([r for r in fake.values(workbook, "Dashboard") if r and r[0].startswith("2026-")]) == 12
    charts = fake.charts(workbook, "Dashboard")
    assert len(charts) == len(RATES) + 1  # each rate, and SLA attainment for the one kind seen
    assert {c["spec"]["basicChart"]["chartType"] for c in charts} == {"LINE"}
    for tab, values in rule_tabs.items():  # the rule tabs are exactly as they were
        assert fake.values(workbook, tab) == values, tab
    text = json.dumps(fake.values(workbook, "Dashboard"), ensure_ascii=False)
    assert "u_wang" not in text and "Wang" not in text and "@" not in text  # nothing about people

    first_id = fake.sheet_props(workbook, "Dashboard")["sheetId"]
    fake.reset_requests()
    snapshot(AT, None)  # an hour later: rewritten in place, not a second tab or a second set of charts
    assert [method for method, _ in fake.requests] == ["GET", "POST"]
    assert fake.tab_titles(workbook).count("Dashboard") == 1
    assert fake.sheet_props(workbook, "Dashboard")["sheetId"] == first_id
    assert len(fake.charts(workbook, "Dashboard")) == len(charts)


def test_every_request_names_only_the_dashboard_and_every_text_is_formula_safe() -> None:
    week = {"from": "2026-11-16", "to": "2026-11-23", "skipped": {}, "kpis": _kpis({"=HYPERLINK(1)": None})}
    current = {"from": "2026-10-27", "to": "2026-11-24", "timezone": "=cmd|' /C calc'!A0", "team": None,
               "owner_id": None, "skipped": {"+Oops.amount": 1}, "kpis": _kpis({"-1+1": 0.5})}  # fmt: skip
    requests = dashboard_requests(
        {"Settings": 0, "Owners": 1, "Dashboard": 9}, {"current": current, "weeks": [week]}, "t"
    )
    blob = json.dumps(requests)
    assert "formulaValue" not in blob
    ids: set[int] = set()
    for request in requests:
        ids |= {int(x) for x in _sheet_ids(request)}
    assert ids == {9}  # only the Dashboard's own sheet id
    cells = [
        c for r in requests if "updateCells" in r for row in r["updateCells"]["rows"] for c in row.get("values", [])
    ]
    texts = [c["userEnteredValue"]["stringValue"] for c in cells if "stringValue" in c.get("userEnteredValue", {})]
    for text in texts:
        assert text[:1] not in "=+-@" or text == "", text
    assert any(t.startswith("'+Oops.amount") for t in texts)  # a leading + defused with an apostrophe


def _kpis(sla: dict[str, float | None]) -> dict[str, Any]:
    from shared.kpis.domain.kpi_definitions import KPI_KEYS, MEDIANS

    empty = {"value": None, "numerator": 0, "denominator": 0}
    kpis: dict[str, Any] = {k: dict(empty, unit=MEDIANS[k][1]) if k in MEDIANS else dict(empty) for k in KPI_KEYS}
    kpis["sla_attainment"] = {kind: dict(empty, value=v) for kind, v in sla.items()}
    return kpis


def _sheet_ids(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "sheetId"] + [x for v in value.values() for x in _sheet_ids(v)]
    if isinstance(value, list):
        return [x for v in value for x in _sheet_ids(v)]
    return []


def test_kpi_values_go_out_as_embedded_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    report = {"from": "2026-10-27", "to": "2026-11-24", "kpis": _kpis({"lead_first_touch": 0.5})}
    report["kpis"]["mql_to_sql_rate"] = {"value": 0.25, "numerator": 1, "denominator": 4}
    emitted = emit_kpi_metrics(report)
    assert emitted == {"mql_to_sql_rate": 0.25, "sla_attainment.lead_first_touch": 0.5}  # no value, no metric
    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Closeloop/KPIs" and "window" in directive["Dimensions"][0]
    assert {m["Name"] for m in directive["Metrics"]} == set(emitted)
    assert blob["mql_to_sql_rate"] in (0.25, [0.25]) and blob["window"] == "28d"


def test_the_dashboard_counts_the_accounts_in_each_segment(fake: FakeSheetsApi, workbook: str) -> None:
    from datetime import UTC, datetime

    from shared.adapters.container import container
    from tests.unit.services.orders_helpers import make_order

    c = container()
    for n in range(2):
        account = {"company": f"客户 {n}", "country": "CN", "account_manager_id": "u_xu"}
        make_order(c.uow, c.rules.current(), datetime(2026, 11, 20, tzinfo=UTC), contract_id=f"ct_{n}", account=account)
    assert snapshot(AT, None)["dashboard"] == "written"
    shown = cells(fake, workbook)
    assert shown["Accounts per segment (now)"] == ["accounts"]
    assert {name: shown[name] for name in ("高价值客户", "流失风险客户", "潜力客户", "新客户", "unsegmented")} == {
        "高价值客户": ["0"], "流失风险客户": ["0"], "潜力客户": ["0"], "新客户": ["2"], "unsegmented": ["0"]
    }  # fmt: skip
