"""How a second terminal asks the running plumbing whether it is idle.

The plumbing lives in the `closeloop dev` process; `closeloop pump` and `closeloop schedule
run` run in another. Only the plumbing knows its stream checkpoints, so the CLI sends a drain
request over an internal queue of the embedded AWS (both processes reach it already: no new
port) and the plumbing answers on a reply queue once a full quiet pass has followed it.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra.local import aws

CONTROL_QUEUE = "closeloop-local-plumbing"
REPLY_PREFIX = "closeloop-local-reply-"
ANSWER_POLL = 0.1


@dataclass(frozen=True)
class DrainRequest:
    reply_to: str
    sweep: int  # only a quiet pass that starts after this one may answer "idle"
    deadline: float  # time.monotonic() after which the answer is "not idle"


class ControlInbox:
    """The plumbing's end: receives drain requests and answers them."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self._url: str | None = None

    def receive(self, sweep: int) -> list[DrainRequest]:
        if self._url is None:
            self._url = str(self._sqs.create_queue(QueueName=CONTROL_QUEUE)["QueueUrl"])
        # WaitTimeSeconds=0: the embedded server is one request at a time; never long-poll it.
        response = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        requests = []
        for message in response.get("Messages", []):
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"]).get("drain") or {}
            deadline = time.monotonic() + float(body.get("timeout", 60))
            requests.append(DrainRequest(str(body["reply_to"]), sweep, deadline))
        return requests

    def answer(self, request: DrainRequest, idle: bool) -> None:
        with contextlib.suppress(ClientError, BotoCoreError):  # the asker gave up, its queue is gone
            self._sqs.send_message(QueueUrl=request.reply_to, MessageBody=json.dumps({"idle": idle}))


def request_drain(endpoint_url: str, timeout: float) -> bool | None:
    """Ask the plumbing behind endpoint_url to drain: True idle, False still busy after
    timeout, None when no plumbing runs there (nothing to wait for)."""
    sqs = aws.client("sqs", endpoint_url)
    try:
        control = sqs.get_queue_url(QueueName=CONTROL_QUEUE)["QueueUrl"]
    except ClientError:
        return None
    reply = sqs.create_queue(QueueName=f"{REPLY_PREFIX}{uuid.uuid4().hex}")["QueueUrl"]
    try:
        request = {"drain": {"timeout": timeout, "reply_to": reply}}
        sqs.send_message(QueueUrl=control, MessageBody=json.dumps(request))
        deadline = time.monotonic() + timeout + 5  # the plumbing answers "busy" at timeout
        while time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=reply, WaitTimeSeconds=0).get("Messages", [])
            if messages:
                return bool(json.loads(messages[0]["Body"]).get("idle"))
            time.sleep(ANSWER_POLL)
        return False
    finally:
        sqs.delete_queue(QueueUrl=reply)
