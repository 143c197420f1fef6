"""Structured logs (Powertools Logger, JSON). Built on first use to keep cold imports short.

Never log raw emails, phones or names: log ids, sources, grades and rule versions.

JSON lines and embedded-metric blobs are for CloudWatch. A person watching ``closeloop dev``
gets one human line per log record instead and no metric blobs: the dev command sets
``CLOSELOOP_CONSOLE=pretty``; anywhere else (Lambda, tests) logs stay JSON.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

CONSOLE_ENV = "CLOSELOOP_CONSOLE"
SERVICE = "closeloop"
OUTBOX_SERVICE = "closeloop-outbox"  # functions/outbox_publisher's Logger
DELIVERIES_SERVICE = "closeloop-deliveries"  # functions/deliveries' Logger
# Lambda and Powertools bookkeeping: in a console line they are noise
_QUIET_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
        "sampling_rate",
        "exception",
        "exception_name",
        "exception_notes",
        "stack_trace",
    }
)


def pretty() -> bool:
    """True in the `closeloop dev` console (CLOSELOOP_CONSOLE=pretty)."""
    return os.environ.get(CONSOLE_ENV, "").strip().lower() == "pretty"


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is logged, not when the logger was made."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


@cache
def logger() -> Any:
    from aws_lambda_powertools import Logger

    # stderr: in Lambda both streams reach CloudWatch; in the CLI, stdout stays the command's output
    if pretty():
        return Logger(service=SERVICE, logger_handler=_CurrentStderr(), logger_formatter=console_formatter())
    return Logger(service=SERVICE, logger_handler=_CurrentStderr())


def console_formatter() -> Any:
    """A Powertools formatter that renders each record as one line: time, message, key=value."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class ConsoleFormatter(LambdaPowertoolsFormatter):  # type: ignore[misc]
        def serialize(self, log: Any) -> str:
            return console_line(dict(log))

    return ConsoleFormatter()


def console_line(log: dict[str, Any]) -> str:
    """``08:00:01  lead captured  source=website status=created grade=sql …`` (+ the traceback)."""
    level = str(log.get("level", "INFO"))
    fields = " ".join(f"{k}={v}" for k, v in log.items() if k not in _QUIET_KEYS and v not in (None, ""))
    head = f"{datetime.now(UTC):%H:%M:%S}  {'' if level == 'INFO' else level + ' '}{log.get('message', '')}"
    line = f"{head}  {fields}" if fields else head
    trace = log.get("stack_trace") or log.get("exception")
    if level not in ("INFO", "DEBUG") and trace:
        line += "\n" + (trace if isinstance(trace, str) else str(trace))
    return line


class _NotInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


def use_console() -> None:
    """The dev console: this process's Powertools loggers print one line per record.

    Loggers of one service share their handler once configured (Powertools' documented reuse
    across modules), so configuring them here, before the handlers' modules are imported, gives
    them the console formatter. The outbox publisher's per-event info line is left out: the dev
    console prints each event as it reaches the bus, with its subject.
    """
    from aws_lambda_powertools import Logger

    os.environ[CONSOLE_ENV] = "pretty"
    logger.cache_clear()
    logger()
    outbox = _CurrentStderr()
    outbox.addFilter(_NotInfo())
    Logger(service=OUTBOX_SERVICE, logger_handler=outbox, logger_formatter=console_formatter())
    Logger(service=DELIVERIES_SERVICE, logger_handler=_CurrentStderr(), logger_formatter=console_formatter())


def log_decision(event: str, *, request_id: str | None, **fields: Any) -> None:
    log = logger()
    if request_id:
        log.set_correlation_id(request_id)
    log.info(event, extra={k: v for k, v in fields.items() if v is not None})


def count(metric: str, value: int = 1, /, **dimensions: str | None) -> None:
    """One CloudWatch metric (embedded metric format, printed with the logs): e.g. leads captured
    per source and outcome. Low-cardinality dimensions only — never ids or people. Not in the
    dev console: a metric blob means nothing to a person there (the log line says the same)."""
    if pretty():
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=metric, unit=MetricUnit.Count, value=value, namespace="Closeloop") as emitted:
        for name, dimension in dimensions.items():
            if dimension:
                emitted.add_dimension(name=name, value=str(dimension))
