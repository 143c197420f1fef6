"""A fake Google Sheets API v4 (and the Drive v3 permissions Closeloop uses) over real HTTP.

Serves Google's paths (``/v4/spreadsheets/...``, ``/drive/v3/files/...``) on 127.0.0.1 so the
real gspread client, pointed here by CLOSELOOP_SHEETS_ENDPOINT, talks to it as it talks to
Google. Every request is recorded; failures (429, 5xx, 403, 404) and slow answers can be
scripted. Errors are shaped like Google's: ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.sheets_grid import ApiError, Book, a1, entered, masked, parse_cell, parse_mask, shown

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
GOOGLE_MESSAGES = {  # as Google words them
    401: "Request is missing required authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
    "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "Deadline expired before operation could complete.",
}


def google_error(code: int, message: str | None = None) -> dict[str, Any]:
    message = message or GOOGLE_MESSAGES.get(code, "error")
    return {"error": {"code": code, "message": message, "status": STATUS_NAMES.get(code, "UNKNOWN")}}


class FakeSheetsApi:
    def __init__(self, *, strict_grid: bool = False) -> None:
        self.books: dict[str, Book] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[Any] = []  # the JSON body of each request (None when it had none)
        self.strict_grid = strict_grid  # True: writing outside a sheet's grid is a 400, as in Google
        self._failures: list[tuple[int, dict[str, Any] | None, float]] = []
        self._slow: list[float] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> str:
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- scripting -------------------------------------------------------------------------------
    def fail_next(self, status: int, count: int = 1, body: dict[str, Any] | None = None, delay: float = 0) -> None:
        with self._lock:
            self._failures.extend([(status, body, delay)] * count)

    def slow_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._slow.extend([seconds] * count)

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.bodies.clear()

    # -- state -----------------------------------------------------------------------------------
    def add_spreadsheet(
        self, title: str, tabs: dict[str, list[list[str]]], notes: dict[str, dict[str, str]] | None = None
    ) -> str:
        """A spreadsheet with these tabs (rows of cell text, header first); returns its id."""
        with self._lock:
            book = Book(f"fake-{next(self._ids):04d}-{title.replace(' ', '_')}", title)
            for title_, rows in tabs.items():
                width = max((len(r) for r in rows), default=0)
                sheet = book.add_sheet(
                    {
                        "title": title_,
                        "gridProperties": {"rowCount": max(1000, len(rows)), "columnCount": max(26, width)},
                    }
                )
                for r, row in enumerate(rows):
                    for c, text in enumerate(row):
                        if text != "":
                            sheet.cells[(r, c)] = {"userEnteredValue": entered(text, False)}
            self.books[book.id] = book
            for tab, cells in (notes or {}).items():
                for cell, text in cells.items():
                    self.set_note(book.id, tab, cell, text)
            return book.id

    def set_note(self, spreadsheet_id: str, tab: str, cell: str, note: str) -> None:
        with self._lock:
            sheet = self.books[spreadsheet_id].sheet(title=tab)
            row, col = _cell(cell)
            sheet.cells.setdefault((row, col), {})["note"] = note

    def values(self, spreadsheet_id: str, tab: str) -> list[list[str]]:
        """The tab as entered (formulas as their text), trailing blanks trimmed."""
        with self._lock:
            sheet = self.books[spreadsheet_id].sheet(title=tab)
            rows: list[list[str]] = []
            for (r, c), cell in sorted(sheet.cells.items()):
                value = cell.get("userEnteredValue")
                if not value:
                    continue
                rows.extend([] for _ in range(r + 1 - len(rows)))
                rows[r].extend("" for _ in range(c + 1 - len(rows[r])))
                rows[r][c] = value.get("formulaValue") or shown(value)
            return rows

    def notes(self, spreadsheet_id: str, tab: str) -> dict[str, str]:
        with self._lock:
            sheet = self.books[spreadsheet_id].sheet(title=tab)
            return {a1(r, c): cell["note"] for (r, c), cell in sorted(sheet.cells.items()) if "note" in cell}

    def formats(self, spreadsheet_id: str, tab: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            sheet = self.books[spreadsheet_id].sheet(title=tab)
            return {
                a1(*k): copy.deepcopy(c["userEnteredFormat"])
                for k, c in sorted(sheet.cells.items())
                if "userEnteredFormat" in c
            }

    def sheet_props(self, spreadsheet_id: str, tab: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.books[spreadsheet_id].sheet(title=tab).props)

    def charts(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        with self._lock:
            book = self.books[spreadsheet_id]
            sheet_id = book.sheet(title=tab).props["sheetId"]
            return copy.deepcopy(
                [c for c in book.charts if c["position"]["overlayPosition"]["anchorCell"]["sheetId"] == sheet_id]
            )

    def tab_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [s.props["title"] for s in self.books[spreadsheet_id].sheets]

    def data_validations(self, spreadsheet_id: str, tab: str) -> dict[str, Any]:
        with self._lock:
            sheet = self.books[spreadsheet_id].sheet(title=tab)
            return {a1(*k): copy.deepcopy(rule) for k, rule in sorted(sheet.validations.items())}

    def protected_ranges(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.books[spreadsheet_id].protected)

    def permissions(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.books[spreadsheet_id].permissions)

    # -- the API ---------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        with self._lock:
            for pattern, route in _ROUTES:
                if route[0] == method and (match := re.fullmatch(pattern, path)):
                    args = [unquote(g) for g in match.groups()]
                    if args and pattern.startswith("/v4/spreadsheets/") and args[0] not in self.books:
                        return 404, google_error(404)
                    try:
                        return 200, _json(route[1](self, *args, query=query, body=body or {}))  # under the lock
                    except ApiError as exc:
                        return exc.code, google_error(exc.code, exc.message)
                    except (KeyError, TypeError, ValueError) as exc:
                        return 400, google_error(400, f"Invalid JSON payload received: {exc!r}")
            return 404, google_error(404, f"The requested URL {path} was not found on this server.")

    def _get(self, sid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        grid = query.get("includeGridData", ["false"])[0].lower() == "true"
        resource = self.books[sid].resource(grid, query.get("ranges"))
        return _masked(resource, query)

    def _batch_get(self, sid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        ranges = [self.books[sid].read_values(r) for r in query.get("ranges", [])]
        return {"spreadsheetId": sid, "valueRanges": ranges}

    def _values_get(self, sid: str, rng: str, *, query: dict[str, list[str]], body: Any) -> Any:
        return self.books[sid].read_values(rng)

    def _values_put(self, sid: str, rng: str, *, query: dict[str, list[str]], body: Any) -> Any:
        user = query.get("valueInputOption", ["RAW"])[0] == "USER_ENTERED"
        return self.books[sid].write_values(rng, body.get("values", []), user)

    def _values_batch_update(self, sid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        user = body.get("valueInputOption", "RAW") == "USER_ENTERED"
        replies = [self.books[sid].write_values(d["range"], d.get("values", []), user) for d in body.get("data", [])]
        return {
            "spreadsheetId": sid,
            "totalUpdatedCells": sum(r["updatedCells"] for r in replies),
            "responses": replies,
        }

    def _batch_update(self, sid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        saved = copy.deepcopy(self.books[sid])  # a batch is atomic: all requests apply or none
        try:
            replies = [self.books[sid].apply(i, r, self.strict_grid) for i, r in enumerate(body.get("requests", []))]
        except Exception:
            self.books[sid] = saved
            raise
        return {"spreadsheetId": sid, "replies": replies}

    def _create(self, *, query: dict[str, list[str]], body: Any) -> Any:
        props = body.get("properties", {})
        book = Book(f"fake-{next(self._ids):04d}-created", props.get("title", "Untitled spreadsheet"))
        book.locale = props.get("locale", book.locale)
        for spec in body.get("sheets") or [{"properties": {}}]:
            sheet = book.add_sheet(spec.get("properties", {}))
            for data in spec.get("data", []):
                book.update_cells(
                    {
                        "start": {
                            "sheetId": sheet.props["sheetId"],
                            "rowIndex": data.get("startRow", 0),
                            "columnIndex": data.get("startColumn", 0),
                        },
                        "rows": data.get("rowData", []),
                        "fields": "*",
                    },
                    False,
                    "create",
                )
        self.books[book.id] = book
        return _masked(book.resource(False), query)

    def _add_permission(self, fid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        if fid not in self.books:
            raise ApiError(404, f"File not found: {fid}.")
        permission = {"kind": "drive#permission", "id": f"perm-{next(self._ids)}", **body}
        permission["sendNotificationEmail"] = query.get("sendNotificationEmail", ["true"])[0]
        self.books[fid].permissions.append(permission)
        return {k: permission[k] for k in ("kind", "id", "type", "role") if k in permission}

    def _list_permissions(self, fid: str, *, query: dict[str, list[str]], body: Any) -> Any:
        if fid not in self.books:
            raise ApiError(404, f"File not found: {fid}.")
        return {"kind": "drive#permissionList", "permissions": copy.deepcopy(self.books[fid].permissions)}

    def _list_files(self, *, query: dict[str, list[str]], body: Any) -> Any:
        wanted = re.search(r'name = "([^"]*)"', query.get("q", [""])[0])
        files = [
            {
                "id": b.id,
                "name": b.title,
                "createdTime": "2026-01-01T00:00:00.000Z",
                "modifiedTime": "2026-01-01T00:00:00.000Z",
            }
            for b in self.books.values()
            if not wanted or b.title == wanted.group(1)
        ]
        return {"kind": "drive#fileList", "files": files}

    def before(
        self, method: str, path_with_query: str
    ) -> tuple[float, tuple[int, dict[str, Any] | None, float] | None]:
        with self._lock:
            self.requests.append((method, path_with_query))
            slow = self._slow.pop(0) if self._slow else 0.0
            failure = self._failures.pop(0) if self._failures else None
            return slow, failure


_ID = r"([^/:]+)"
_ROUTES: list[tuple[str, tuple[str, Any]]] = [
    (rf"/v4/spreadsheets/{_ID}", ("GET", FakeSheetsApi._get)),
    (rf"/v4/spreadsheets/{_ID}/values:batchGet", ("GET", FakeSheetsApi._batch_get)),
    (rf"/v4/spreadsheets/{_ID}/values:batchUpdate", ("POST", FakeSheetsApi._values_batch_update)),
    (rf"/v4/spreadsheets/{_ID}/values/(.+)", ("GET", FakeSheetsApi._values_get)),
    (rf"/v4/spreadsheets/{_ID}/values/(.+)", ("PUT", FakeSheetsApi._values_put)),
    (rf"/v4/spreadsheets/{_ID}:batchUpdate", ("POST", FakeSheetsApi._batch_update)),
    (r"/v4/spreadsheets", ("POST", FakeSheetsApi._create)),
    (r"/drive/v3/files/([^/]+)/permissions", ("POST", FakeSheetsApi._add_permission)),
    (r"/drive/v3/files/([^/]+)/permissions", ("GET", FakeSheetsApi._list_permissions)),
    (r"/drive/v3/files", ("GET", FakeSheetsApi._list_files)),
]


def _json(answer: Any) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def _masked(resource: dict[str, Any], query: dict[str, list[str]]) -> Any:
    return masked(resource, parse_mask(query["fields"][0])) if "fields" in query else resource


def _cell(text: str) -> tuple[int, int]:
    row, col = parse_cell(text)
    return row or 0, col or 0


class _Handler(BaseHTTPRequestHandler):
    api: FakeSheetsApi

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read fake.requests instead
        pass

    def _serve(self) -> None:
        slow, failure = self.api.before(self.command, self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self.api._lock:
            self.api.bodies.append(body)
        time.sleep(slow)
        if failure is not None:
            status, error_body, delay = failure
            time.sleep(delay)
            self._send(status, error_body or google_error(status))
            return
        split = urlsplit(self.path)
        status, answer = self.api.handle(self.command, split.path, parse_qs(split.query), body)
        self._send(status, answer)

    def _send(self, status: int, answer: Any) -> None:
        data = answer if isinstance(answer, bytes) else _json(answer)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
