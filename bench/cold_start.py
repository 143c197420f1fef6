"""A cold Lambda's first lead: fresh interpreters against the embedded AWS the parent runs.

Each child measures, from its first line, what a cold API container does before answering:
import the handler module and handle one real lead capture (an API Gateway proxy event, as
Lambda delivers it). The baseline child imports boto3 and makes one PutItem on the same
endpoint: the least any Python function that writes to DynamoDB pays on a cold start.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE_TABLE = "bench-cold-start"

# The child's code: timing starts before the first import of the thing measured.
_HANDLER = """
import time; started = time.perf_counter()
import json, os, sys
import functions.api.app as api
class Context:
    function_name = "ApiFunction"; function_version = "$LATEST"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "cold-start"
    def get_remaining_time_in_millis(self): return 25_000
event = {
    "resource": "/webhooks/leads/{source}", "path": "/webhooks/leads/website", "httpMethod": "POST",
    "headers": {"content-type": "application/json"}, "multiValueQueryStringParameters": None,
    "pathParameters": {"source": "website"}, "stageVariables": {},
    "requestContext": {"httpMethod": "POST", "resourcePath": "/webhooks/leads/{source}",
                       "path": "/webhooks/leads/website", "identity": {"sourceIp": "127.0.0.1"}},
    "body": os.environ["BENCH_BODY"], "isBase64Encoded": False,
}
response = api.app(event, Context())
elapsed = time.perf_counter() - started
assert response["statusCode"] == 201, response
print(elapsed)
"""

_BASELINE = """
import time; started = time.perf_counter()
import os
import boto3
client = boto3.client("dynamodb")
client.put_item(TableName=os.environ["BENCH_TABLE"], Item={"id": {"S": os.environ["BENCH_ID"]}})
print(time.perf_counter() - started)
"""


def _child(code: str, env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"cold-start child failed: {out.stderr.strip()[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def lead_cold_start_ratio(
    endpoint_url: str, lead: dict[str, Any], progress: Callable[[str], None], runs: int = 9
) -> dict[str, Any]:
    """Median over ``runs`` fresh interpreters each: (import the API + one capture) / (import boto3 + one PutItem)."""
    from infra.local.aws import aws_env, client

    dynamodb = client("dynamodb", endpoint_url)
    if BASELINE_TABLE not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=BASELINE_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
    env = {**os.environ, **aws_env(endpoint_url), "BENCH_TABLE": BASELINE_TABLE, "POWERTOOLS_METRICS_DISABLED": "1"}
    env["CLOSELOOP_RULES_CHECK_SECONDS"] = "30"  # the deployed default
    progress(f"cold start: {runs} fresh interpreters each for import + first lead, and import boto3 + one PutItem")
    handler, baseline = [], []
    for n in range(runs):  # interleaved so machine noise hits both alike
        body = json.dumps({**lead, "email": f"cold{n}-{uuid.uuid4().hex[:8]}@factory.cn"}, ensure_ascii=False)
        handler.append(_child(_HANDLER, {**env, "BENCH_BODY": body}))
        baseline.append(_child(_BASELINE, {**env, "BENCH_ID": uuid.uuid4().hex}))
    first, put = statistics.median(handler), statistics.median(baseline)
    return {
        "value": round(first / put, 3),
        "unit": "ratio",
        "note": f"median of {runs} fresh interpreters: import functions.api.app and answer one new lead "
        f"(API Gateway event, embedded AWS; {first * 1000:.0f} ms) / import boto3 and one PutItem on the "
        f"same endpoint ({put * 1000:.0f} ms). The first lead imports boto3, PynamoDB, Powertools and the "
        f"domain (email-validator; not holidays: publishing resolved the public days), creates its DynamoDB "
        f"clients in sessions that share one "
        f"service-model loader (parsed once), reads the active rules and makes a new lead's 6 requests",
    }
