"""The dev console's logs (CLOSELOOP_CONSOLE=pretty): one human line per record, no metric blobs.
JSON stays the default (tests/integration/api/test_observability.py)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters import observability

ROOT = Path(__file__).resolve().parents[3]


def test_a_record_is_one_line_without_lambda_bookkeeping() -> None:
    line = observability.console_line(
        {
            "level": "INFO",
            "message": "lead captured",
            "timestamp": "2026-11-22 08:00:00,000+0000",
            "service": "closeloop",
            "cold_start": True,
            "function_arn": "arn:aws:lambda:…",
            "correlation_id": "req-1",
            "source": "website",
            "grade": "sql",
            "team": None,
        }
    )
    assert "\n" not in line and not line.startswith("{")
    assert line.endswith("lead captured  source=website grade=sql")
    warning = observability.console_line({"level": "WARNING", "message": "odd item", "keys": ["a"]})
    assert "WARNING odd item  keys=['a']" in warning


def test_the_console_formatter_on_a_powertools_logger() -> None:
    from aws_lambda_powertools import Logger

    stream = io.StringIO()
    log = Logger(
        service="closeloop-console-test",
        logger_handler=logging.StreamHandler(stream),
        logger_formatter=observability.console_formatter(),
    )
    log.append_keys(correlation_id="req-1")
    log.info("lead captured", extra={"lead_id": "ld_x", "grade": "mql"})
    [line] = stream.getvalue().splitlines()
    assert line.endswith("lead captured  lead_id=ld_x grade=mql")


def test_no_metric_blobs_in_the_console(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(observability.CONSOLE_ENV, "pretty")
    observability.count("LeadsCaptured", source="website")
    out = capsys.readouterr()
    assert out.out + out.err == ""


def test_the_dev_console_formats_every_functions_logger() -> None:
    """In a fresh process, as `closeloop dev`: use_console() first, then the handlers' modules load."""
    script = """
from shared.adapters.observability import log_decision, use_console
use_console()
from functions.outbox_publisher.handler import logger as outbox
from functions.deliveries.handler import logger as deliveries
outbox.info("event published", extra={"event_id": "evt_1", "type": "LeadCaptured"})
deliveries.info("delivery", extra={"delivery_id": "dl_1", "outcome": "delivered"})
outbox.warning("skipped an event item that is not a whole event", extra={"keys": ["event_id"]})
log_decision("lead captured", request_id="req-1", source="website", grade="sql")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) == 3 and not any(line.startswith("{") for line in lines), lines
    assert lines[0].endswith("delivery  delivery_id=dl_1 outcome=delivered")
    assert "WARNING skipped an event item that is not a whole event  keys=['event_id']" in lines[1]
    assert lines[2].endswith("lead captured  source=website grade=sql")  # the bus watcher tells events
