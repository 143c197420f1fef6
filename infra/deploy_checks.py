"""What template.yaml must hold to be deployed and operated (CONTRACT §13), checked offline.

Each check returns the problems it finds, one sentence each; `problems()` runs them all. The
tests run them on template.yaml (and on broken copies, to show each one bites), and
`make deploy-dry-run` refuses a template with any. Pure: reads the template dict only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from infra import template as cfn

# the property that holds each resource type's physical name
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Serverless::Api": "Name",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::SES::ConfigurationSet": "Name",
}
EVENT_NAME_PROPERTIES = {"Schedule": "Name", "ScheduleV2": "Name", "EventBridgeRule": "RuleName"}

# Routes anyone may call without a key or a signature: browser forms and the open reads.
PUBLIC_ROUTES = {
    ("POST", "/webhooks/leads/{source}"),
    ("OPTIONS", "/webhooks/leads/{source}"),
    ("POST", "/webhooks/behavior/{source}"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
}

# A name must change with the Stage: resolved for two stages, two different names.
_STAGES = ("qa", "prod")


def _with_stage(template: cfn.Template, stage: str) -> cfn.Template:
    staged = copy.deepcopy(template)
    staged.setdefault("Parameters", {}).setdefault("Stage", {})["Default"] = stage
    return staged


def _named(template: cfn.Template) -> Iterator[tuple[str, Any]]:
    """(where, name value) of every physical name the template sets, schedules and rules included."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        key = NAME_PROPERTIES.get(resource.get("Type", ""))
        if key is not None:
            yield f"{logical_id}.{key}", props.get(key)
        for event_id, event in (props.get("Events") or {}).items() if isinstance(props.get("Events"), dict) else ():
            event_key = EVENT_NAME_PROPERTIES.get(event.get("Type", ""))
            if event_key is not None:
                yield f"{logical_id}.Events.{event_id}.{event_key}", (event.get("Properties") or {}).get(event_key)


def names_without_stage(template: cfn.Template) -> list[str]:
    problems = []
    templates = {stage: _with_stage(template, stage) for stage in _STAGES}
    staged = {stage: dict(_named(t)) for stage, t in templates.items()}
    for where, value in _named(template):
        if value is None:
            problems.append(
                f"{where}: no physical name (CloudFormation would make one up; give closeloop-${{Stage}}-...)"
            )
            continue
        try:
            resolved = [cfn.resolve_parameters(staged[s][where], templates[s], where) for s in _STAGES]
        except ValueError as error:
            problems.append(str(error))
            continue
        if any(
            f"closeloop-{s}" not in name and f"closeloop/{s}/" not in name
            for s, name in zip(_STAGES, resolved, strict=True)
        ):
            problems.append(f"{where}: {value!r} does not carry the stage (closeloop-${{Stage}}-...)")
    return problems


def _ref(value: Any) -> str | None:
    return str(value["Ref"]) if isinstance(value, dict) and "Ref" in value else None


def functions_without_logs(template: cfn.Template) -> list[str]:
    resources = template.get("Resources") or {}
    problems = []
    for logical_id, resource in cfn.resources_of_type(template, "AWS::Serverless::Function").items():
        props = resource.get("Properties") or {}
        group_id = _ref((props.get("LoggingConfig") or {}).get("LogGroup"))
        group = resources.get(group_id or "", {})
        if group.get("Type") != "AWS::Logs::LogGroup":
            problems.append(f"{logical_id}: no LoggingConfig.LogGroup naming a log group of the template")
        elif not (group.get("Properties") or {}).get("RetentionInDays"):
            problems.append(f"{logical_id}: its log group {group_id} keeps logs forever (no RetentionInDays)")
    return problems


def _alarms(template: cfn.Template) -> dict[str, dict[str, Any]]:
    return {k: r.get("Properties") or {} for k, r in cfn.resources_of_type(template, "AWS::CloudWatch::Alarm").items()}


def _metrics(alarm: dict[str, Any]) -> Iterator[tuple[str, str, list[Any]]]:
    """(namespace, metric, dimension values) of an alarm, its metric-math inputs included."""
    if "MetricName" in alarm:
        yield alarm.get("Namespace", ""), alarm["MetricName"], [d.get("Value") for d in alarm.get("Dimensions") or []]
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric:
            values = [d.get("Value") for d in metric.get("Dimensions") or []]
            yield metric.get("Namespace", ""), metric.get("MetricName", ""), values


def _watched(template: cfn.Template, namespace: str, metric: str) -> set[str]:
    """Logical ids (by Ref or GetAtt) the template's alarms watch on one metric."""
    found = set()
    for alarm in _alarms(template).values():
        for ns, name, values in _metrics(alarm):
            if (ns, name) == (namespace, metric):
                found |= {v for v in map(_ref, values) if v} | {
                    t for v in values if (t := cfn.getatt_target(v, "QueueName"))
                }
    return found


def dead_letter_queues(template: cfn.Template) -> set[str]:
    """Every queue something sends what it gave up on to."""
    queues = {q.dead_letter_queue for q in cfn.queues(template) if q.dead_letter_queue}
    for spec in cfn.functions(template):
        queues |= {q for q in (spec.dead_letter_queue, spec.async_on_failure_queue) if q}
        for _, props in spec.events:
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure")) or {}
            if target := cfn.getatt_target(on_failure.get("Destination"), "Arn"):
                queues.add(target)
    return queues


def unwatched_dead_letter_queues(template: cfn.Template) -> list[str]:
    watched = _watched(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    return [f"{q}: a dead-letter queue no alarm watches" for q in sorted(dead_letter_queues(template) - watched)]


def alarms_without_actions(template: cfn.Template) -> list[str]:
    return [
        f"{k}: an alarm that tells no one (no AlarmActions)"
        for k, a in _alarms(template).items()
        if not a.get("AlarmActions")
    ]


def unwatched_functions(template: cfn.Template) -> list[str]:
    problems = []
    errors, throttles = _watched(template, "AWS/Lambda", "Errors"), _watched(template, "AWS/Lambda", "Throttles")
    ages = _watched(template, "AWS/Lambda", "IteratorAge")
    for spec in cfn.functions(template):
        if spec.logical_id not in errors:
            problems.append(f"{spec.logical_id}: no alarm on its Errors")
        if spec.logical_id not in throttles:
            problems.append(f"{spec.logical_id}: no alarm on its Throttles")
    for spec, table in cfn.stream_consumers(template):
        if spec.logical_id not in ages:
            problems.append(f"{spec.logical_id}: no alarm on the IteratorAge of its {table} stream")
    return problems


def _method_settings(template: cfn.Template) -> dict[tuple[str, str], dict[str, Any]]:
    settings: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in cfn.resources_of_type(template, "AWS::Serverless::Api").values():
        for entry in (resource.get("Properties") or {}).get("MethodSettings") or []:
            settings[(str(entry.get("HttpMethod")), str(entry.get("ResourcePath")))] = entry
    return settings


def unthrottled_public_routes(template: cfn.Template) -> list[str]:
    settings = _method_settings(template)
    default = settings.get(("*", "/*"), {})
    problems = [] if default.get("ThrottlingRateLimit") else ["the API has no stage-wide throttling (/* *)"]
    for method, path in sorted(PUBLIC_ROUTES & cfn.api_routes(template)):
        entry = settings.get((method, "/" + path.replace("/", "~1")), {})  # API Gateway escapes / as ~1
        rate, burst = entry.get("ThrottlingRateLimit"), entry.get("ThrottlingBurstLimit")
        if not rate or not burst:
            problems.append(f"{method} {path}: a public route without its own throttling")
        elif default.get("ThrottlingRateLimit") and rate >= default["ThrottlingRateLimit"]:
            problems.append(f"{method} {path}: a public route throttled no stricter than the rest")
    return problems


CHECKS: list[Callable[[cfn.Template], list[str]]] = [
    names_without_stage,
    functions_without_logs,
    unwatched_dead_letter_queues,
    alarms_without_actions,
    unwatched_functions,
    unthrottled_public_routes,
]


def problems(template: cfn.Template) -> list[str]:
    return [problem for check in CHECKS for problem in check(template)]
