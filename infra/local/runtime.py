"""Lambda's part, in-process: the context object, handler lookup, invocation and its failures.

Every event source of the plumbing (streams, queues, bus rules, schedules) invokes handlers
through this module, so they all get the same context, the same handler cache and, for the
asynchronous sources, the same retries and failure destinations as in AWS.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import template as cfn
from infra.local import aws

Handler = Callable[[dict[str, Any], Any], Any]


def log(message: str) -> None:
    sys.stderr.write(f"closeloop plumbing: {message}\n")
    sys.stderr.flush()


class LogOnce:
    """Say a repeated failure once: a stopped moto server would otherwise fill the terminal."""

    def __init__(self) -> None:
        self._last = ""

    def __call__(self, message: str) -> None:
        if message != self._last:
            self._last = message
            log(message)


def utc_now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ------------------------------------------------------------------ context and handlers


class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function_name: str, memory_limit_in_mb: int, timeout_seconds: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn(function_name)
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_arn(function_name: str) -> str:
    return f"arn:aws:lambda:{aws.REGION}:{aws.ACCOUNT_ID}:function:{function_name}"


def load_handler(dotted: str) -> Handler:
    """The callable named by "package.module.attr", resolved as the Lambda runtime does."""
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {dotted!r} is not of the form module.attribute")
    handler = getattr(importlib.import_module(module_name), attr)
    if not callable(handler):
        raise TypeError(f"handler {dotted!r} is not callable")
    return handler  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Outcome:
    result: Any = None
    error: str | None = None  # "Type: message" when the handler raised (or could not be loaded)
    error_type: str = ""


class Invoker:
    """Invokes handlers with a fresh context each time; a handler module is imported once."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def __call__(self, function: cfn.FunctionSpec, event: Any) -> Outcome:
        context = LambdaContext(function.logical_id, function.memory_size, function.timeout)
        try:
            if function.handler not in self._handlers:
                self._handlers[function.handler] = load_handler(function.handler)
            result = self._handlers[function.handler](event, context)
        except Exception as error:  # the function failed; the event source decides what next
            return Outcome(error=f"{type(error).__name__}: {error}", error_type=type(error).__name__)
        return Outcome(result=result)


# ------------------------------------------------------------------ destinations


class Queues:
    """Sends to the template's queues by name (URLs looked up once)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self._urls: dict[str, str] = {}

    def url(self, name: str) -> str:
        if name not in self._urls:
            self._urls[name] = str(self.sqs.get_queue_url(QueueName=name)["QueueUrl"])
        return self._urls[name]

    def send(self, name: str, body: Any, attributes: dict[str, Any] | None = None) -> bool:
        """True when sent; says why not otherwise (a lost message must never pass silently)."""
        try:
            self.sqs.send_message(QueueUrl=self.url(name), MessageBody=json.dumps(body), **_attrs(attributes))
        except (ClientError, BotoCoreError) as error:
            self._urls.pop(name, None)
            log(f"could not send to queue {name}: {error}")
            return False
        return True


def _attrs(attributes: dict[str, Any] | None) -> dict[str, Any]:
    return {"MessageAttributes": attributes} if attributes else {}


class AsyncInvoker:
    """What Lambda does with an asynchronous invocation (schedules, bus rules): on error, retry
    up to MaximumRetryAttempts (default 2) more times, then send the event to the function's
    OnFailure destination and/or DeadLetterQueue, else log that it is dropped.

    Departure: AWS waits about a minute, then two, between attempts; here retries follow at
    once, so `closeloop pump` never waits minutes for a failing function.
    """

    def __init__(self, template: cfn.Template, invoke: Invoker, queues: Queues) -> None:
        self._queue_names = {q.logical_id: q.name for q in cfn.queues(template)}
        self._invoke = invoke
        self._queues = queues

    def __call__(self, function: cfn.FunctionSpec, event: Any, source: str) -> Outcome:
        attempts = function.async_max_retries + 1
        for attempt in range(1, attempts + 1):
            outcome = self._invoke(function, event)
            if outcome.error is None:
                return outcome
            log(
                f"{function.logical_id} ({function.handler}) failed on {source}, attempt {attempt}/{attempts}: "
                f"{outcome.error}"
            )
        self._give_up(function, event, outcome, attempts)
        return outcome

    def _give_up(self, function: cfn.FunctionSpec, event: Any, outcome: Outcome, attempts: int) -> None:
        sent = []
        if function.async_on_failure_queue:
            name = self._queue_names[function.async_on_failure_queue]
            if self._queues.send(name, on_failure_record(function, event, outcome, attempts)):
                sent.append(name)
        if function.dead_letter_queue:
            name = self._queue_names[function.dead_letter_queue]
            if self._queues.send(name, event, dead_letter_attributes(outcome)):
                sent.append(name)
        where = f"sent the event to {', '.join(sent)}" if sent else "dropped the event (no OnFailure or DLQ)"
        log(f"{function.logical_id}: retries ran out, {where}")


def on_failure_record(function: cfn.FunctionSpec, event: Any, outcome: Outcome, attempts: int) -> dict[str, Any]:
    """The invocation record Lambda sends to an asynchronous OnFailure destination."""
    return {
        "version": "1.0",
        "timestamp": utc_now_text(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn(function.logical_id)}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": outcome.error, "errorType": outcome.error_type},
    }


def dead_letter_attributes(outcome: Outcome) -> dict[str, Any]:
    """The message attributes Lambda puts on an event it sends to a function's DeadLetterQueue."""
    return {
        "RequestID": {"DataType": "String", "StringValue": str(uuid.uuid4())},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": (outcome.error or "")[:1024]},
    }
