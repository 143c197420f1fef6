"""The workbook's ``Work`` tab (``待办`` in a Chinese workbook): open work at risk per team, written
by kpi-snapshot in the same batchUpdate as the Dashboard (admin_sheets/dashboard.py).

What is on it comes from shared/composition/services/work_at_risk.py. Like the Dashboard, the tab is dropped and
added again under the same sheet id every run, every text cell goes through ``escape_cell`` (a
lead named ``=HYPERLINK(…)`` shows as text) and no formula is written: a link is the cell's
``textFormat.link``, never ``=HYPERLINK``. People appear by name and owner id only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from admin_sheets.google_sheets import escape_cell
from shared.composition.services.work_at_risk import READ_LIMIT
from shared.kernel.domain.events import parse_iso

TITLES = {"en": "Work", "zh-CN": "待办"}
FIRST_SHEET_ID = 7_900_000
COLUMNS = 10
PLURAL = {"lead": "leads", "case": "cases", "quote": "quotes", "contract": "contracts", "invoice": "invoices"}

# (key in the row, English header, Chinese header), per section
SECTION_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "leads": (
        ("team", "team", "团队"),
        ("id", "lead", "线索"),
        ("name", "name", "姓名"),
        ("company", "company", "公司"),
        ("owner", "owner", "负责人"),
        ("due", "first touch due", "首次跟进截止"),
        ("state", "clock", "计时"),
    ),
    "cases": (
        ("team", "team", "团队"),
        ("id", "case", "工单"),
        ("name", "title", "标题"),
        ("priority", "priority", "优先级"),
        ("clock", "clock", "时钟"),
        ("state", "state", "状态"),
        ("due", "due", "截止"),
        ("owner", "owner", "负责人"),
    ),
    "approvals": (
        ("team", "team", "团队"),
        ("id", "quote", "报价"),
        ("name", "amount", "金额"),
        ("owner", "seller", "销售"),
        ("waiting_on", "waiting on", "待审批人"),
        ("role", "role", "角色"),
        ("due", "due", "截止"),
    ),
    "invoices": (
        ("team", "team", "团队"),
        ("id", "invoice", "发票"),
        ("name", "amount", "金额"),
        ("order_id", "order", "订单"),
        ("account_id", "account", "客户"),
        ("owner", "account manager", "客户经理"),
        ("why", "why blocked", "阻塞原因"),
        ("due", "requested", "申请时间"),
    ),
    "renewals": (
        ("team", "team", "团队"),
        ("id", "contract", "合同"),
        ("account_id", "account", "客户"),
        ("owner", "owner", "负责人"),
        ("end_date", "ends", "到期日"),
        ("since", "held since", "暂停自"),
        ("cases", "held by P1 cases", "暂停原因（P1 工单）"),
    ),
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Open work at risk",
        "note": "per team; kpi-snapshot rewrites this tab every hour",
        "updated": "Updated",
        "times": "Times in",
        "teams": "Per team (records read)",
        "leads": "Leads awaiting first touch (captured in the last 7 days)",
        "cases": "Open cases by SLA clock",
        "approvals": "Quotes waiting for approval",
        "invoices": "Invoices blocked",
        "renewals": "Renewals on hold",
        "view": "view",
        "link": "link",
        "none": "none",
        "more": "… and {n} more",
        "more_unread": "… and more than {n} more (only the first {read} records were read)",
        "no_team": "(no team)",
    },
    "zh-CN": {
        "title": "有风险的待办",
        "note": "按团队；kpi-snapshot 每小时重写此表",
        "updated": "更新时间",
        "times": "时间按",
        "teams": "按团队（已读取的记录）",
        "leads": "待首次跟进的线索（最近 7 天获取）",
        "cases": "未结工单（按 SLA 时钟）",
        "approvals": "待审批的报价",
        "invoices": "受阻的发票",
        "renewals": "暂停的续约",
        "view": "查看",
        "link": "链接",
        "none": "无",
        "more": "… 另有 {n} 条",
        "more_unread": "… 另有超过 {n} 条（只读取了前 {read} 条记录）",
        "no_team": "（无团队）",
    },
}
STATES = {
    "zh-CN": {"running": "计时中", "breached": "已超时", "paused": "已暂停"},
}


def find_tab(sheet_ids: dict[str, int]) -> tuple[str, int] | None:
    """The Work tab under either of its titles: (title, sheet id)."""
    titles = {t.casefold() for t in TITLES.values()}
    return next(((t, sid) for t, sid in sheet_ids.items() if t.casefold() in titles), None)


def _text(value: Any, link: str | None = None) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    cell: dict[str, Any] = {"userEnteredValue": {"stringValue": escape_cell(str(value))}}
    if link:
        cell["userEnteredFormat"] = {"textFormat": {"link": {"uri": link}}}
    return cell


def _bold(value: str) -> dict[str, Any]:
    return {
        "userEnteredValue": {"stringValue": escape_cell(value)},
        "userEnteredFormat": {"textFormat": {"bold": True}},
    }


def _local(tz: ZoneInfo) -> Callable[[Any], Any]:
    def shown(value: Any) -> Any:
        if not isinstance(value, str) or "T" not in value:
            return value  # a date, or nothing
        try:
            return f"{parse_iso(value).astimezone(tz):%Y-%m-%d %H:%M}"
        except ValueError:
            return value

    return shown


def link_of(row: dict[str, Any], base_url: str | None) -> str | None:
    """The API view of the record under ``CLOSELOOP_PUBLIC_URL`` (an invoice: its blocked list)."""
    if not base_url:
        return None
    kind, _, record_id = str(row["subject"]).partition("/")
    if kind == "invoice":
        return f"{base_url.rstrip('/')}/invoices?status=blocked"
    return f"{base_url.rstrip('/')}/{PLURAL[kind]}/{record_id}"


def work_rows(work: dict[str, Any], locale: str, updated_at: str, tz: ZoneInfo, base_url: str | None) -> list[Any]:
    """The tab's rows, as updateCells rows."""
    words = LABELS.get(locale, LABELS["en"])
    zh = locale == "zh-CN"
    shown = _local(tz)
    rows: list[list[dict[str, Any]]] = [
        [_bold(words["title"]), _text(words["note"])],
        [_text(words["updated"]), _text(shown(updated_at))],
        [_text(words["times"]), _text(tz.key)],
        [],
        [_bold(words["teams"]), *(_bold(words[name]) for name in SECTION_COLUMNS)],
    ]
    for team, counts in work["teams"].items():
        rows.append(
            [_text(team or words["no_team"]), *({"userEnteredValue": {"numberValue": n}} for n in counts.values())]
        )
    for name, columns in SECTION_COLUMNS.items():
        section = work["sections"][name]
        rows += [[], [_bold(words[name])]]
        rows.append([*(_bold(zh_ if zh else en) for _, en, zh_ in columns), _bold(words["view"]), _bold(words["link"])])
        if not section.rows:
            rows.append([_text(words["none"])])
        for row in section.rows:
            link = link_of(row, base_url)
            rows.append(
                [
                    *(_text(_cell(row, key, locale, shown)) for key, _, _ in columns),
                    _text(f"closeloop show {row['subject']}"),
                    _text(link, link),
                ]
            )
        if section.more or not section.read_all:
            more = words["more"] if section.read_all else words["more_unread"]
            rows.append([_text(more.format(n=section.more, read=READ_LIMIT))])
    return [{"values": row} if row else {} for row in rows]


def _cell(row: dict[str, Any], key: str, locale: str, shown: Callable[[Any], Any]) -> Any:
    value = row.get(key)
    if key in ("owner", "waiting_on"):
        person_id = row.get("owner_id" if key == "owner" else "waiting_on")
        name = row.get("owner" if key == "owner" else "waiting_on_name")
        return f"{name} ({person_id})" if name and person_id else person_id
    if key == "state":
        return STATES.get(locale, {}).get(str(value), value)
    return shown(value)


def work_requests(
    sheet_ids: dict[str, int], index: int, rows: list[Any], taken: set[int], locale: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(the requests that drop the old tab, the requests that add and fill the new one, its title).

    The drop goes first in the batch (before the Dashboard is re-added), the rest last, so the
    Work tab stays right after the Dashboard."""
    existing = find_tab(sheet_ids)
    title = existing[0] if existing else TITLES.get(locale, TITLES["en"])
    free = (i for i in range(FIRST_SHEET_ID, FIRST_SHEET_ID + len(taken) + 1) if i not in taken)
    sheet_id = existing[1] if existing else next(free)
    drop: list[dict[str, Any]] = [{"deleteSheet": {"sheetId": sheet_id}}] if existing else []
    grid = {"rowCount": len(rows) + 5, "columnCount": COLUMNS, "frozenRowCount": 1}
    add: list[dict[str, Any]] = [
        {"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "index": index, "gridProperties": grid}}},
        {
            "updateCells": {
                "range": {"sheetId": sheet_id, "startRowIndex": 0, "startColumnIndex": 0},
                "rows": rows,
                "fields": "userEnteredValue,userEnteredFormat.textFormat",
            }
        },
    ]
    return drop, add, title
