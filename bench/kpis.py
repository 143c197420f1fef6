"""KPI query cost against the number of leads recorded.

A year of history with 100,000 leads (captured, assigned, touched, their SLA clocks, a third of
the mql leads reaching sql later, cases, opportunities, contracts) goes through the real rollup
path (shared.kpis.services.kpis.record_event, every event, in memory: ~40 µs an event); the rollup
items it produced are then written to closeloop-kpis in the embedded DynamoDB and a 90-day
GET /kpis query is run against them (DynamoKpiStore: real Queries, items counted as returned).

The 10× case (1,000,000 leads) is simulated by rollup count, not by recording 4 million events
(~3 minutes): rollups are additive, so ten times the leads over the same days, teams and owners
is the same items with every counter ×10; the query is then run again. More owners or teams
would add scope items that the unfiltered query does not read.
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

LEADS = 100_000
DAYS = 365
START = datetime(2025, 11, 24, 1, 0, tzinfo=UTC)
NOW = START + timedelta(days=DAYS)
OWNERS = {
    "u_wang": "SMB East",
    "u_zhang": "SMB East",
    "u_li": "SMB North",
    "u_zhao": "SMB North",
    "u_huang": "Enterprise",
    "u_qian": "Support",
    "u_song": "Support",
    "u_yang": "Support L2",
}
SALES, SUPPORT = list(OWNERS)[:5], list(OWNERS)[5:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def history(leads: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Envelopes of a year of business, oldest first, with the data keys the KPIs read."""
    from shared.kernel.domain.events import iso

    rnd = random.Random(seed)
    ids = iter(range(10**9))

    def env(event_type: str, subject: str, when: datetime, **data: Any) -> dict[str, Any]:
        return {"id": f"evt_{next(ids)}", "type": event_type, "time": iso(when), "subject": subject, "data": data}

    for n in range(leads):
        at = START + timedelta(seconds=n * DAYS * 86400 / leads)
        lead, owner = f"lead/ld_{n}", SALES[n % len(SALES)]
        grade = "sql" if rnd.random() < 0.4 else "mql"
        yield env("LeadCaptured", lead, at, grade=grade)
        yield env("LeadAssigned", lead, at, owner_id=owner, team=OWNERS[owner])
        if grade == "mql" and rnd.random() < 0.3:
            yield env("LeadMerged", lead, at + timedelta(days=rnd.randint(1, 20)), grade="sql")
        if rnd.random() < 0.8:
            touched = at + timedelta(hours=rnd.lognormvariate(0.5, 1.0))
            yield env("LeadFirstTouched", lead, touched, owner_id=owner, at=iso(touched), assigned_at=iso(at))
            kind = "SlaMet" if touched - at < timedelta(hours=4) else "SlaBreached"
            yield env(
                kind,
                lead,
                touched,
                kind="lead_first_touch",
                owner_id=owner,
                stopped_at=iso(touched),
                due_at=iso(touched),
            )
        if n % 5 == 0:
            case, agent = f"case/cs_{n}", SUPPORT[n % len(SUPPORT)]
            resolved = at + timedelta(hours=rnd.uniform(1, 48))
            yield env("CaseResolved", case, resolved, at=iso(resolved), owner_id=agent,
                      first_contact_resolution=rnd.random() < 0.7)  # fmt: skip
        if n % 20 == 0:
            outcome = "OpportunityWon" if rnd.random() < 0.35 else "OpportunityLost"
            closed = at + timedelta(days=rnd.uniform(5, 90))
            yield env(outcome, f"opportunity/op_{n}", closed, amount=rnd.randint(10, 500) * 1000, owner_id=owner,
                      team=OWNERS[owner], created_at=iso(at))  # fmt: skip
        if n % 100 == 0:
            start = (at + timedelta(days=30)).date()
            yield env("ContractSigned", f"contract/ct_{n}", at, contract_id=f"ct_{n}", account_id=f"ac_{n % 400}",
                      amount=rnd.randint(50, 900) * 1000, start_date=start.isoformat(),
                      end_date=(start + timedelta(days=364)).isoformat(), owner_id="u_huang")  # fmt: skip


def _rules() -> Any:
    from admin_sheets.parse import validate_source
    from shared.rules.domain.rules import RuleSet

    result = validate_source("dir:admin_sheets/examples")
    assert result.content is not None
    return RuleSet.from_content(result.content, "bench")


def _write(client: Any, table: str, rollups: dict[str, dict[str, dict[str, float]]], scale: int) -> int:
    items = []
    for scope, periods in rollups.items():
        for period, attrs in periods.items():
            item = {"pk": {"S": scope}, "sk": {"S": period}}
            item.update({a: {"N": repr(round(v * scale, 6))} for a, v in attrs.items()})
            items.append({"PutRequest": {"Item": item}})
    for i in range(0, len(items), 25):
        client.batch_write_item(RequestItems={table: items[i : i + 25]})
    return len(items)


def kpi_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    import boto3

    from infra.local.aws import aws_env, create_resources, start_moto
    from infra.template import load_template
    from shared.adapters.dynamo.kpis import DynamoKpiStore
    from shared.adapters.kpi_memory import MemoryKpiStore
    from shared.kernel.services.retry import ConflictRetry, no_wait
    from shared.kpis.services.kpis import kpi_report, record_event

    rules, memory, retry = _rules(), MemoryKpiStore(), ConflictRetry(sleep=no_wait)
    progress(f"kpis: {LEADS:,} leads' year of events through the rollups (in memory)")
    started, events = time.perf_counter(), 0
    for envelope in history(LEADS):
        record_event(envelope, memory, rules, retry)
        events += 1
    seconds = time.perf_counter() - started
    port, saved = _free_port(), dict(os.environ)
    server = start_moto(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        template = load_template()
        create_resources(template, endpoint, secrets={})
        os.environ.update(aws_env(endpoint, template))
        client = boto3.client("dynamodb")
        store = DynamoKpiStore("closeloop-dev-kpis", client)
        window = {"from": (NOW - timedelta(days=90)).date().isoformat(), "to": NOW.date().isoformat()}
        written = _write(client, "closeloop-dev-kpis", memory.rollups, 1)
        progress(f"kpis: {written:,} rollup items written; a 90-day query")
        at_1x = kpi_report(window, store, rules, NOW)
        _write(client, "closeloop-dev-kpis", memory.rollups, 10)
        at_10x = kpi_report(window, store, rules, NOW)
        team = kpi_report({**window, "team": "SMB East"}, store, rules, NOW)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    assert at_10x["kpis"]["mql_to_sql_rate"]["denominator"] == 10 * at_1x["kpis"]["mql_to_sql_rate"]["denominator"]
    read_1x, read_10x = at_1x["items_read"], at_10x["items_read"]
    return {
        "kpi_query_items_read": {
            "value": read_1x,
            "unit": "items",
            "note": f"rollup items one GET /kpis reads for a 90-day window ({window['from']} to {window['to']}) "
            f"after {LEADS:,} leads ({events:,} events, {seconds:.0f} s through the real rollup path, in memory) "
            f"were recorded; {written:,} rollup items in all, written to the embedded DynamoDB and read by real "
            f"Queries: the window's days plus the months and days before it (contract value live at from). One team: "
            f"{team['items_read']} items",
        },
        "kpi_query_items_ratio_10x": {
            "value": round(read_10x / read_1x, 3),
            "unit": "ratio",
            "note": f"items read at 1,000,000 leads ({read_10x}) ÷ at 100,000 ({read_1x}); the 10x history is "
            "simulated by rollup count (the same day items with every counter x10: rollups are additive), not by "
            "recording 4 million events",
        },
        "kpi_rollup_events_per_second": {
            "value": round(events / seconds),
            "unit": "events/s",
            "note": "trend figure: record_event (read, plan, apply) per second over the in-memory store, one "
            "process; in AWS each is one DynamoDB transaction",
        },
    }
