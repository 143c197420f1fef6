"""The workbook's ``Dashboard`` tab: the KPI set and its 12-week trend, written by kpi-snapshot.

One light read (tab titles and ids), then one batchUpdate: the Dashboard is dropped and added
again under the same sheet id (links to it keep working, and no chart is left over from the
last run), its cells written, and one line chart per rate over the last 12 weeks; the same batch
rewrites the Work tab (admin_sheets/work_tab.py). Every request names the Dashboard's or the
Work tab's own sheet id: no rule tab is ever touched. Every text cell goes through
``escape_cell``; numbers are numbers; no formula is written. The tab holds no names, e-mails or
phones: the KPIs of all teams, dates and counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from admin_sheets.google_sheets import SheetsClient, escape_cell
from shared.kpis.domain.kpi_definitions import MEDIANS, RATES, rows

TITLE = "Dashboard"
FIRST_SHEET_ID = 7_800_000
COLUMNS = 12
CHART_COLUMN = 7  # charts sit right of the tables, from column H
CHART_ROWS = 18  # rows each chart takes, stacked down
PERCENT = {"type": "PERCENT", "pattern": "0.0%"}
DECIMAL = {"type": "NUMBER", "pattern": "0.00"}


def _text(value: str) -> dict[str, Any]:
    return {"userEnteredValue": {"stringValue": escape_cell(value)}}


def _number(value: float | None, number_format: dict[str, str] | None = None) -> dict[str, Any]:
    if value is None:
        return {}
    cell: dict[str, Any] = {"userEnteredValue": {"numberValue": value}}
    if number_format:
        cell["userEnteredFormat"] = {"numberFormat": number_format}
    return cell


def trend_columns(weeks: list[dict[str, Any]]) -> list[str]:
    """The rates charted: the contract's rates, then SLA attainment per kind seen in the weeks."""
    kinds = sorted({kind for week in weeks for kind in week["kpis"]["sla_attainment"]})
    return [*RATES, *(f"sla_attainment {kind}" for kind in kinds)]


def _rate(week: dict[str, Any], column: str) -> float | None:
    kpis = week["kpis"]
    if column.startswith("sla_attainment "):
        kpi = kpis["sla_attainment"].get(column.split(" ", 1)[1])
        return None if kpi is None else kpi["value"]
    value: float | None = kpis[column]["value"]
    return value


def dashboard_rows(snapshot: dict[str, Any], updated_at: str) -> tuple[list[dict[str, Any]], int, int]:
    """The tab's rows; the trend table's header row index and its number of columns."""
    current = snapshot["current"]
    window = f"{current['from']} → {current['to']} (to excluded), days in {current['timezone']}"
    values: list[list[dict[str, Any]]] = [
        [_text("Closeloop KPIs"), _text("all teams; kpi-snapshot rewrites this tab every hour")],
        [_text("Updated"), _text(updated_at)],
        [_text("Window"), _text(window)],
        [],
        [_text(h) for h in ("KPI", "value", "shown", "numerator", "denominator")],
    ]
    for label, kpi, shown in rows(current["kpis"]):
        is_median = any(label == key for key in MEDIANS)
        values.append(
            [
                _text(label),
                _number(kpi["value"], DECIMAL if is_median else PERCENT),
                _text(shown),
                _number(kpi["numerator"]),
                _number(kpi["denominator"]),
            ]
        )
    if current["skipped"]:
        skipped = ", ".join(f"{k} ×{n}" for k, n in current["skipped"].items())
        values.append([_text("not counted (a data key missing)"), _text(skipped)])
    segments = snapshot.get("segments")
    if segments is not None:  # CONTRACT §15: accounts per segment now, in the Segments tab's order
        values += [[], [_text("Accounts per segment (now)"), _text("accounts")]]
        values += [[_text(name), _number(count)] for name, count in segments.items()]
    values += [[], [_text("Trend: one row per week (rates)")]]
    columns = trend_columns(snapshot["weeks"])
    header = len(values)
    values.append([_text("week from"), *(_text(c) for c in columns)])
    for week in snapshot["weeks"]:
        values.append([_text(week["from"]), *(_number(_rate(week, c), PERCENT) for c in columns)])
    return [{"values": row} if row else {} for row in values], header, 1 + len(columns)


def _chart(sheet_id: int, header: int, weeks: int, column: int, index: int) -> dict[str, Any]:
    def source(col: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": header,
                        "endRowIndex": header + 1 + weeks,
                        "startColumnIndex": col,
                        "endColumnIndex": col + 1,
                    }
                ]
            }
        }

    return {
        "addChart": {
            "chart": {
                "spec": {
                    "basicChart": {
                        "chartType": "LINE",
                        "legendPosition": "BOTTOM_LEGEND",
                        "headerCount": 1,
                        "axis": [
                            {"position": "BOTTOM_AXIS", "title": "week from"},
                            {"position": "LEFT_AXIS", "title": "rate"},
                        ],
                        "domains": [{"domain": source(0)}],
                        "series": [{"series": source(column), "targetAxis": "LEFT_AXIS"}],
                    }
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {
                            "sheetId": sheet_id,
                            "rowIndex": index * CHART_ROWS,
                            "columnIndex": CHART_COLUMN,
                        },
                        "widthPixels": 480,
                        "heightPixels": 300,
                    }
                },
            }
        }
    }


def dashboard_requests(sheet_ids: dict[str, int], snapshot: dict[str, Any], updated_at: str) -> list[dict[str, Any]]:
    """The one batchUpdate that (re)writes the Dashboard tab; nothing in it names another tab."""
    values, header, width = dashboard_rows(snapshot, updated_at)
    existing = next((sid for title, sid in sheet_ids.items() if title.casefold() == TITLE.casefold()), None)
    taken = set(sheet_ids.values())
    sheet_id = (
        existing
        if existing is not None
        else next(i for i in range(FIRST_SHEET_ID, FIRST_SHEET_ID + len(taken) + 1) if i not in taken)
    )
    charts = width - 1
    grid = {
        "rowCount": max(len(values) + 5, charts * CHART_ROWS + 2, 60),
        "columnCount": max(COLUMNS, CHART_COLUMN + 8),
    }
    requests: list[dict[str, Any]] = []
    if existing is not None:
        requests.append({"deleteSheet": {"sheetId": existing}})
    props = {"sheetId": sheet_id, "title": TITLE, "index": len(sheet_ids) - (1 if existing is not None else 0)}
    requests.append({"addSheet": {"properties": {**props, "gridProperties": {**grid, "frozenRowCount": 1}}}})
    requests.append(
        {
            "updateCells": {
                "range": {"sheetId": sheet_id, "startRowIndex": 0, "startColumnIndex": 0},
                "rows": values,
                "fields": "userEnteredValue,userEnteredFormat.numberFormat",
            }
        }
    )
    for row in (0, 4, header):
        requests.append(
            {
                "repeatCell": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": row,
                        "endRowIndex": row + 1,
                        "startColumnIndex": 0,
                        "endColumnIndex": width if row == header else 5,
                    },
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
    weeks = len(snapshot["weeks"])
    requests += [_chart(sheet_id, header, weeks, column, column - 1) for column in range(1, width)]
    return requests


def sheet_ids(client: SheetsClient, spreadsheet_id: str) -> dict[str, int]:
    """Every tab's title → sheet id, in one light request (no cells)."""
    data = client.metadata(spreadsheet_id, "sheets.properties(sheetId,title)")
    return {str(s["properties"]["title"]): int(s["properties"]["sheetId"]) for s in data.get("sheets", [])}


def write_dashboard(
    client: SheetsClient, spreadsheet_id: str, snapshot: dict[str, Any], updated_at: str, work: WorkTab | None = None
) -> int:
    """Read the tab ids, then write the Dashboard (and, given ``work``, the Work tab right after it)
    in one batchUpdate; returns the requests sent."""
    ids = sheet_ids(client, spreadsheet_id)
    if work is None:
        requests = dashboard_requests(ids, snapshot, updated_at)
    else:
        requests = with_work_tab(ids, snapshot, updated_at, work)
    client.batch_update(spreadsheet_id, requests)
    return len(requests)


@dataclass(frozen=True)
class WorkTab:
    """What the Work tab shows (shared/composition/services/work_at_risk.py), its times' zone and the base URL
    of its links (None: no link column filled)."""

    work: dict[str, Any]
    timezone: str
    base_url: str | None = None


def with_work_tab(
    ids: dict[str, int], snapshot: dict[str, Any], updated_at: str, work: WorkTab
) -> list[dict[str, Any]]:
    """The Dashboard's requests between the Work tab's drop and its re-adding: one batch, and
    the Work tab lands right after the Dashboard; no request names a rule tab."""
    from zoneinfo import ZoneInfo

    from admin_sheets.publishing import workbook_locale
    from admin_sheets.work_tab import find_tab, work_requests, work_rows

    existing = find_tab(ids)
    others = {title: sid for title, sid in ids.items() if existing is None or title != existing[0]}
    dashboard = dashboard_requests(others, snapshot, updated_at)
    added = next(r["addSheet"]["properties"] for r in dashboard if "addSheet" in r)
    locale = workbook_locale(list(ids))
    rows = work_rows(work.work, locale, updated_at, ZoneInfo(work.timezone), work.base_url)
    taken = {*ids.values(), added["sheetId"]}
    drop, add, _ = work_requests(ids, added["index"] + 1, rows, taken, locale)
    return [*drop, *dashboard, *add]
