"""`make bench`: measure, compare against baselines from the same run, write bench/results.json.

Timings are only ever reported as ratios against a baseline measured in the same run (or as
trend figures); no test asserts them.

Most of the run is 10,000 leads captured in-process (throughput) and then 1,000 more over
HTTP into a `closeloop dev` process (its memory, projected to 10,000); one after the other, so
neither's timing carries the other's load. Each phase's wall and CPU seconds are printed: the
whole must finish within 20 minutes on 2 cores (issue 15).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DEV_LEADS = int(os.environ.get("BENCH_DEV_LEADS", "1000"))  # measured, then projected to 10,000 (bench/dev_stack.py)
GOALS = {
    "lead_handler_cold_import_ratio": ("<=", 1.3),
    "lead_cold_start_ratio": ("<=", 1.5),
    # leads_per_second_inprocess: a trend figure since issue 15 (it measures moto's speed, not the product's)
    "capture_rate_ratio_10k": (">=", 0.8),
    "dev_rss_mib_after_10k_leads": ("<=", 600),
    "ddb_requests_per_new_lead": ("<=", 6),  # issue 2 set 5; per-owner loads (issue 8) read one BatchGetItem more
    "ddb_requests_per_merged_lead": ("<=", 4),
    "ddb_write_units_per_new_lead": ("<=", 25),
    "aws_cost_per_million_leads_usd": ("<=", 22),
    "routing_speedup_vs_linear": (">=", 20),
    "sheets_requests_per_sync": ("<=", 2),
    "timer_sweep_items_read_per_due": ("<=", 1.5),
    "poisoned_sweep_healthy_fired_ratio": ("==", 1.0),
    "ddb_requests_per_shipment_webhook": ("<=", 6),
    "invoice_exactly_once_trials": (">=", 200),
    "invoice_duplicates": ("<=", 0),
    "invoice_losses": ("<=", 0),
    "kpi_query_items_read": ("<=", 200),
    "kpi_query_items_ratio_10x": ("<=", 1.2),
    "renewal_reminders_fired_exactly_once": ("==", 1.0),
    "renewal_reminders_missed_or_duplicated": ("<=", 0),
    "chaos_leads_lost": ("<=", 0),
    "chaos_events_duplicated": ("<=", 0),
    "cli_list_latency_ratio": ("<=", 2),  # issue 16: `closeloop cases list` (1,000 cases) ÷ `closeloop --help`
    "ddb_requests_per_order_segment_update": ("<=", 2),  # issue 19; segment_sweep_items_read_per_account: trend
    "hand_written_contract_lines": ("<=", 1200),  # issue 18: OpenAPI literals + event catalogue + request parsers
}

# --- the API as shipped (issue 14, bench/shipped.py): built artifact, its size, its cold start ---
GOALS.update(
    {
        "lead_cold_start_ratio_shipped": ("<=", 1.5),
        "api_artifact_mib": ("<=", 40),
        "api_artifact_zip_mib": ("<=", 12),
    }
)
# --- end of the shipped-API block ---


_STARTED = time.perf_counter()


def _cpu_seconds() -> float:
    """CPU of this process and of the children it has waited for (closeloop dev, fresh interpreters)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def progress(message: str) -> None:
    elapsed = time.perf_counter() - _STARTED
    # sys.__stderr__: phases that silence the handlers' log lines (redirect_stderr) still show progress
    print(f"[bench {elapsed:6.0f} s, cpu {_cpu_seconds():6.0f} s] {message}", file=sys.__stderr__, flush=True)


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def cold_import_ratio(runs: int = 9) -> dict[str, Any]:
    progress(f"cold import: {runs} fresh interpreters each for the API handler and for boto3")
    handler, baseline = [], []
    for _ in range(runs):  # interleaved so machine noise hits both alike
        handler.append(_import_seconds("import functions.api.app"))
        baseline.append(_import_seconds("import boto3"))
    ratio = statistics.median(handler) / statistics.median(baseline)
    return {
        "value": round(ratio, 3),
        "unit": "ratio",
        "note": f"median of {runs} fresh interpreters: import functions.api.app "
        f"({statistics.median(handler) * 1000:.0f} ms) / import boto3 "
        f"({statistics.median(baseline) * 1000:.0f} ms). The module imports only chalice; boto3, PynamoDB "
        f"and Powertools load on the first request that needs them, so that cost moves to the first "
        f"request of a cold container rather than vanishing",
    }


def main() -> int:
    from bench.chaos import chaos_metrics
    from bench.cli_lists import cli_list_metric
    from bench.contract_lines import contract_lines
    from bench.dev_stack import dev_rss_metric
    from bench.invoices import exactly_once_trials, shipment_requests
    from bench.kpis import kpi_metrics
    from bench.lead_bill import lead_bill_in_fresh_process
    from bench.privacy import privacy_metrics
    from bench.renewals import renewal_metrics
    from bench.routing import routing_speedup
    from bench.sales import quote_metrics
    from bench.segments import segment_metrics
    from bench.service import service_metrics
    from bench.timers import timer_metrics

    results: dict[str, Any] = dict(contract_lines())
    results["lead_handler_cold_import_ratio"] = cold_import_ratio()
    results.update(service_metrics(progress))
    results.update(lead_bill_in_fresh_process(progress))
    from bench.shipped import shipped_metrics  # the API as shipped (issue 14)

    results.update(shipped_metrics(progress))
    progress(f"closeloop dev in a child process: {DEV_LEADS:,} leads over HTTP in two halves, then its memory")
    results["dev_rss_mib_after_10k_leads"] = dev_rss_metric(DEV_LEADS)
    results["routing_speedup_vs_linear"] = routing_speedup(progress)
    results.update(timer_metrics(progress))
    results.update(shipment_requests(progress))
    results.update(exactly_once_trials(progress))
    results.update(quote_metrics(progress))  # no goal yet (issue 9)
    results.update(kpi_metrics(progress))
    results.update(renewal_metrics(progress))
    results.update(segment_metrics(progress))
    results.update(privacy_metrics(progress))  # issue 17: ddb_requests_per_erasure, a trend figure
    results.update(chaos_metrics(progress))
    progress("closeloop cases list against a local stack holding 1,000 cases, against closeloop --help")
    results["cli_list_latency_ratio"] = cli_list_metric()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    misses = 0
    for name, metric in results.items():
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            met = {
                "<=": metric["value"] <= goal[1],
                ">=": metric["value"] >= goal[1],
                "==": metric["value"] == goal[1],
            }[goal[0]]
            verdict = f"goal {goal[0]} {goal[1]}: {'met' if met else 'MISSED'}"
            misses += not met
        print(f"{name:<36} {metric['value']:>10} {metric['unit']:<14} {verdict}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    progress(f"done in {time.perf_counter() - started:.0f} s")
    sys.exit(code)
