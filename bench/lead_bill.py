"""What a new lead costs in AWS: every function's DynamoDB writes and reads sized as DynamoDB
bills them (bench/billing.py), Lambda invocations, EventBridge events, SQS requests and the REST
API request, over the local stack in this process, priced at list prices.

The API, the embedded AWS and the plumbing (streams, queues, bus rules) all run here, so every
DynamoDB request of every function reaches the one moto server, where it is billed with the
item as it was before and after. The plumbing's own calls (reading streams and queues, the
bus's stand-in queues) stand for AWS's machinery: not billed as requests; what AWS bills for
them (an SQS target's send, an event source's receive and delete) is added from the messages
and batches the functions got.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.billing import Bill, billing_moto, breakdown, caller, set_caller
from shared.adapters.settings import Settings

LEADS = 200
ROOT = Path(__file__).resolve().parent.parent
LEAD = {
    "company": "苏州精工",
    "province": "江苏",
    "industry": "制造业",
    "employees": 800,
    "budget": 600000,
    "title": "采购经理",
}
# us-east-1 list prices, on demand (USD). DynamoDB's on-demand request prices were halved on
# 2024-11-01 (from $1.25 / $0.25 per million); the issue's $42.6 a million leads used these.
PRICE_DATE, REGION = "2024-11-01", "us-east-1"
OLD_DYNAMODB = {"ddb_wru": 1.25 / 1e6, "ddb_rru": 0.25 / 1e6}  # before 2024-11-01, for comparison
PRICES = {
    "ddb_wru": 0.625 / 1e6,
    "ddb_rru": 0.125 / 1e6,
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,
    "eventbridge_event": 1.00 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "apigw_rest_request": 3.50 / 1e6,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Calls:
    """Every AWS request a function makes (botocore level), by service and operation, and the
    events it puts on the bus; and every Lambda invocation with its duration."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, str]] = Counter()  # (caller, service, operation)
        self.bus_events: Counter[str] = Counter()  # caller -> PutEvents entries
        self.invocations: Counter[str] = Counter()  # function -> invocations
        self.seconds: defaultdict[str, float] = defaultdict(float)  # function -> seconds inside
        self.sqs_messages: Counter[str] = Counter()  # function -> SQS records it was handed
        self.memory_mb: dict[str, int] = {}


@contextmanager
def counting_calls(calls: Calls) -> Iterator[Calls]:
    from botocore.client import BaseClient

    from infra.local.runtime import Invoker

    original_call, original_invoke = BaseClient._make_api_call, Invoker.__call__

    def counted(self: Any, operation: str, params: Any) -> Any:
        who = caller()
        calls.requests[(who, self.meta.service_model.service_name, operation)] += 1
        if operation == "PutEvents":
            calls.bus_events[who] += len(params.get("Entries", []))
        return original_call(self, operation, params)

    def invoke(self: Any, function: Any, event: Any) -> Any:
        name = function.logical_id
        records = event.get("Records", []) if isinstance(event, dict) else []
        calls.sqs_messages[name] += sum(1 for r in records if r.get("eventSource") == "aws:sqs")
        calls.memory_mb[name] = function.memory_size
        set_caller(name)
        started = time.perf_counter()
        try:
            return original_invoke(self, function, event)
        finally:
            calls.seconds[name] += time.perf_counter() - started
            calls.invocations[name] += 1
            set_caller(None)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    Invoker.__call__ = invoke  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original_call  # type: ignore[method-assign]
        Invoker.__call__ = original_invoke  # type: ignore[method-assign]


@contextmanager
def _quiet() -> Iterator[None]:
    """Each capture logs a line and an EMF metric: 200 leads, hundreds of lines the bench need not show."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        yield


def run_leads(count: int, progress: Callable[[str], None]) -> tuple[Bill, Calls]:
    """``count`` new leads through the API in this process, then the plumbing drained."""
    from chalice.test import Client

    from infra.local.stack import LocalStack, StackSettings
    from infra.template import load_template

    template = load_template()
    os.environ["CLOSELOOP_RULES_CHECK_SECONDS"] = "30"  # the deployed default
    stack = LocalStack(StackSettings(aws_port=_free_port(), port=_free_port(), serve_api=False))
    progress(f"lead bill: local stack in this process, {count} new leads, every function's requests counted")
    bill, calls = Bill(), Calls()
    with billing_moto(bill, template), counting_calls(calls):
        started = stack.start()  # unchanged: the same rules were published earlier in this process
        assert started.status in ("published", "unchanged"), started.problems
        from functions.api.app import app

        try:
            with Client(app) as client:
                with _quiet():
                    set_caller("ApiFunction")
                    _post(client, "warmup@factory.cn")  # rules and secrets loaded once, as in a warm Lambda
                    drained = stack.drain(120)
                if not drained:
                    raise RuntimeError("the local plumbing did not drain the warm-up lead")
                bill.reset()
                calls.__init__()  # type: ignore[misc]
                api_seconds = 0.0
                with _quiet():
                    set_caller("ApiFunction")
                    for n in range(count):
                        started = time.perf_counter()
                        _post(client, f"bill{n}@factory.cn")
                        api_seconds += time.perf_counter() - started
                    set_caller(None)
                progress("lead bill: draining the plumbing (publisher, KPI rollups, deliveries)")
                with _quiet():
                    drained = stack.drain(600)
                if not drained:
                    raise RuntimeError("the local plumbing did not drain within 10 minutes")
                calls.invocations["ApiFunction"] += count
                calls.seconds["ApiFunction"] += api_seconds
                calls.memory_mb["ApiFunction"] = _memory(template, "ApiFunction")
        finally:
            set_caller(None)
            stack.stop()
    return bill, calls


def _memory(template: dict[str, Any], logical_id: str) -> int:
    from infra.template import functions

    return next(f.memory_size for f in functions(template) if f.logical_id == logical_id)


def _post(client: Any, email: str) -> None:
    body = json.dumps({**LEAD, "email": email}, ensure_ascii=False).encode()
    response = client.http.post("/webhooks/leads/website", body=body, headers={"Content-Type": "application/json"})
    if response.status_code != 201:
        raise RuntimeError(f"capture answered {response.status_code}: {response.body[:300]!r}")


_NAMES = Settings()  # the local stack's table names (stage dev)
GROUPS = (  # the grouping of a lead's write units, by table name
    ("outbox events and their indexes", _NAMES.table("events")),
    ("KPI rollups", _NAMES.table("kpis")),
    ("the lead and its index", _NAMES.table("leads")),
    ("timers and their indexes", _NAMES.table("timers")),
)


def grouped(write: Counter[str], per: int) -> str:
    """'outbox events and their indexes 14.0 (35 %), ...' per lead, the rest as 'other'."""
    total = sum(write.values()) or 1
    sums = {label: sum(v for k, v in write.items() if k.split("/")[0] == table) for label, table in GROUPS}
    sums["other (idempotency, lead keys, routing state, ...)"] = total - sum(sums.values())
    return ", ".join(f"{label} {v / per:.1f} ({100 * v / total:.0f} %)" for label, v in sums.items())


def _billed(who: str) -> bool:
    return who != "other"  # "other": the plumbing standing in for AWS's own machinery


def costs(bill: Bill, calls: Calls, leads: int, prices: dict[str, float] = PRICES) -> dict[str, float]:
    """USD per lead by service, from what was counted and the prices above."""
    sqs_functions = {name for name, n in calls.sqs_messages.items() if n}
    sqs_app = sum(n for (who, service, _), n in calls.requests.items() if service == "sqs" and _billed(who))
    # what EventBridge sends to a queue target, and each batch's receive and delete-batch
    sqs_machinery = sum(calls.sqs_messages.values()) + 2 * sum(calls.invocations[f] for f in sqs_functions)
    gb_seconds = sum(seconds * calls.memory_mb.get(f, 512) / 1024 for f, seconds in calls.seconds.items())
    return {
        "dynamodb": (bill.write_units * prices["ddb_wru"] + bill.read_units * prices["ddb_rru"]) / leads,
        "lambda": (sum(calls.invocations.values()) * prices["lambda_request"] + gb_seconds * prices["lambda_gb_second"])
        / leads,
        "eventbridge": sum(n for who, n in calls.bus_events.items() if _billed(who))
        * prices["eventbridge_event"]
        / leads,
        "sqs": (sqs_app + sqs_machinery) * prices["sqs_request"] / leads,
        "api_gateway": prices["apigw_rest_request"],
        "_gb_seconds": gb_seconds / leads,
        "_sqs_requests": (sqs_app + sqs_machinery) / leads,
    }


def lead_bill_metrics(progress: Callable[[str], None], leads: int = LEADS) -> dict[str, Any]:
    bill, calls = run_leads(leads, progress)
    per = leads
    ddb_requests = sum(n for who, n in bill.requests_by.items() if _billed(who))
    by_op = Counter({op: n for op, n in bill.requests.items()})
    usd = costs(bill, calls, per)
    total = sum(v for k, v in usd.items() if not k.startswith("_"))
    old_prices = costs(bill, calls, per, {**PRICES, **OLD_DYNAMODB})
    total_before = sum(v for k, v in old_prices.items() if not k.startswith("_"))
    batches = ", ".join(
        f"{f} {calls.sqs_messages[f] / calls.invocations[f]:.1f}" for f, n in calls.sqs_messages.items() if n
    )
    invocations = ", ".join(f"{f} {n / per:.3g}" for f, n in calls.invocations.most_common())
    durations = ", ".join(
        f"{f} {calls.seconds[f] * 1000 / calls.invocations[f]:.0f} ms" for f, _ in calls.invocations.most_common()
    )
    events = sum(n for who, n in calls.bus_events.items() if _billed(who)) / per
    refused = f"; refused (not billed): {dict(bill.refused)}" if bill.refused else ""
    return {
        "ddb_write_units_per_new_lead": {
            "value": round(bill.write_units / per, 2),
            "unit": "WRU/lead",
            "note": f"{per} new leads through the API, then every function their events reach (outbox publisher, "
            f"KPI rollups from their queue, deliveries) until the local plumbing was idle; each write sized as "
            f"DynamoDB bills it (bench/billing.py: 1 WRU per started KB of the larger image, x2 in transactions, "
            f"one write per index entered/left/changed, projection-sized), counted in the embedded AWS. Where they "
            f"go: {grouped(bill.write, per)}. By table/index per lead: {breakdown(bill.write, per)}. "
            f"By function: {breakdown(bill.write_by, per)}. "
            f"Not included: the SLA timers' later fate (deleted at first touch, or fired) and the per-minute "
            f"schedules' idle reads{refused}",
        },
        "ddb_requests_per_new_lead_all": {
            "value": round(ddb_requests / per, 2),
            "unit": "requests/lead",
            "note": f"DynamoDB requests per new lead across every function (same run): by operation "
            f"{', '.join(f'{op} {n / per:.2f}' for op, n in by_op.most_common())}; by function "
            f"{breakdown(bill.requests_by, per)}. Read units {bill.read_units / per:.2f} RRU/lead: "
            f"{breakdown(Counter(bill.read), per, 6)}",
        },
        "aws_cost_per_million_leads_usd": {
            "value": round(total * 1e6, 2),
            "unit": "USD/1M leads",
            "note": f"list prices {REGION} on demand as of {PRICE_DATE}: DynamoDB $0.625/M WRU, $0.125/M RRU; Lambda "
            f"$0.20/M requests + $0.0000166667/GB-s; EventBridge $1.00/M events; SQS $0.40/M requests; API Gateway "
            f"REST $3.50/M. Formula per lead: WRU*0.625e-6 + RRU*0.125e-6 + invocations*0.2e-6 + GB-s*1.66667e-5 + "
            f"bus events*1e-6 + SQS requests*0.4e-6 + 3.5e-6, x 1e6. Here: {bill.write_units / per:.2f} WRU, "
            f"{bill.read_units / per:.2f} RRU, invocations ({invocations}), GB-s {usd['_gb_seconds']:.4f} "
            f"(template memory x duration measured here against the embedded AWS: {durations}), {events:.2f} "
            f"bus events, {usd['_sqs_requests']:.2f} SQS requests (EventBridge's send to the KPI queue per "
            f"event + a receive and a delete per batch; events per batch: {batches}). USD per 1M leads: "
            + ", ".join(f"{k} {v * 1e6:.2f}" for k, v in usd.items() if not k.startswith("_"))
            + f". At DynamoDB's prices before 2024-11-01 ($1.25/M WRU, $0.25/M RRU): {total_before * 1e6:.2f}"
            ". Not included: X-Ray, CloudWatch Logs and metrics, idle schedules and idle SQS polling "
            "(fixed per month, not per lead), data transfer",
        },
    }


def lead_bill_in_fresh_process(progress: Callable[[str], None], leads: int = LEADS) -> dict[str, Any]:
    """``lead_bill_metrics`` in a fresh process: moto's tables outlive each embedded server, and the
    plumbing would otherwise first publish every event earlier phases of the bench recorded."""
    progress(f"lead bill: {leads} new leads through the local stack in a fresh process, every function counted")
    out = subprocess.run([sys.executable, "-m", "bench.lead_bill", str(leads)], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.lead_bill failed: {out.stderr.decode(errors='replace')[-2000:]}")
    return dict(json.loads(out.stdout))


if __name__ == "__main__":

    def _progress(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    print(json.dumps(lead_bill_metrics(_progress, int(sys.argv[1]) if len(sys.argv) > 1 else LEADS), indent=2))
