"""SQS event-source mappings, played locally.

For every `Type: SQS` event in template.yaml, the poller receives from the queue in the
embedded AWS and invokes the handler with Lambda's SQS event; succeeded messages are deleted,
failed ones (an exception fails the whole batch, else batchItemFailures) stay in the queue,
become visible again after the queue's VisibilityTimeout and, after RedrivePolicy
maxReceiveCount receives, move to the dead-letter queue. moto 5.2.5 implements the last part
on receive (moto/sqs/models.py, receive_message), so the poller relies on it, as Lambda
relies on SQS. DelaySeconds is moto's as well.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import event_sources as triggers
from infra import template as cfn
from infra.local import aws
from infra.local.runtime import Invoker, LogOnce, log

MAX_RECEIVE = 10  # SQS hands out at most 10 messages per ReceiveMessage


@dataclass(frozen=True)
class QueueMapping:
    """One SQS event of one function."""

    function: cfn.FunctionSpec
    queue_name: str
    batch_size: int
    report_item_failures: bool
    filters: list[dict[str, Any]] = field(default_factory=list)  # FilterCriteria patterns
    enabled: bool = True

    @property
    def id(self) -> str:
        return f"{self.function.logical_id}<-{self.queue_name}"


def queue_mappings(template: cfn.Template) -> list[QueueMapping]:
    queue_names = {q.logical_id: q.name for q in cfn.queues(template)}
    mappings = []
    for source, queue_id in triggers.queue_consumers(template):
        props = source.properties
        filters = ((props.get("FilterCriteria") or {}).get("Filters")) or []
        mappings.append(
            QueueMapping(
                function=source.function,
                queue_name=queue_names[queue_id],
                batch_size=int(props.get("BatchSize", 10)),
                report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                filters=[cfn.json_object(f.get("Pattern"), f"{source.name}: filter Pattern") for f in filters],
                enabled=props.get("Enabled", True) is not False,
            )
        )
    return mappings


# ------------------------------------------------------------------ record shape


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A ReceiveMessage message as Lambda hands it to a function."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {k: _attribute(v) for k, v in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": aws.REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    # Lambda spells message attributes in camelCase, binary values base64 as on the wire.
    shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        shaped["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return shaped


def failed_message_ids(result: Any, records: list[dict[str, Any]]) -> set[str]:
    """The messages a ReportBatchItemFailures response asks to keep; as in AWS, a malformed
    response or an unknown identifier fails the whole batch."""
    every = {r["messageId"] for r in records}
    if result is None or (isinstance(result, dict) and not result.get("batchItemFailures")):
        return set()
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not isinstance(failures, list):
        return every
    ids = {str(f.get("itemIdentifier")) if isinstance(f, dict) else "" for f in failures}
    return ids if ids <= every else every


def passes_filters(mapping: QueueMapping, record: dict[str, Any]) -> bool:
    """FilterCriteria as Lambda applies them: the body is matched as JSON when it is JSON."""
    if not mapping.filters:
        return True
    # moto's EventBridge pattern matcher implements the same pattern language Lambda filters use.
    from moto.events.models import EventPattern

    try:
        candidate = {**record, "body": json.loads(record["body"])}
    except ValueError:
        candidate = record
    return any(EventPattern.load(json.dumps(f)).matches_event(candidate) for f in mapping.filters)  # type: ignore[arg-type]


# ------------------------------------------------------------------ poller


class QueuePoller:
    """Receives from every consumed queue and delivers the messages, one pass per poll()."""

    def __init__(self, template: cfn.Template, sqs: Any, invoke: Invoker) -> None:
        self.mappings = [m for m in queue_mappings(template) if m.enabled]
        self._queues = {q.name: q for q in cfn.queues(template)}
        self._sqs = sqs
        self._invoke = invoke
        self._urls: dict[str, str] = {}
        self._log_once = LogOnce()
        self._ready = False

    def poll(self) -> tuple[bool, bool]:
        """(messages were received, some were done with)."""
        if not self._ready:
            self._ready = self._set_up()
        worked = progressed = False
        for mapping in self.mappings:
            try:
                messages = self._receive(mapping)
            except (ClientError, BotoCoreError) as error:
                self._urls.pop(mapping.queue_name, None)
                self._log_once(f"{mapping.id}: cannot receive: {error}")
                worked = True  # not idle: the queue could not be looked at
                continue
            if messages:
                worked = True
                progressed |= self._deliver(mapping, messages)
        return worked, progressed

    def _set_up(self) -> bool:
        """Give the template's queues their RedrivePolicy (its target ARN exists only now)."""
        try:
            for mapping in self.mappings:
                self._warn_on_visibility(mapping)
            for spec in self._queues.values():
                if spec.dead_letter_queue is not None:
                    self._set_redrive(spec)
        except (ClientError, BotoCoreError) as error:
            self._log_once(f"cannot set up the queues: {error}")
            return False
        return True

    def _set_redrive(self, spec: cfn.QueueSpec) -> None:
        names = {q.logical_id: q.name for q in self._queues.values()}
        if spec.dead_letter_queue not in names:
            raise ValueError(f"{spec.logical_id}: RedrivePolicy names {spec.dead_letter_queue}, not a queue")
        dead_letter = names[spec.dead_letter_queue]
        policy = {"deadLetterTargetArn": aws.queue_arn(dead_letter), "maxReceiveCount": spec.max_receive_count}
        self._sqs.set_queue_attributes(QueueUrl=self._url(spec.name), Attributes={"RedrivePolicy": json.dumps(policy)})

    def _warn_on_visibility(self, mapping: QueueMapping) -> None:
        spec = self._queues.get(mapping.queue_name)
        visibility = int((spec.attributes if spec else {}).get("VisibilityTimeout", 30))
        if visibility < mapping.function.timeout:
            log(
                f"{mapping.id}: the queue's VisibilityTimeout ({visibility} s) is shorter than the function's "
                f"Timeout ({mapping.function.timeout} s); AWS refuses such a mapping"
            )

    def _url(self, queue_name: str) -> str:
        if queue_name not in self._urls:
            self._urls[queue_name] = str(self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"])
        return self._urls[queue_name]

    def _receive(self, mapping: QueueMapping) -> list[dict[str, Any]]:
        messages: dict[str, dict[str, Any]] = {}
        while len(messages) < mapping.batch_size:
            wanted = min(MAX_RECEIVE, mapping.batch_size - len(messages))
            response = self._sqs.receive_message(
                QueueUrl=self._url(mapping.queue_name),
                MaxNumberOfMessages=wanted,
                # Never long-poll: the embedded server handles one request at a time, so a
                # waiting receive (a queue's ReceiveMessageWaitTimeSeconds) would stall all AWS.
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            fresh = [m for m in received if m["MessageId"] not in messages]
            messages.update((m["MessageId"], m) for m in fresh)
            # Fewer than asked: the queue has no more visible now. A message seen again (a
            # VisibilityTimeout of 0) means the same.
            if len(received) < wanted or len(fresh) < len(received):
                break
        return list(messages.values())

    def _deliver(self, mapping: QueueMapping, messages: list[dict[str, Any]]) -> bool:
        """Invoke with one batch; delete what succeeded or was filtered out. True if any was."""
        records = [sqs_record(m, aws.queue_arn(mapping.queue_name)) for m in messages]
        kept = [r for r in records if passes_filters(mapping, r)]
        filtered_out = [r for r in records if r not in kept]  # Lambda deletes these unseen
        failed: set[str] = set()
        if kept:
            outcome = self._invoke(mapping.function, {"Records": kept})
            if outcome.error is not None:
                failed = {r["messageId"] for r in kept}
            elif mapping.report_item_failures:
                failed = failed_message_ids(outcome.result, kept)
            if failed:
                reason = outcome.error or "batchItemFailures"
                log(
                    f"{mapping.function.logical_id} ({mapping.function.handler}) failed on {len(failed)} of "
                    f"{len(kept)} message(s) from {mapping.queue_name}; they return after the visibility "
                    f"timeout: {reason}"
                )
        done = filtered_out + [r for r in kept if r["messageId"] not in failed]
        self._delete(mapping, done)
        return bool(done)

    def _delete(self, mapping: QueueMapping, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), MAX_RECEIVE):
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                for i, r in enumerate(records[start : start + MAX_RECEIVE])
            ]
            response = self._sqs.delete_message_batch(QueueUrl=self._url(mapping.queue_name), Entries=entries)
            for failure in response.get("Failed", []):
                log(f"{mapping.id}: could not delete a handled message: {failure.get('Message')}")
