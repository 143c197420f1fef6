"""The `closeloop dev` console: one line per API request and one per event on the bus.

Logs of the functions themselves come as one line each too (shared/adapters/observability.py in
``CLOSELOOP_CONSOLE=pretty`` mode); Lambda's JSON logs and CloudWatch metric blobs are for AWS.
Events are watched the way any downstream system sees them: a rule on the stack's bus (``closeloop-dev``)
sending everything to a queue of the console's own, so a line means the event is on the bus.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

WATCH_NAME = "closeloop-dev-console"  # the bus rule and the queue the console reads
POLL_SECONDS = 0.5


class Console:
    """Lines to a terminal, whole and in order, from any thread."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(f"{datetime.now(UTC):%H:%M:%S}  {text}\n")
            stream.flush()

    def request(self, method: str, path: str, status: int, ms: float) -> None:
        self.line(f"{method:<7} {path}  → {status}  {ms:.0f} ms")

    def event(self, envelope: dict[str, Any]) -> None:
        self.line(f"event   {envelope.get('type', '?'):<22} {envelope.get('subject', '?')}")


class BusWatcher:
    """Tells the console each event that reaches the bus (rule → queue → poll, in the embedded AWS)."""

    def __init__(self, endpoint_url: str, console: Console, bus: str | None = None) -> None:
        import boto3

        from shared.adapters.settings import Settings

        kwargs = {
            "endpoint_url": endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }
        self._sqs = boto3.client("sqs", **kwargs)
        self._events = boto3.client("events", **kwargs)
        self._bus = bus or Settings().event_bus  # the local stack's (its Stage default)
        self._console = console
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._url = ""

    def start(self) -> BusWatcher:
        self._url = self._sqs.create_queue(QueueName=WATCH_NAME)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = json.dumps({"source": ["closeloop"]})
        self._events.put_rule(Name=WATCH_NAME, EventBusName=self._bus, EventPattern=pattern)
        self._events.put_targets(Rule=WATCH_NAME, EventBusName=self._bus, Targets=[{"Id": "console", "Arn": arn}])
        self._thread = threading.Thread(target=self._run, name="closeloop-console", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        # no long polling: the embedded AWS serves one request at a time, and a waiting receive
        # would hold up every other client for its whole wait
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception as exc:  # the console must never take the stack down
                if self._stop.is_set():
                    return
                self._console.line(f"console: could not read the bus ({type(exc).__name__}: {exc})")

    def poll(self) -> int:
        """Tell every event waiting in the console's queue; returns how many."""
        told = 0
        while messages := self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                detail = json.loads(message["Body"]).get("detail") or {}
                self._console.event(detail)
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
                told += 1
        return told

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
