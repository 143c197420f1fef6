"""Read template.yaml, the deployment truth, into plain Python values.

Pure: no boto3, no network. The local stack (infra/local) and the tests derive every
table, function, route, queue, bus and secret from what this module returns, so nothing
is declared twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"

Template = dict[str, Any]

# ------------------------------------------------------------------ loading


class _CfnLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml: 20x faster
    """SafeLoader that knows CloudFormation short tags and keeps dates as strings."""


# CloudFormation reads "2010-09-09" as a string; YAML 1.1 would make it a date.
_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # "!GetAtt Table.StreamArn" is the short form of ["Table", "StreamArn"].
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: str | Path | None = None) -> Template:
    """The template as a dict, short tags expanded to their long form ({"Ref": ...})."""
    text = Path(path or TEMPLATE_PATH).read_text(encoding="utf-8")
    loaded = yaml.load(text, Loader=_CfnLoader)
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise ValueError(f"{path or TEMPLATE_PATH}: not a CloudFormation template (no Resources)")
    return loaded


# ------------------------------------------------------------------ specs


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    name: str
    key_schema: list[dict[str, str]]
    attribute_definitions: list[dict[str, str]]
    global_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    local_secondary_indexes: list[dict[str, Any]] = field(default_factory=list)
    stream_view_type: str | None = None
    ttl_attribute: str | None = None
    billing_mode: str = "PAY_PER_REQUEST"
    point_in_time_recovery: bool = False
    sse_enabled: bool = False


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str
    environment: dict[str, Any]  # Globals merged in; values may still be intrinsics
    events: list[tuple[str, dict[str, Any]]]  # (Type, Properties), in template order
    timeout: int = 3
    memory_size: int = 128
    policies: list[Any] = field(default_factory=list)
    # Asynchronous invocation (schedules, bus rules): retries after an error, then where the
    # event goes (logical ids of SQS queues; other destination types are not played locally).
    async_max_retries: int = 2
    async_on_failure_queue: str | None = None  # EventInvokeConfig.DestinationConfig.OnFailure
    dead_letter_queue: str | None = None  # DeadLetterQueue (Type: SQS)


@dataclass(frozen=True)
class EventBusSpec:
    logical_id: str
    name: str


@dataclass(frozen=True)
class SecretSpec:
    logical_id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str  # QueueName, or the logical id where CloudFormation would generate one
    attributes: dict[str, str] = field(default_factory=dict)
    # RedrivePolicy, kept apart from attributes: its target is an ARN only known once created.
    dead_letter_queue: str | None = None  # logical id of the deadLetterTargetArn queue
    max_receive_count: int | None = None


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one type, in template order."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if isinstance(resource, dict) and resource.get("Type") == resource_type
    }


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource.get("Properties") or {})


def stage(template: Template) -> str:
    """The Stage every physical name carries; locally its default (dev)."""
    return str(parameter_defaults(template).get("Stage") or "")


def stage_prefix(template: Template) -> str:
    """closeloop-<stage>-: how every physical name of the stack begins."""
    return f"closeloop-{stage(template)}-"


def resolve_parameters(value: Any, template: Template, where: str) -> str:
    """A literal, or a !Sub of parameters only ("closeloop-${Stage}-leads"), with every parameter
    at its default: how the local stack names what AWS names from the deployed parameters."""
    if isinstance(value, str):
        return value
    text = value.get("Fn::Sub") if isinstance(value, dict) and len(value) == 1 else None
    if not isinstance(text, str):
        raise ValueError(f"{where} must be a literal or a !Sub of parameters, got {value!r}")
    defaults = parameter_defaults(template)

    def parameter(match: re.Match[str]) -> str:
        if match.group(1) not in defaults:
            raise ValueError(f"{where}: ${{{match.group(1)}}} is not a parameter (only parameters resolve locally)")
        return str(defaults[match.group(1)] or "")

    return _SUB_VARIABLE.sub(parameter, text)


def _name(value: Any, logical_id: str, what: str, template: Template) -> str:
    return logical_id if value is None else resolve_parameters(value, template, f"{logical_id}: {what}")


def tables(template: Template) -> list[TableSpec]:
    specs = []
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        p = _props(resource)
        stream = p.get("StreamSpecification") or {}
        ttl = p.get("TimeToLiveSpecification") or {}
        specs.append(
            TableSpec(
                logical_id=logical_id,
                name=_name(p.get("TableName"), logical_id, "TableName", template),
                key_schema=list(p.get("KeySchema", [])),
                attribute_definitions=list(p.get("AttributeDefinitions", [])),
                global_secondary_indexes=list(p.get("GlobalSecondaryIndexes", [])),
                local_secondary_indexes=list(p.get("LocalSecondaryIndexes", [])),
                stream_view_type=stream.get("StreamViewType"),
                ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled", True) else None,
                billing_mode=p.get("BillingMode", "PROVISIONED"),
                point_in_time_recovery=bool(
                    (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")
                ),
                sse_enabled=bool((p.get("SSESpecification") or {}).get("SSEEnabled")),
            )
        )
    return specs


def function_globals(template: Template) -> dict[str, Any]:
    return dict((template.get("Globals") or {}).get("Function") or {})


def functions(template: Template) -> list[FunctionSpec]:
    """Every AWS::Serverless::Function, with Globals merged the way SAM merges them."""
    glob = function_globals(template)
    global_env = dict(((glob.get("Environment") or {}).get("Variables")) or {})
    specs = []
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items():
        p = _props(resource)
        env = {**global_env, **(((p.get("Environment") or {}).get("Variables")) or {})}
        events = [
            (str(event.get("Type")), dict(event.get("Properties") or {})) for event in (p.get("Events") or {}).values()
        ]
        policies = p.get("Policies", [])
        invoke_config = dict(p.get("EventInvokeConfig", glob.get("EventInvokeConfig")) or {})
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                handler=str(p.get("Handler", glob.get("Handler", ""))),
                environment=env,
                events=events,
                timeout=int(p.get("Timeout", glob.get("Timeout", 3))),
                memory_size=int(p.get("MemorySize", glob.get("MemorySize", 128))),
                policies=policies if isinstance(policies, list) else [policies],
                async_max_retries=int(invoke_config.get("MaximumRetryAttempts", 2)),
                async_on_failure_queue=_on_failure_queue(invoke_config),
                dead_letter_queue=_sqs_target(p.get("DeadLetterQueue", glob.get("DeadLetterQueue")), "TargetArn"),
            )
        )
    return specs


def _on_failure_queue(config: dict[str, Any]) -> str | None:
    on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure")) or {}
    return _sqs_target(on_failure, "Destination")


def _sqs_target(config: Any, key: str) -> str | None:
    """The queue in {Type: SQS, <key>: !GetAtt Queue.Arn}; None when absent or not an SQS queue."""
    if not isinstance(config, dict) or config.get("Type", "SQS") != "SQS":
        return None
    return getatt_target(config.get(key), "Arn")


def api_routes(template: Template) -> set[tuple[str, str]]:
    """(METHOD, path) of every Api event, e.g. ("GET", "/leads/{lead_id}")."""
    return {
        (str(props["Method"]).upper(), str(props["Path"]))
        for spec in functions(template)
        for event_type, props in spec.events
        if event_type == "Api"
    }


def getatt_target(value: Any, attribute: str) -> str | None:
    """The logical id in {"Fn::GetAtt": [id, attribute]}, else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        if isinstance(target, list) and len(target) == 2 and target[1] == attribute:
            return str(target[0])
    return None


def stream_consumers(template: Template) -> list[tuple[FunctionSpec, str]]:
    """(function, table logical id) for every DynamoDB stream event source."""
    consumers = []
    for spec in functions(template):
        for event_type, props in spec.events:
            if event_type != "DynamoDB":
                continue
            table_id = getatt_target(props.get("Stream"), "StreamArn")
            if table_id is None:
                raise ValueError(f"{spec.logical_id}: DynamoDB event Stream must be !GetAtt <Table>.StreamArn")
            consumers.append((spec, table_id))
    return consumers


def event_buses(template: Template) -> list[EventBusSpec]:
    return [
        EventBusSpec(logical_id, _name(_props(r).get("Name"), logical_id, "Name", template))
        for logical_id, r in resources_of_type(template, "AWS::Events::EventBus").items()
    ]


def secrets(template: Template) -> list[SecretSpec]:
    return [
        SecretSpec(
            logical_id,
            _name(_props(r).get("Name"), logical_id, "Name", template),
            str(_props(r).get("Description", "")),
        )
        for logical_id, r in resources_of_type(template, "AWS::SecretsManager::Secret").items()
    ]


# Queue properties that map one to one onto SQS queue attributes.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def queues(template: Template) -> list[QueueSpec]:
    specs = []
    for logical_id, r in resources_of_type(template, "AWS::SQS::Queue").items():
        p = _props(r)
        attributes = {k: _attribute_text(p[k]) for k in _QUEUE_ATTRIBUTES if k in p}
        redrive = json_object(p.get("RedrivePolicy"), f"{logical_id}: RedrivePolicy")
        dead_letter_queue = getatt_target(redrive.get("deadLetterTargetArn"), "Arn") if redrive else None
        if redrive and dead_letter_queue is None:
            raise ValueError(f"{logical_id}: RedrivePolicy deadLetterTargetArn must be !GetAtt <Queue>.Arn")
        specs.append(
            QueueSpec(
                logical_id,
                _name(p.get("QueueName"), logical_id, "QueueName", template),
                attributes,
                dead_letter_queue=dead_letter_queue,
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
            )
        )
    return specs


def json_object(value: Any, what: str) -> dict[str, Any]:
    """A property CloudFormation takes as an object or as its JSON text."""
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(loaded, dict):
        raise ValueError(f"{what} must be a JSON object, got {value!r}")
    return loaded


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def parameter_defaults(template: Template) -> dict[str, Any]:
    return {name: p.get("Default") for name, p in (template.get("Parameters") or {}).items()}


# ------------------------------------------------------------------ IAM


def policy_statements(spec: FunctionSpec) -> list[dict[str, Any]]:
    """Inline policy statements of a function (SAM policy templates and managed names skipped)."""
    statements: list[dict[str, Any]] = []
    for policy in spec.policies:
        if isinstance(policy, dict) and "Statement" in policy:
            body = policy["Statement"]
            statements.extend(body if isinstance(body, list) else [body])
    return statements


def policy_actions(spec: FunctionSpec) -> list[str]:
    actions: list[str] = []
    for statement in policy_statements(spec):
        action = statement.get("Action", [])
        actions.extend(action if isinstance(action, list) else [action])
    return actions


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def referenced_names(node: Any) -> set[str]:
    """Every logical id or parameter named by Ref, GetAtt or a ${...} in Sub, anywhere in node."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt" and isinstance(value, list) and value:
                found.add(str(value[0]))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                local = set(value[1]) if isinstance(value, list) and len(value) > 1 else set()
                if isinstance(text, str):
                    found |= {m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(text)} - local
            found |= referenced_names(value)
    elif isinstance(node, list):
        for item in node:
            found |= referenced_names(item)
    return found
