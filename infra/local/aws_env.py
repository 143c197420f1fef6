"""How a process reaches the embedded AWS: its environment (the template's Globals resolved to
local values) and clients. Split from infra.local.aws so that a second terminal's command
(`closeloop cases list`, ...) imports no moto: it only talks to the stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra import template as cfn

if TYPE_CHECKING:
    from botocore.config import Config

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": REGION}


def client(service: str, endpoint_url: str, config: Config | None = None) -> Any:
    """A boto3 client for the embedded AWS, independent of the process environment."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url, config=config, **_CREDENTIALS)


def aws_env(endpoint_url: str, template: cfn.Template | None = None, *, secret_names: bool = False) -> dict[str, str]:
    """Environment a process needs to use the embedded AWS, with the template's
    Globals environment resolved to local values. ``secret_names``: a secret's Ref is its name
    (Secrets Manager takes a name wherever it takes an ARN), asked of nobody — a second
    terminal's command then reaches the stack without a Secrets Manager call to start."""
    template = template if template is not None else cfn.load_template()
    env = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    resolver = _LocalResolver(template, endpoint_url, secret_names)
    global_vars = ((cfn.function_globals(template).get("Environment") or {}).get("Variables")) or {}
    for name, value in global_vars.items():
        env[name] = resolver.resolve(value)
    return env


class _LocalResolver:
    """Resolves the intrinsics an environment variable may hold, against the local stack."""

    def __init__(self, template: cfn.Template, endpoint_url: str, secret_names: bool = False) -> None:
        self._template = template
        self._secret_names = secret_names
        self._endpoint_url = endpoint_url
        self._resources: dict[str, Any] = template.get("Resources", {})
        self._secret_arns: dict[str, str] = {}

    def resolve(self, value: Any) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, (str, int, float)):
            return str(value)
        if isinstance(value, dict) and "Ref" in value:
            return self._ref(str(value["Ref"]))
        if isinstance(value, dict) and "Fn::Sub" in value:  # names: closeloop-${Stage}-...
            return cfn.resolve_parameters(value, self._template, "environment")
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._get_att(str(logical_id), str(attribute))
        raise ValueError(
            f"cannot resolve {value!r} locally (only literals, Ref, GetAtt and a Sub of parameters are supported)"
        )

    def _ref(self, name: str) -> str:
        if name in (self._template.get("Parameters") or {}):
            return str(cfn.parameter_defaults(self._template)[name] or "")
        if name == "AWS::Region":
            return REGION
        if name == "AWS::AccountId":
            return ACCOUNT_ID
        resource_type = self._resources.get(name, {}).get("Type")
        if resource_type == "AWS::DynamoDB::Table":
            return self._table(name).name
        if resource_type == "AWS::Events::EventBus":
            return next(b.name for b in cfn.event_buses(self._template) if b.logical_id == name)
        if resource_type == "AWS::SecretsManager::Secret":
            return self._secret_arn(name)
        if resource_type == "AWS::SQS::Queue":
            return self._queue_url(name)
        raise ValueError(f"cannot resolve Ref {name!r} locally (type {resource_type})")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource_type = self._resources.get(logical_id, {}).get("Type")
        if resource_type == "AWS::DynamoDB::Table" and attribute in ("Arn", "StreamArn"):
            table = client("dynamodb", self._endpoint_url).describe_table(TableName=self._table(logical_id).name)
            return str(table["Table"]["TableArn" if attribute == "Arn" else "LatestStreamArn"])
        if resource_type == "AWS::SQS::Queue" and attribute == "Arn":
            return queue_arn(self._queue_name(logical_id))
        if resource_type == "AWS::Events::EventBus" and attribute in ("Arn", "Name"):
            name = self._ref(logical_id)
            return name if attribute == "Name" else f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"
        raise ValueError(f"cannot resolve GetAtt {logical_id}.{attribute} locally")

    def _table(self, logical_id: str) -> cfn.TableSpec:
        return next(t for t in cfn.tables(self._template) if t.logical_id == logical_id)

    def _queue_name(self, logical_id: str) -> str:
        return next(q.name for q in cfn.queues(self._template) if q.logical_id == logical_id)

    def _queue_url(self, logical_id: str) -> str:
        return str(client("sqs", self._endpoint_url).get_queue_url(QueueName=self._queue_name(logical_id))["QueueUrl"])

    def _secret_arn(self, logical_id: str) -> str:
        if logical_id not in self._secret_arns:
            name = next(s.name for s in cfn.secrets(self._template) if s.logical_id == logical_id)
            if self._secret_names:
                return name
            described = client("secretsmanager", self._endpoint_url).describe_secret(SecretId=name)
            self._secret_arns[logical_id] = str(described["ARN"])
        return self._secret_arns[logical_id]


def queue_arn(queue_name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue_name}"
