"""What Lambda's triggers do in AWS, done in-process for the local stack.

One daemon thread plays every event source template.yaml declares, pass after pass:
DynamoDB streams (infra.local.streams), SQS queues (infra.local.queues), EventBridge rules
(infra.local.bus) and, when on, schedules (infra.local.scheduler). A function added to the
template with one of these events runs locally with no new wiring. `drain()` (and, from a
second terminal, `closeloop pump` through infra.local.control) waits until all of it is idle.

Handlers run in this process, so its environment must already point at the embedded AWS
(os.environ.update(aws_env(endpoint_url)) before start()).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra import template as cfn
from infra.local import aws
from infra.local.bus import BusPoller
from infra.local.control import ControlInbox, DrainRequest
from infra.local.queues import QueuePoller
from infra.local.runtime import AsyncInvoker, Invoker, LambdaContext, LogOnce, Queues, load_handler
from infra.local.scheduler import Clock, SchedulePoller
from infra.local.streams import (
    StreamMapping,
    StreamPoller,
    first_failed_index,
    lambda_record,
    on_failure_message,
    stream_mappings,
)

__all__ = [
    "LambdaContext",
    "Plumbing",
    "StreamMapping",
    "first_failed_index",
    "lambda_record",
    "load_handler",
    "on_failure_message",
    "stream_mappings",
]

POLL_INTERVAL = 0.1
Poll = Callable[[], tuple[bool, bool]]  # one pass of one source: (found work, moved on)


class Plumbing:
    """Plays every trigger of the template continuously; schedules only when asked to."""

    def __init__(
        self,
        template: cfn.Template,
        endpoint_url: str,
        *,
        poll_interval: float = POLL_INTERVAL,
        schedules: bool = False,
        clock: Clock = time.time,
    ) -> None:
        config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=30)
        services = ("dynamodb", "dynamodbstreams", "sqs", "events")
        clients = {service: aws.client(service, endpoint_url, config=config) for service in services}
        invoke, queues = Invoker(), Queues(clients["sqs"])
        run_async = AsyncInvoker(template, invoke, queues)
        self.streams = StreamPoller(template, clients, invoke, queues)
        self.queues = QueuePoller(template, clients["sqs"], invoke)
        self.bus = BusPoller(template, clients, run_async)
        self.schedules = SchedulePoller(template, run_async, clock) if schedules else None
        self.mappings = self.streams.mappings
        self._inbox = ControlInbox(clients["sqs"])
        self._requests: list[DrainRequest] = []
        self._poll_interval = poll_interval
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._state = threading.Condition()
        self._sweeps_started = 0
        self._quiet_sweep = -1  # number of the last sweep that found nothing to do
        self._busy = True  # the current sweep found work (not idle until a quiet sweep ends)
        self._discovery_requested = False  # drain() wants shards listed again before it trusts a sweep
        self._log_once = LogOnce()

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if self.schedules is not None:
            self.schedules.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="closeloop-plumbing", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def idle(self) -> bool:
        """Nothing waiting and nothing in flight, as of the last complete pass."""
        with self._state:
            return not self._busy and self._quiet_sweep >= 0

    def drain(self, timeout: float) -> bool:
        """Wait until every stream record, due queue message, bus event and due schedule that
        existed before this call has been handled (or given up on)."""
        if self._thread is None or not self._thread.is_alive():
            return False
        with self._state:
            called_at = self._sweeps_started
        self._discovery_requested = True  # a table recreated just now must not wait a second
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._state:
            # Only a sweep that started after this call can vouch for what was written before it.
            while self._quiet_sweep <= called_at:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._state.wait(min(remaining, self._poll_interval))
        return True

    # -------------------------------------------------------------- loop

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._state:
                self._sweeps_started += 1
                number = self._sweeps_started
            worked, progressed = self._sweep(number)
            with self._state:
                self._busy = worked
                if not worked:
                    self._quiet_sweep = number
                self._state.notify_all()
            self._answer(number, quiet=not worked)
            # A backlog is read back to back, as Lambda does; failures and quiet sources wait.
            if not progressed:
                self._wake.wait(self._poll_interval)
            self._wake.clear()

    def _sweep(self, number: int) -> tuple[bool, bool]:
        """One pass over every source: (any found work, any moved on)."""
        rediscover = self._take_requests(number) or self._discovery_requested
        self._discovery_requested = False
        worked = progressed = False
        for name, poll in self._sources(rediscover):
            try:
                found, moved = poll()
            except Exception as error:  # never let the thread die; say why and carry on
                found, moved = True, False
                self._log_once(f"{name}: poll failed: {error!r}")
            if found:
                with self._state:
                    self._busy = True
            worked, progressed = worked or found, progressed or moved
        return worked, progressed

    def _sources(self, rediscover: bool) -> list[tuple[str, Poll]]:
        sources: list[tuple[str, Poll]] = [
            ("streams", lambda: self.streams.poll(rediscover=rediscover)),
            ("queues", self.queues.poll),
            ("bus", self.bus.poll),
        ]
        if self.schedules is not None:
            sources.insert(0, ("schedules", self.schedules.poll))
        return sources

    # -------------------------------------------------------------- drain requests from other processes

    def _take_requests(self, number: int) -> bool:
        try:
            new = self._inbox.receive(number)
        except (ClientError, BotoCoreError, ValueError, KeyError) as error:
            self._log_once(f"cannot read drain requests: {error!r}")
            return False
        self._requests.extend(new)
        return bool(new)

    def _answer(self, number: int, *, quiet: bool) -> None:
        for request in list(self._requests):
            if quiet and number > request.sweep:
                self._inbox.answer(request, idle=True)
            elif time.monotonic() > request.deadline:
                self._inbox.answer(request, idle=False)
            else:
                continue
            self._requests.remove(request)
