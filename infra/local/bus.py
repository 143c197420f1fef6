"""EventBridge rules that target functions, played locally.

In AWS a rule on the bus invokes its function asynchronously with the matched event. Here,
at start, the poller creates each rule of template.yaml in the embedded EventBridge with the
template's pattern, and, standing in for the Lambda target, an internal SQS queue (moto
delivers matched events to SQS targets but cannot invoke a function). It then reads those
queues and invokes the handler with the event, with Lambda's asynchronous semantics (retries,
OnFailure, DeadLetterQueue: infra.local.runtime.AsyncInvoker). Pattern matching is moto's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from infra import event_sources as triggers
from infra import template as cfn
from infra.local import aws
from infra.local.runtime import AsyncInvoker, LogOnce

QUEUE_PREFIX = "closeloop-local-rule-"
TARGET_ID = "closeloop-local-function"
# The whole event as EventBridge built it. Without a transformer moto applies its default
# input template, which drops "account"; "<aws.events.event.json>" is valid in AWS as well.
WHOLE_EVENT = {"InputTemplate": "<aws.events.event.json>"}
VISIBILITY_TIMEOUT = "900"  # Lambda's longest timeout: an event in hand is never handed out twice


def rule_queue_name(rule: triggers.RuleSpec) -> str:
    """The internal queue standing in for the rule's function target (SQS names: 80 chars)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", f"{rule.name}-{rule.function.logical_id}")
    return f"{QUEUE_PREFIX}{name}"[:80]


def delivered_event(rule: triggers.RuleSpec, event: dict[str, Any]) -> Any:
    """What the function receives: the event, or the target's Input / InputPath of it."""
    event.pop("ingestion-time", None)  # moto's bookkeeping; not part of an EventBridge event
    if rule.input is not None:
        return json.loads(rule.input)
    if rule.input_path:
        return json_path(event, rule.input_path)
    return event


def json_path(document: Any, path: str) -> Any:
    """The simple JSONPaths InputPath takes in practice: "$", "$.detail", "$.detail.order.id"."""
    if path == "$":
        return document
    if not re.fullmatch(r"\$(\.[A-Za-z0-9_-]+)+", path):
        raise ValueError(f"InputPath {path!r}: only $.a.b paths are played locally")
    for key in path.split(".")[1:]:
        document = document.get(key) if isinstance(document, dict) else None
    return document


class BusPoller:
    """Creates the template's rules in the embedded EventBridge, then delivers what they match."""

    def __init__(self, template: cfn.Template, clients: dict[str, Any], run_async: AsyncInvoker) -> None:
        self.rules = triggers.bus_rules(template)
        self.queue_rules = triggers.queue_rules(template)
        self._queue_names = {q.logical_id: q.name for q in cfn.queues(template)}
        self._events, self._sqs = clients["events"], clients["sqs"]
        self._run_async = run_async
        self._urls: dict[str, str] = {}
        self._ready = False
        self._log_once = LogOnce()

    def poll(self) -> tuple[bool, bool]:
        """(events were received, some were delivered)."""
        if not self._ready:
            self._ready = self._set_up()
            if not self._ready:
                return True, False  # not idle: a rule could not be created yet (no bus?)
        worked = False
        for rule in self.rules:
            if rule.enabled:
                worked |= self._deliver(rule)
        return worked, worked

    def _set_up(self) -> bool:
        try:
            for rule in self.rules:
                if rule_queue_name(rule) not in self._urls:
                    self._urls[rule_queue_name(rule)] = self._create(rule)
            for queue_rule in self.queue_rules:
                self._create_queue_rule(queue_rule)
        except (ClientError, BotoCoreError) as error:
            self._log_once(f"cannot create the template's EventBridge rules: {error}")
            return False
        return True

    def _create(self, rule: triggers.RuleSpec) -> str:
        queue = rule_queue_name(rule)
        created = self._sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": VISIBILITY_TIMEOUT})
        self._events.put_rule(
            Name=rule.name,
            EventBusName=rule.bus_name,
            EventPattern=json.dumps(rule.pattern),
            State="ENABLED" if rule.enabled else "DISABLED",
            Description=f"local stand-in target: queue {queue} -> {rule.function.logical_id}",
        )
        if rule.enabled:  # moto matches disabled rules too: a disabled one gets no target
            target = {"Id": TARGET_ID, "Arn": aws.queue_arn(queue), "InputTransformer": WHOLE_EVENT}
            self._events.put_targets(Rule=rule.name, EventBusName=rule.bus_name, Targets=[target])
        return str(created["QueueUrl"])

    def _create_queue_rule(self, rule: triggers.QueueRuleSpec) -> None:
        """A rule targeting a template queue: moto delivers to it as EventBridge does (the whole
        event as the message body); the queue's SQS event source is played by the queue poller."""
        queue = self._queue_names[rule.queue]
        self._events.put_rule(
            Name=rule.name,
            EventBusName=rule.bus_name,
            EventPattern=json.dumps(rule.pattern),
            State="ENABLED" if rule.enabled else "DISABLED",
        )
        if rule.enabled:
            target = {"Id": f"{rule.queue}-target", "Arn": aws.queue_arn(queue), "InputTransformer": WHOLE_EVENT}
            self._events.put_targets(Rule=rule.name, EventBusName=rule.bus_name, Targets=[target])

    def _deliver(self, rule: triggers.RuleSpec) -> bool:
        url = self._urls[rule_queue_name(rule)]
        try:
            # WaitTimeSeconds=0: the embedded server is one request at a time; never long-poll it.
            messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        except (ClientError, BotoCoreError) as error:
            self._urls.pop(rule_queue_name(rule), None)
            self._ready = False  # create it again on the next poll (moto restarted?)
            self._log_once(f"rule {rule.name}: cannot read its queue: {error}")
            return True
        for message in messages.get("Messages", []):
            event = delivered_event(rule, json.loads(message["Body"]))
            self._run_async(rule.function, event, f"rule {rule.name}")
            self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages.get("Messages"))
