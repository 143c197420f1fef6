"""Structured logs (Powertools Logger, JSON). Built on first use to keep cold imports short.

Never log raw emails, phones or names: log ids, sources, grades and rule versions.
"""

from __future__ import annotations

import logging
import sys
from functools import cache
from typing import Any


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
    return Logger(service="closeloop", logger_handler=_CurrentStderr())


def log_decision(event: str, *, request_id: str | None, **fields: Any) -> None:
    log = logger()
    if request_id:
        log.set_correlation_id(request_id)
    log.info(event, extra={k: v for k, v in fields.items() if v is not None})


def count(metric: str, **dimensions: str | None) -> None:
    """One CloudWatch metric (embedded metric format, printed with the logs): e.g. leads captured
    per source and outcome. Low-cardinality dimensions only — never ids or people."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=metric, unit=MetricUnit.Count, value=1, namespace="Closeloop") as emitted:
        for name, value in dimensions.items():
            if value:
                emitted.add_dimension(name=name, value=str(value))
