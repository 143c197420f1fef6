"""Google failing: quota, outages, permissions, missing sheets, slowness, credentials."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from admin_sheets.google_sheets import SheetsClient, SheetsError, SyncReport, sheets_client
from admin_sheets.readers import SourceError, read_source
from tests.fakes.sheets_api import FakeSheetsApi
from tests.integration.sheets.conftest import ROOT, SERVICE_EMAIL, example_raw


@pytest.fixture
def sid(fake: FakeSheetsApi) -> str:
    spreadsheet_id = fake.add_spreadsheet("Closeloop rules", example_raw())
    fake.reset_requests()
    return spreadsheet_id


def test_quota_then_success_is_retried(fake: FakeSheetsApi, client: SheetsClient, sid: str) -> None:
    fake.fail_next(429)
    book = client.read_workbook(sid)
    assert "Owners" in book.raw
    assert len(fake.requests) == 2 and fake.requests[0] == fake.requests[1]
    assert client.request_count == 2


def test_quota_exhausted_names_the_cause(fake: FakeSheetsApi, client: SheetsClient, sid: str) -> None:
    fake.fail_next(429, count=5)
    with pytest.raises(SheetsError) as caught:
        client.read_workbook(sid)
    assert str(caught.value) == (
        "Google Sheets quota exceeded (429) after 3 attempts; the last good rules version stays live"
    )
    assert len(fake.requests) == 3


def test_unavailable_three_times_gives_up_after_three_attempts(
    fake: FakeSheetsApi, client: SheetsClient, sid: str
) -> None:
    fake.fail_next(503, count=3)
    with pytest.raises(SheetsError, match=r"unavailable \(503: The service is currently unavailable\.\) after 3"):
        client.read_workbook(sid)
    assert len(fake.requests) == 3


def test_write_is_retried_after_a_server_error(fake: FakeSheetsApi, client: SheetsClient, sid: str) -> None:
    book = client.read_workbook(sid)
    fake.reset_requests()
    fake.fail_next(500)
    client.write_report(book, SyncReport("t", "accepted", "v1", []))
    assert [m for m, _ in fake.requests] == ["POST", "POST"]
    assert fake.values(sid, "Status")[1] == ["Rules version", "v1"]


def test_no_permission_is_not_retried_and_says_whom_to_share_with(
    fake: FakeSheetsApi, client: SheetsClient, sid: str
) -> None:
    fake.fail_next(403)
    with pytest.raises(SheetsError) as caught:
        client.read_workbook(sid)
    assert str(caught.value) == (
        f"the service account cannot open spreadsheet {sid}: share it with {SERVICE_EMAIL} as Editor"
    )
    assert len(fake.requests) == 1


def test_read_only_share_fails_the_write_with_the_same_advice(
    fake: FakeSheetsApi, client: SheetsClient, sid: str
) -> None:
    book = client.read_workbook(sid)
    fake.fail_next(403)
    with pytest.raises(SheetsError, match=f"cannot edit spreadsheet {sid}: share it with {SERVICE_EMAIL} as Editor"):
        client.write_report(book, SyncReport("t", "accepted", "v1", []))


def test_unknown_spreadsheet_is_not_found(fake: FakeSheetsApi, client: SheetsClient) -> None:
    with pytest.raises(SheetsError, match=r"^spreadsheet nope-123 not found"):
        client.read_workbook("nope-123")
    assert len(fake.requests) == 1


def test_scripted_not_found(fake: FakeSheetsApi, client: SheetsClient, sid: str) -> None:
    fake.fail_next(404)
    with pytest.raises(SheetsError, match=rf"^spreadsheet {sid} not found"):
        client.read_workbook(sid)
    assert len(fake.requests) == 1


def test_slow_google_times_out_within_the_deadline(fake: FakeSheetsApi, sid: str) -> None:
    client = sheets_client(timeout=0.2, deadline=1, backoff=0.01)
    fake.slow_next(3, count=5)
    with pytest.raises(SheetsError, match=r"^Google Sheets timed out after \d+\.\d s \((\d) attempts\)") as caught:
        client.read_workbook(sid)
    # the deadline (1 s) bounds the retries: attempts are counted, never timed
    attempts = int(re.search(r"\((\d) attempts\)", str(caught.value)).group(1))  # type: ignore[union-attr]
    assert attempts == len(fake.requests) and 1 <= attempts <= 3


def test_one_slow_answer_is_retried(fake: FakeSheetsApi, sid: str) -> None:
    client = sheets_client(timeout=0.3, deadline=5, backoff=0.01)
    fake.slow_next(2)
    assert "Owners" in client.read_workbook(sid).raw
    assert len(fake.requests) == 2


def test_missing_credentials_without_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOSELOOP_SHEETS_ENDPOINT", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(SheetsError, match=r"^no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS"):
        sheets_client()
    with pytest.raises(SourceError, match=r"^no Google credentials"):
        read_source("sheets:abc")


def test_bad_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLOSELOOP_SHEETS_ENDPOINT", raising=False)
    with pytest.raises(SheetsError, match=r"^bad Google credentials: "):
        sheets_client({"type": "service_account", "client_email": SERVICE_EMAIL})
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(SheetsError, match=r"^bad Google credentials: cannot read"):
        sheets_client()
    (tmp_path / "user.json").write_text(json.dumps({"type": "authorized_user"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "user.json"))
    with pytest.raises(SheetsError, match="a service-account key is needed"):
        sheets_client()


def test_cli_validate_prints_one_line(fake: FakeSheetsApi, sid: str) -> None:
    command = [sys.executable, "-m", "infra.cli", "rules", "validate", f"sheets:{sid}"]  # env carries the endpoint
    ok = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    fake.fail_next(403)
    denied = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert (denied.returncode, denied.stdout) == (1, "")
    assert denied.stderr.strip().splitlines() == [
        f"closeloop: the service account cannot open spreadsheet {sid}: share it with "
        "the service account's client_email as Editor"
    ]
