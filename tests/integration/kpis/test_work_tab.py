"""The Work tab against the fake Google Sheets API: written by kpi-snapshot in the same one
batchUpdate as the Dashboard, open work at risk per team in its five sections (leads awaiting a
first touch, cases by clock, approvals waiting, invoices blocked, renewals on hold), formula-like
names shown as text, no e-mail or phone, bounded sections, Chinese in a Chinese workbook."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admin_sheets.dashboard import WorkTab, with_work_tab
from admin_sheets.work_tab import work_rows
from schedules.kpi_snapshot import handler as snapshot
from shared.adapters.container import container
from shared.composition.services.timer_handlers import handlers
from shared.composition.services.work_at_risk import ROWS, Section
from shared.kernel.domain.events import iso
from shared.kernel.messages.validation import read
from shared.leads.services.capture import capture_lead
from shared.sales.messages.sales import QuoteNew
from shared.service_desk.messages.cases import CaseOpening
from shared.service_desk.services.cases import open_case
from shared.time.services.timers import sweep_timers
from tests.fakes.sheets_api import FakeSheetsApi
from tests.integration.kpis.test_dashboard import _kpis, _sheet_ids
from tests.unit.services.helpers import FixedRules, TickingClock, now_of
from tests.unit.services.orders_helpers import NO_TAX_ID, make_order, report_shipment, shipment
from tests.unit.services.renewals_helpers import P1_CASE, sign_contract

SIGNED = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
DUE_90 = datetime(2027, 10, 2, 1, 0, tzinfo=UTC)  # the 90-day renewal reminder of the contract
NOW = DUE_90 + timedelta(hours=2)
EVIL = '=HYPERLINK("https://evil.example","prize")'
LEAD = {"name": EVIL, "company": "+Acme 上海", "email": "evil@acme.cn", "phone": "13800138000",
        "employees": 500, "industry": "制造业", "title": "采购总监", "budget": "500,000",
        "country": "CN", "province": "江苏省"}  # fmt: skip


def world() -> dict[str, str]:
    """One of each: a held renewal (an open P1 case on its account, whose clocks run), its quote
    waiting on an approver, a blocked invoice (no credit code), a lead not yet touched."""
    from shared.sales.services.quotes import create_quote

    c = container()
    rules = c.rules.current()
    contract = sign_contract(c.uow, rules, SIGNED)
    clock = TickingClock(DUE_90 - timedelta(days=2))
    case = open_case(
        read(CaseOpening, {**P1_CASE, "external_id": "c-work"}, now=now_of(clock), active=rules),
        rules.rules.source_named("contact-center"),
        rules,
        c.uow,
        clock,
    )
    sweep_timers(DUE_90, c.uow, handlers(FixedRules(rules)))  # the reminder: held, renewal opportunity opened
    held = c.uow.contracts.get(contract.contract_id)
    assert held is not None and held.on_hold
    clock.now = DUE_90 + timedelta(minutes=30)
    lines = [{"sku": "IOT-PLAT-STD", "quantity": 1, "discount": "10%"}]
    opportunity_id = held.renewal_opportunity["opportunity_id"]  # type: ignore[index]
    quote = create_quote(
        read(
            QuoteNew, {"opportunity_id": opportunity_id, "by": "u_xu", "lines": lines}, now=now_of(clock), active=rules
        ),
        rules,
        c.uow,
        clock,
    )
    order = make_order(c.uow, rules, DUE_90, contract_id="ct_blocked", account=NO_TAX_ID)
    signed = shipment(order.order_id, "s1", "signed", iso(DUE_90), CL_PRO=10, CL_ONB=3)
    report_shipment(signed, "wh", rules, c.uow, clock)
    blocked = c.uow.orders.get(order.order_id)
    assert blocked is not None and blocked.invoices[0]["status"] == "blocked"
    clock.now = NOW - timedelta(minutes=20)
    lead = capture_lead(LEAD, rules.rules.source_named("website"), rules, c.uow, clock).lead
    return {
        "contract": contract.contract_id,
        "case": case.case.case_id,
        "quote": quote["quote_id"],
        "invoice": blocked.invoices[0]["invoice_id"],
        "lead": lead.lead_id,
    }


def section(values: list[list[str]], title: str, header: int = 1) -> list[list[str]]:
    """The rows under a section's title and its header rows, up to the next blank row."""
    start = next(i for i, row in enumerate(values) if row and row[0] == title)
    rows = []
    for row in values[start + 1 + header :]:
        if not row:
            break
        rows.append(row)
    return rows


def test_the_work_tab_is_written_with_the_dashboard_in_one_batch(
    fake: FakeSheetsApi, workbook: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSELOOP_PUBLIC_URL", "https://api.example.cn/")
    ids = world()
    fake.reset_requests()
    summary = snapshot({"time": iso(NOW)}, None)
    assert summary["dashboard"] == "written"
    assert [method for method, _ in fake.requests] == ["GET", "POST"]  # tab ids, then one batchUpdate
    batch = fake.bodies[1]
    added = [r["addSheet"]["properties"]["title"] for r in batch["requests"] if "addSheet" in r]
    assert added == ["Dashboard", "Work"]
    titles = fake.tab_titles(workbook)
    assert titles[-2:] == ["Dashboard", "Work"]
    own = {fake.sheet_props(workbook, t)["sheetId"] for t in ("Dashboard", "Work")}
    assert {int(i) for r in batch["requests"] for i in _sheet_ids(r)} == own  # no rule tab named
    values = fake.values(workbook, "Work")

    [lead] = section(values, "Leads awaiting first touch (captured in the last 7 days)")
    assert lead[1] == ids["lead"] and lead[2] == "'" + EVIL and lead[3] == "'+Acme 上海"  # shown as text
    assert lead[6] == "running" and lead[7] == f"closeloop show lead/{ids['lead']}"
    assert lead[8] == f"https://api.example.cn/leads/{ids['lead']}"
    cases = section(values, "Open cases by SLA clock")
    assert {(r[1], r[4], r[5]) for r in cases} == {(ids["case"], "first_response", "breached"),
                                                   (ids["case"], "resolution", "breached")}  # fmt: skip
    [approval] = section(values, "Quotes waiting for approval")
    assert approval[1] == ids["quote"] and approval[4].endswith("(u_huang)") and approval[5] == "manager"
    [invoice] = section(values, "Invoices blocked")
    assert invoice[1] == ids["invoice"] and invoice[6] == "missing_tax_id" and invoice[5].endswith("(u_xu)")
    [renewal] = section(values, "Renewals on hold")
    assert renewal[1] == ids["contract"] and renewal[6] == ids["case"]
    teams = section(values, "Per team (records read)", header=0)
    assert sum(int(n) for row in teams for n in row[1:]) == 6  # 1 lead, 2 case clocks, 1 quote, 1 invoice, 1 renewal

    text = json.dumps(values, ensure_ascii=False)
    assert "evil@acme.cn" not in text and "13800138000" not in text  # names only, no contact data
    assert "formulaValue" not in json.dumps(batch)  # links are cell links, never formulas
    links = [c for row in fake.formats(workbook, "Work").values() if (c := row.get("textFormat", {}).get("link"))]
    assert {"uri": f"https://api.example.cn/cases/{ids['case']}"} in links

    first = fake.sheet_props(workbook, "Work")["sheetId"]
    snapshot({"time": iso(NOW)}, None)  # an hour later: rewritten in place, still right after the Dashboard
    assert fake.tab_titles(workbook) == titles and fake.sheet_props(workbook, "Work")["sheetId"] == first


def _lead_rows(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"ld_{i}", "subject": f"lead/ld_{i}", "team": "SMB", "due": "2027-10-02T03:00:00Z"} for i in range(n)
    ]


def test_a_long_section_stops_and_says_how_many_more_in_the_workbooks_language() -> None:
    empty = Section()
    sections = {"leads": Section(_lead_rows(ROWS), more=7), "cases": empty, "approvals": empty,
                "invoices": Section(_lead_rows(ROWS), more=180, read_all=False), "renewals": empty}  # fmt: skip
    work = {"sections": sections, "teams": {"SMB": {"leads": ROWS + 7}}}
    rows = work_rows(work, "zh-CN", "2027-10-02T03:00:00Z", ZoneInfo("Asia/Shanghai"), None)
    texts = [[c.get("userEnteredValue", {}).get("stringValue") for c in r.get("values", [])] for r in rows]
    assert ["… 另有 7 条"] in texts
    assert ["… 另有超过 180 条（只读取了前 200 条记录）"] in texts
    assert ["无"] in texts  # an empty section
    assert any(len(t) > 5 and t[0] == "SMB" and t[5] == "2027-10-02 11:00" for t in texts)  # due in Settings timezone
    requests = with_work_tab(
        {"设置": 0, "负责人": 1, "线索来源": 2, "Dashboard": 3},
        {"current": _empty_current(), "weeks": []},
        "t",
        WorkTab(work, "Asia/Shanghai"),
    )
    assert [r["addSheet"]["properties"]["title"] for r in requests if "addSheet" in r] == ["Dashboard", "待办"]


def _empty_current() -> dict[str, Any]:

    return {"from": "a", "to": "b", "timezone": "UTC", "skipped": {}, "kpis": _kpis({})}
