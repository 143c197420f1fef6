"""Google Sheets as a rules source: one batch read of the workbook, one batch write of the report.

The real gspread HTTP client does the talking (so tests exercise what production runs), with
our own retry policy around it: gspread's BackOffHTTPClient can sleep for minutes, far past a
Lambda's budget. With CLOSELOOP_SHEETS_ENDPOINT set, every Google URL is rewritten onto that
endpoint and access is anonymous (an emulator or the test fake).

Imported lazily (from readers.read_source and the CLI): gspread stays off the API's import path.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import GoogleAuthError, TransportError
from gspread import Client
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_before_delay
from tenacity import wait_exponential_jitter as _wait_jitter

from admin_sheets.model import Problem, RawWorkbook, SourceError
from admin_sheets.tabs import normalize_header

ENDPOINT_ENV = "CLOSELOOP_SHEETS_ENDPOINT"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
STATUS_TITLES = {"en": "Status", "zh-CN": "状态"}
NOTE_MARKER = "⚠ Closeloop: "
HUMAN_NOTE_SEPARATOR = "\n\n—— "  # our note, then this, then the note a person had written there
RETRYABLE = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 3
READ_FIELDS = (
    "spreadsheetId,properties.title,"
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
    "data(rowData(values(formattedValue,note))))"
)
SUMMARY_ROWS = 4  # time, version, result, problem count
TABLE_HEADER_ROW = SUMMARY_ROWS + 1  # 0-based: one blank row, then the problems' header
FIRST_STATUS_SHEET_ID = 7_700_000

# The Result row says what is live and why. {version}: the version live after the sync;
# {count}: how many problems the workbook has (listed below the summary).
LABELS = {
    "en": {
        "time": "Last sync",
        "version": "Rules version",
        "result": "Result",
        "problems": "Problems",
        "header": ("Tab", "Cell", "Problem", "Go to cell"),
        "accepted": "published: this workbook is live now, as version {version}",
        "unchanged": "unchanged: this workbook is already live, as version {version}; nothing new to publish",
        "rejected": "rejected: this workbook has {count} problem(s), listed below, so nothing was published; "
        "version {version} stays live",
        "rejected_first": "rejected: this workbook has {count} problem(s), listed below, so nothing was published; "
        "no rules are live yet",
        "held": "held: version {version} stays live because it was rolled back to; the workbook still holds "
        "the rules that were rolled back; edit it to publish again",
    },
    "zh-CN": {
        "time": "最近同步",
        "version": "规则版本",
        "result": "结果",
        "problems": "问题数",
        "header": ("工作表", "单元格", "问题", "跳转"),
        "accepted": "已发布：本工作簿现已生效，版本 {version}",
        "unchanged": "无变化：本工作簿已是生效的版本 {version}，无需发布",
        "rejected": "已拒绝：本工作簿有 {count} 个问题（见下方），未发布任何内容；继续使用版本 {version}",
        "rejected_first": "已拒绝：本工作簿有 {count} 个问题（见下方），未发布任何内容；目前还没有生效的规则",
        "held": "保持回滚：继续使用回滚到的版本 {version}；工作簿仍是被回滚的规则，修改后才会重新发布",
    },
}


def result_text(result: str, version_id: str | None, problems: int, locale: str = "en") -> str:
    """The Status tab's Result: the outcome, what is live now and, for a rejection, how much is wrong."""
    labels = LABELS.get(locale, LABELS["en"])
    if result == "rejected" and version_id is None:
        result = "rejected_first"
    template = labels.get(result)
    if not isinstance(template, str):
        return result
    return template.format(version=version_id or "—", count=problems)


T = TypeVar("T")
QueryParams = dict[str, str | int | bool | float | list[str] | None]  # gspread's HTTPClient params


class SheetsError(SourceError):
    """Google Sheets could not be read or written; the message is one line for the operator."""


@dataclass
class GoogleWorkbook:
    spreadsheet_id: str
    title: str
    raw: RawWorkbook  # every tab but Status, as shown; trailing blanks trimmed (header: to the data's width)
    sheet_ids: dict[str, int]  # every tab title (Status included) → sheetId
    closeloop_notes: dict[str, dict[str, str]]  # tab → A1 → a note Closeloop wrote earlier
    grid_sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # tab → (rowCount, columnCount)
    human_notes: dict[str, dict[str, str]] = field(default_factory=dict)  # tab → A1 → a person's note


@dataclass
class SyncReport:
    time: str
    result: str  # accepted | rejected | unchanged | held
    version_id: str | None
    problems: list[Problem]
    locale: str = "en"
    warnings: list[Problem] = field(default_factory=list)  # listed under the problems; nothing held back


# -- escaping -------------------------------------------------------------------------------------

_FORMULA_START = re.compile(r"^(?:[\t\r]|\s*[=+\-@])")


def escape_cell(text: str) -> str:
    """Defuse formula injection: text that a spreadsheet (or a CSV export opened in Excel) could take
    for a formula gets a leading apostrophe."""
    return "'" + text if _FORMULA_START.match(text) else text


def _string(text: str) -> dict[str, Any]:
    return {"userEnteredValue": {"stringValue": escape_cell(text)}}


def _hyperlink(sheet_id: int, cell: str, label: str) -> dict[str, Any]:
    label = escape_cell(label).replace('"', '""')
    return {"userEnteredValue": {"formulaValue": f'=HYPERLINK("#gid={sheet_id}&range={cell}", "{label}")'}}


# -- cells ----------------------------------------------------------------------------------------


def _letters(col: int) -> str:
    out = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


_A1 = re.compile(r"^([A-Z]{1,3})([1-9]\d*)$")


def _position(cell: str) -> tuple[int, int] | None:
    """ "B3" → (2, 1), 0-based; None for anything that is not one cell."""
    match = _A1.match(cell)
    if not match:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _is_status(title: str) -> bool:
    return normalize_header(title) in {normalize_header(t) for t in STATUS_TITLES.values()}


# -- HTTP -----------------------------------------------------------------------------------------


class _RoutedHTTPClient(HTTPClient):
    """gspread's HTTPClient, counting requests and (for an emulator) rewriting Google's URLs."""

    endpoint: str | None = None
    request_count = 0

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        if self.endpoint:
            for host in GOOGLE_HOSTS:
                if endpoint.startswith(host):
                    endpoint = self.endpoint + endpoint[len(host) :]
                    break
        self.request_count += 1
        return super().request(method, endpoint, *args, **kwargs)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, APIError):
        return exc.response.status_code in RETRYABLE
    return isinstance(exc, requests.Timeout | requests.ConnectionError | TransportError)


class SheetsClient:
    def __init__(
        self,
        client: Client,
        *,
        service_email: str | None,
        timeout: float,
        deadline: float,
        backoff: float = 0.5,
    ) -> None:
        self._client = client
        self._http: _RoutedHTTPClient = client.http_client  # type: ignore[assignment]
        self.service_email = service_email
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff

    @property
    def request_count(self) -> int:
        return self._http.request_count

    # -- reading ----------------------------------------------------------------------------------
    def read_workbook(self, spreadsheet_id: str) -> GoogleWorkbook:
        """Every tab's cells and notes, sheet ids and grid sizes, in one request."""
        params: QueryParams = {"includeGridData": "true", "fields": READ_FIELDS}
        data = self._call("read", spreadsheet_id, lambda: self._http.spreadsheets_get(spreadsheet_id, params=params))
        return _workbook(spreadsheet_id, data)

    def metadata(self, spreadsheet_id: str, fields: str) -> dict[str, Any]:
        """The spreadsheet's properties named by ``fields`` (no cells), in one request."""
        params: QueryParams = {"fields": fields}
        data: dict[str, Any] = self._call(
            "read", spreadsheet_id, lambda: self._http.spreadsheets_get(spreadsheet_id, params=params)
        )
        return data

    # -- writing ----------------------------------------------------------------------------------
    def write_report(self, workbook: GoogleWorkbook, report: SyncReport) -> None:
        """The Status tab, notes on offending cells and stale notes cleared, in one batchUpdate."""
        self.batch_update(workbook.spreadsheet_id, report_requests(workbook, report))

    def batch_update(self, spreadsheet_id: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"requests": requests}
        result: dict[str, Any] = self._call(
            "write", spreadsheet_id, lambda: self._http.batch_update(spreadsheet_id, body)
        )
        return result

    def create_spreadsheet(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v4/spreadsheets: a new spreadsheet (title, tabs, even data) in one request."""
        result: dict[str, Any] = self._call(
            "create",
            "",
            lambda: self._http.request("post", SPREADSHEETS_API_V4_BASE_URL, json=body).json(),
        )
        return result

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        """Drive permission for a person (an e-mail notification goes out, as in the Sheets UI)."""
        self._call(
            "share",
            spreadsheet_id,
            lambda: self._client.insert_permission(spreadsheet_id, email, perm_type="user", role=role),
        )

    # -- the one place requests are retried and errors worded ------------------------------------
    def _call(self, action: str, spreadsheet_id: str, send: Callable[[], T]) -> T:
        started = time.monotonic()

        def attempt() -> T:
            remaining = self.deadline - (time.monotonic() - started)
            self._http.set_timeout(max(0.05, min(self.timeout, remaining)))
            return send()

        retrying = Retrying(
            stop=stop_after_attempt(MAX_ATTEMPTS) | stop_before_delay(self.deadline),
            wait=_wait_jitter(multiplier=self.backoff, max=4, jitter=self.backoff),
            retry=retry_if_exception(_transient),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except APIError as exc:
            raise self._api_error(exc, action, spreadsheet_id, _attempts(retrying)) from None
        except requests.Timeout:
            elapsed = time.monotonic() - started
            raise SheetsError(
                f"Google Sheets timed out after {elapsed:.1f} s ({_attempts(retrying)} attempts){_live(action)}"
            ) from None
        except requests.ConnectionError as exc:
            raise SheetsError(f"cannot reach Google Sheets ({_first_line(exc)}){_live(action)}") from None
        except TransportError as exc:
            raise SheetsError(f"cannot reach Google to sign in ({_first_line(exc)}){_live(action)}") from None
        except GoogleAuthError as exc:
            raise SheetsError(f"bad Google credentials: {_first_line(exc)}") from None
        except ValueError:  # a 200 whose body is not JSON: a proxy or captive portal, not Google
            raise SheetsError(f"Google Sheets answered the {action} with something that is not JSON") from None

    def _api_error(self, exc: APIError, action: str, spreadsheet_id: str, attempts: int) -> SheetsError:
        code = exc.response.status_code
        message = str(exc.error.get("message", "")).strip() or exc.response.reason
        what = f"spreadsheet {spreadsheet_id}" if spreadsheet_id else "a new spreadsheet"
        if code == 429:
            return SheetsError(f"Google Sheets quota exceeded (429) after {attempts} attempts{_live(action)}")
        if code in RETRYABLE:
            return SheetsError(
                f"Google Sheets unavailable ({code}: {_first_line(message)}) after {attempts} attempts{_live(action)}"
            )
        if code == 403 and action == "create":
            return SheetsError(f"the service account may not create spreadsheets: {_first_line(message)}")
        if code == 403:
            who = self.service_email or "the service account's client_email"
            verb = "open" if action == "read" else "edit"
            return SheetsError(f"the service account cannot {verb} {what}: share it with {who} as Editor")
        if code == 404:
            return SheetsError(f"{what} not found: check the spreadsheet id")
        if code == 401:
            return SheetsError(f"bad Google credentials: {_first_line(message)}")
        return SheetsError(f"Google Sheets refused to {action} {what} ({code}): {_first_line(message)}")


def _attempts(retrying: Retrying) -> int:
    statistics: Mapping[str, Any] = retrying.statistics
    return int(statistics.get("attempt_number", 1))


def _live(action: str) -> str:
    return "; the last good rules version stays live" if action == "read" else ""


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__


# -- building the client --------------------------------------------------------------------------


def sheets_client(
    credentials_info: dict[str, Any] | None = None,
    *,
    endpoint: str | None = None,
    timeout: float = 10,
    deadline: float = 25,
    backoff: float = 0.5,
) -> SheetsClient:
    """A client for Google Sheets, or for the emulator at ``endpoint`` / CLOSELOOP_SHEETS_ENDPOINT.

    Credentials: ``credentials_info`` (the service-account JSON, e.g. from Secrets Manager), else
    the file named by GOOGLE_APPLICATION_CREDENTIALS. With an endpoint, access is anonymous.
    """
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV) or None
    credentials: Credentials
    info: Mapping[str, Any] = credentials_info or {}
    if endpoint:
        credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
    else:
        info = credentials_info if credentials_info is not None else _credentials_file()
        credentials = _service_account(info)
    email = str(info.get("client_email") or "") or None  # named in "share it with ..." messages

    class HTTP(_RoutedHTTPClient):
        pass

    HTTP.endpoint = endpoint.rstrip("/") if endpoint else None
    client = Client(credentials, http_client=HTTP)
    return SheetsClient(client, service_email=email, timeout=timeout, deadline=deadline, backoff=backoff)


def _credentials_file() -> dict[str, Any]:
    path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        raise SheetsError(
            "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account JSON key file "
            f"(in AWS: the closeloop-<stage>-google-service-account secret), or {ENDPOINT_ENV} to use an emulator"
        )
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except OSError as exc:
        raise SheetsError(f"bad Google credentials: cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise SheetsError(f"bad Google credentials: {path} is not JSON") from None
    if not isinstance(info, dict):
        raise SheetsError(f"bad Google credentials: {path} is not a service-account key")
    return info


def _service_account(info: Mapping[str, Any]) -> Credentials:
    from google.oauth2.service_account import Credentials as ServiceAccountCredentials

    if info.get("type") not in (None, "service_account"):
        raise SheetsError(f"bad Google credentials: a service-account key is needed, not {info.get('type')!r}")
    try:
        credentials: Credentials = ServiceAccountCredentials.from_service_account_info(info, scopes=list(SCOPES))  # type: ignore[no-untyped-call]
        return credentials
    except (ValueError, KeyError, TypeError) as exc:
        raise SheetsError(f"bad Google credentials: {_first_line(exc)}") from None


# -- the read, parsed -----------------------------------------------------------------------------


def _workbook(spreadsheet_id: str, data: Mapping[str, Any]) -> GoogleWorkbook:
    book = GoogleWorkbook(spreadsheet_id, str(data.get("properties", {}).get("title", "")), {}, {}, {})
    sheets = sorted(data.get("sheets", []), key=lambda s: s.get("properties", {}).get("index", 0))
    for sheet in sheets:
        props = sheet.get("properties", {})
        title = str(props.get("title", ""))
        book.sheet_ids[title] = int(props.get("sheetId", 0))
        grid = props.get("gridProperties", {})
        book.grid_sizes[title] = (int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0)))
        if _is_status(title):
            continue
        rows: list[list[str]] = []
        ours: dict[str, str] = {}
        theirs: dict[str, str] = {}
        for grid_data in sheet.get("data", []):
            top, left = int(grid_data.get("startRow", 0)), int(grid_data.get("startColumn", 0))
            for r, row_data in enumerate(grid_data.get("rowData", []), start=top):
                rows.extend([] for _ in range(r + 1 - len(rows)))
                for c, value in enumerate(row_data.get("values", []), start=left):
                    text = value.get("formattedValue")
                    if text not in (None, ""):
                        rows[r].extend("" for _ in range(c + 1 - len(rows[r])))
                        rows[r][c] = str(text)
                    note = value.get("note")
                    if note:
                        cell = f"{_letters(c)}{r + 1}"
                        if note.startswith(NOTE_MARKER):
                            ours[cell] = note
                            human = note.partition(HUMAN_NOTE_SEPARATOR)[2]
                            if human:
                                theirs[cell] = human
                        else:
                            theirs[cell] = note
        while rows and not rows[-1]:
            rows.pop()
        if rows:  # the header keeps the data's width, so data under no header is still seen as such
            width = max(len(row) for row in rows)
            rows[0].extend("" for _ in range(width - len(rows[0])))
        book.raw[title] = rows
        if ours:
            book.closeloop_notes[title] = ours
        if theirs:
            book.human_notes[title] = theirs
    return book


# -- the write, built -----------------------------------------------------------------------------


def report_requests(workbook: GoogleWorkbook, report: SyncReport) -> list[dict[str, Any]]:
    """The batchUpdate requests that write a sync report into the workbook."""
    labels = LABELS.get(report.locale, LABELS["en"])
    rows = _status_rows(workbook, report, labels)
    requests: list[dict[str, Any]] = []
    status_title = next((t for t in workbook.sheet_ids if _is_status(t)), None)
    needed_rows = len(rows) + 1
    if status_title is None:
        taken = set(workbook.sheet_ids.values())
        sheet_id = next(
            i for i in range(FIRST_STATUS_SHEET_ID, FIRST_STATUS_SHEET_ID + len(taken) + 1) if i not in taken
        )
        grid = {"rowCount": max(needed_rows, 50), "columnCount": 4, "frozenRowCount": TABLE_HEADER_ROW + 1}
        title = STATUS_TITLES.get(report.locale, STATUS_TITLES["en"])
        requests.append(
            {"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "index": 0, "gridProperties": grid}}}
        )
    else:
        sheet_id = workbook.sheet_ids[status_title]
        row_count, column_count = workbook.grid_sizes.get(status_title, (0, 0))
        requests += _grow(sheet_id, row_count, column_count, needed_rows, 4)
        requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": TABLE_HEADER_ROW + 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
    # No bounds: the rows replace the whole tab, and whatever they do not cover is cleared.
    requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "rows": rows, "fields": "userEnteredValue,note"}})
    for r0, r1 in ((0, SUMMARY_ROWS), (TABLE_HEADER_ROW, TABLE_HEADER_ROW + 1)):
        bold_range = {"sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": r1, "startColumnIndex": 0}
        bold_range["endColumnIndex"] = 1 if r1 == SUMMARY_ROWS else 4
        requests.append(
            {
                "repeatCell": {
                    "range": bold_range,
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        )
    requests += _note_requests(workbook, report.problems)
    return requests


def _status_rows(workbook: GoogleWorkbook, report: SyncReport, labels: dict[str, Any]) -> list[dict[str, Any]]:
    result = result_text(report.result, report.version_id, len(report.problems), report.locale)
    summary = [
        [_string(labels["time"]), _string(report.time)],
        [_string(labels["version"]), _string(report.version_id or "—")],
        [_string(labels["result"]), _string(result)],
        [_string(labels["problems"]), {"userEnteredValue": {"numberValue": len(report.problems)}}],
    ]
    rows = [{"values": values} for values in summary]
    rows.append({})
    rows.append({"values": [_string(h) for h in labels["header"]]})
    for problem in [*report.problems, *report.warnings]:
        label = f"{problem.tab}!{problem.cell}"
        sheet_id = workbook.sheet_ids.get(problem.tab)
        link = (
            _hyperlink(sheet_id, problem.cell, label)
            if sheet_id is not None and _position(problem.cell)
            else _string(label)
        )
        rows.append({"values": [_string(problem.tab), _string(problem.cell), _string(problem.message), link]})
    return rows


def _grow(sheet_id: int, rows: int, columns: int, need_rows: int, need_columns: int) -> list[dict[str, Any]]:
    """appendDimension requests so a write stays inside the grid (Google rejects the batch otherwise)."""
    out = []
    for dimension, have, need in (("ROWS", rows, need_rows), ("COLUMNS", columns, need_columns)):
        if have and need > have:
            out.append({"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": need - have}})
    return out


def _note_requests(workbook: GoogleWorkbook, problems: list[Problem]) -> list[dict[str, Any]]:
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for problem in problems:
        if problem.tab in workbook.sheet_ids and not _is_status(problem.tab) and _position(problem.cell):
            wanted[(problem.tab, problem.cell)].append(problem.message)
    requests: list[dict[str, Any]] = []
    reach: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    notes: list[tuple[str, str, str | None]] = []
    for (tab, cell), messages in wanted.items():
        note = "\n".join(NOTE_MARKER + m for m in messages)
        human = workbook.human_notes.get(tab, {}).get(cell)
        notes.append((tab, cell, note + HUMAN_NOTE_SEPARATOR + human if human else note))
        row, col = _position(cell) or (0, 0)
        reach[tab] = (max(reach[tab][0], row + 1), max(reach[tab][1], col + 1))
    for tab, cells in workbook.closeloop_notes.items():
        for cell in cells:
            if (tab, cell) not in wanted and tab in workbook.sheet_ids and _position(cell):
                notes.append((tab, cell, workbook.human_notes.get(tab, {}).get(cell)))  # a person's note comes back
    for tab, (need_rows, need_columns) in reach.items():
        rows, columns = workbook.grid_sizes.get(tab, (0, 0))
        requests += _grow(workbook.sheet_ids[tab], rows, columns, need_rows, need_columns)
    for tab, cell, text in notes:
        row, col = _position(cell) or (0, 0)
        cell_range = {
            "sheetId": workbook.sheet_ids[tab],
            "startRowIndex": row,
            "endRowIndex": row + 1,
            "startColumnIndex": col,
            "endColumnIndex": col + 1,
        }
        update: dict[str, Any] = {"range": cell_range, "fields": "note"}
        if text is not None:
            update["rows"] = [{"values": [{"note": text}]}]
        requests.append({"updateCells": update})  # without rows: the note is cleared
    return requests
