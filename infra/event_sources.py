"""Read the triggers of template.yaml's functions: SQS queues, EventBridge rules, schedules.

Pure, like infra.template (which reads the resources): the local plumbing plays exactly what
these return, so a function added to the template with one of these events runs locally.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.template import (
    FunctionSpec,
    Template,
    event_buses,
    functions,
    getatt_target,
    json_object,
    resolve_parameters,
    resources_of_type,
)


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource.get("Properties") or {})


@dataclass(frozen=True)
class EventSource:
    """One entry of a function's Events: what SAM turns into a trigger of that function."""

    function: FunctionSpec
    name: str  # its key under Events
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule whose target is a function: events matching pattern invoke it."""

    name: str
    bus_name: str
    pattern: dict[str, Any]
    function: FunctionSpec
    input: str | None = None  # constant JSON that replaces the event (target Input)
    input_path: str | None = None  # JSONPath of the part of the event delivered (target InputPath)
    enabled: bool = True


@dataclass(frozen=True)
class QueueRuleSpec:
    """An EventBridge rule whose target is a queue of the template (the queue's consumer, an SQS
    event source, takes it from there in batches)."""

    name: str
    bus_name: str
    pattern: dict[str, Any]
    queue: str  # the queue's logical id
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule that invokes a function: rate(...), cron(...) or, for ScheduleV2, at(...)."""

    name: str
    expression: str
    function: FunctionSpec
    input: str | None = None  # constant JSON that replaces the scheduled event
    enabled: bool = True
    scheduler: bool = False  # EventBridge Scheduler (ScheduleV2) rather than an EventBridge rule
    timezone: str = "UTC"  # ScheduleExpressionTimezone (ScheduleV2 only)


def event_sources(template: Template, *types: str) -> list[EventSource]:
    """Every function event of the given types, in template order."""
    specs = {spec.logical_id: spec for spec in functions(template)}
    sources = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        for name, event in (_props(resource).get("Events") or {}).items():
            if isinstance(event, dict) and event.get("Type") in types:
                properties = dict(event.get("Properties") or {})
                sources.append(EventSource(specs[logical_id], str(name), str(event["Type"]), properties))
    return sources


def queue_consumers(template: Template) -> list[tuple[EventSource, str]]:
    """(SQS event, queue logical id) for every SQS event source."""
    consumers = []
    for source in event_sources(template, "SQS"):
        queue_id = getatt_target(source.properties.get("Queue"), "Arn")
        if queue_id is None:
            where = f"{source.function.logical_id}.{source.name}"
            raise ValueError(f"{where}: SQS event Queue must be !GetAtt <Queue>.Arn")
        consumers.append((source, queue_id))
    return consumers


def bus_rules(template: Template) -> list[RuleSpec]:
    """Every EventBridge pattern rule targeting a function: SAM EventBridgeRule/CloudWatchEvent
    events and AWS::Events::Rule resources with an EventPattern."""
    rules = []
    for source in event_sources(template, "EventBridgeRule", "CloudWatchEvent"):
        p, where = source.properties, f"{source.function.logical_id}.{source.name}"
        rules.append(
            RuleSpec(
                name=_named(template, p.get("RuleName"), f"{source.function.logical_id}-{source.name}", where),
                bus_name=_bus_name(template, p.get("EventBusName"), where),
                pattern=json_object(p.get("Pattern"), f"{where}: Pattern"),
                function=source.function,
                input=_input_text(p.get("Input")),
                input_path=p.get("InputPath"),
                enabled=_enabled(p),
            )
        )
    for logical_id, p, function, target in _rule_targets(template):
        if "EventPattern" in p:
            rules.append(
                RuleSpec(
                    name=_named(template, p.get("Name"), logical_id, logical_id),
                    bus_name=_bus_name(template, p.get("EventBusName"), logical_id),
                    pattern=json_object(p["EventPattern"], f"{logical_id}: EventPattern"),
                    function=function,
                    input=_input_text(target.get("Input")),
                    input_path=target.get("InputPath"),
                    enabled=_enabled(p),
                )
            )
    return rules


def queue_rules(template: Template) -> list[QueueRuleSpec]:
    """Every AWS::Events::Rule with an EventPattern whose target is a queue of the template."""
    queues = set(resources_of_type(template, "AWS::SQS::Queue"))
    found = []
    for logical_id, resource in resources_of_type(template, "AWS::Events::Rule").items():
        p = _props(resource)
        if "EventPattern" not in p:
            continue
        for target in p.get("Targets") or []:
            queue = getatt_target(target.get("Arn"), "Arn")
            if queue in queues:
                found.append(
                    QueueRuleSpec(
                        name=_named(template, p.get("Name"), logical_id, logical_id),
                        bus_name=_bus_name(template, p.get("EventBusName"), logical_id),
                        pattern=json_object(p["EventPattern"], f"{logical_id}: EventPattern"),
                        queue=queue,
                        enabled=_enabled(p),
                    )
                )
    return found


def schedules(template: Template) -> list[ScheduleSpec]:
    """Every schedule invoking a function: SAM Schedule/ScheduleV2 events and AWS::Events::Rule
    resources with a ScheduleExpression. Name: the template's, else <Function>-<Event>."""
    found = []
    for source in event_sources(template, "Schedule", "ScheduleV2"):
        p, v2 = source.properties, source.type == "ScheduleV2"
        expression = p.get("ScheduleExpression" if v2 else "Schedule")
        if not isinstance(expression, str):
            raise ValueError(f"{source.function.logical_id}.{source.name}: the schedule expression must be literal")
        found.append(
            ScheduleSpec(
                name=_named(template, p.get("Name"), f"{source.function.logical_id}-{source.name}", source.name),
                expression=expression,
                function=source.function,
                input=_input_text(p.get("Input")),
                enabled=_enabled(p),
                scheduler=v2,
                timezone=str(p.get("ScheduleExpressionTimezone") or "UTC"),
            )
        )
    for logical_id, p, function, target in _rule_targets(template):
        if "ScheduleExpression" in p:
            found.append(
                ScheduleSpec(
                    name=_named(template, p.get("Name"), logical_id, logical_id),
                    expression=str(p["ScheduleExpression"]),
                    function=function,
                    input=_input_text(target.get("Input")),
                    enabled=_enabled(p),
                )
            )
    return found


def _rule_targets(template: Template) -> list[tuple[str, dict[str, Any], FunctionSpec, dict[str, Any]]]:
    """(rule logical id, rule properties, function, target) per function target of an AWS::Events::Rule."""
    specs = {spec.logical_id: spec for spec in functions(template)}
    found = []
    for logical_id, resource in resources_of_type(template, "AWS::Events::Rule").items():
        p = _props(resource)
        for target in p.get("Targets") or []:
            function_id = getatt_target(target.get("Arn"), "Arn")
            if function_id in specs:
                found.append((logical_id, p, specs[function_id], dict(target)))
    return found


def _named(template: Template, value: Any, default: str, where: str) -> str:
    """A rule's or schedule's name: the template's (closeloop-<stage>-..., resolved), else default."""
    return default if not value else resolve_parameters(value, template, f"{where}: Name")


def _bus_name(template: Template, value: Any, where: str) -> str:
    """EventBusName as a name: absent is the default bus; a Ref/GetAtt names a bus of the template."""
    if value is None:
        return "default"
    if isinstance(value, str):
        return value.rsplit("/", 1)[-1]  # a name, or an ARN ending in event-bus/NAME
    buses = {bus.logical_id: bus.name for bus in event_buses(template)}
    logical_id = value.get("Ref") if isinstance(value, dict) else None
    logical_id = logical_id or getatt_target(value, "Name") or getatt_target(value, "Arn")
    if logical_id not in buses:
        raise ValueError(f"{where}: EventBusName must be literal or name an AWS::Events::EventBus, got {value!r}")
    return buses[logical_id]


def _input_text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


def _enabled(props: dict[str, Any]) -> bool:
    return props.get("Enabled", True) is not False and str(props.get("State", "ENABLED")).upper() == "ENABLED"
