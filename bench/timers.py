"""Timer sweep cost with 100,000 pending timers of which 100 are due, over the embedded
DynamoDB; and calendar arithmetic throughput."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

PENDING, DUE = 100_000, 100
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load_timers(progress: Callable[[str], None]) -> None:
    from shared.adapters.dynamo.models import TimerItem
    from shared.adapters.dynamo.timers import timer_item
    from shared.domain.timers import Timer

    progress(f"timers: writing {PENDING:,} pending and {DUE} due timers (batch writes)")
    with TimerItem.batch_write() as batch:
        for n in range(PENDING + DUE):
            due = NOW - timedelta(seconds=n) if n < DUE else NOW + timedelta(minutes=1 + n % 100_000)
            batch.save(timer_item(Timer("bench", f"lead/ld_{n:06d}", due, {"n": n})))


def timer_metrics(progress: Callable[[str], None]) -> dict[str, Any]:
    from infra.local.aws import aws_env, create_resources, start_moto
    from infra.template import load_template
    from shared.adapters.dynamo.models import TimerItem, bind_tables
    from shared.adapters.dynamo.unit_of_work import DynamoUnitOfWork
    from shared.domain.events import Event
    from shared.services.ports import Change
    from shared.services.timers import sweep_timers

    port = _free_port()
    server = start_moto(port)
    saved = dict(os.environ)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        template = load_template()
        create_resources(template, endpoint, secrets={})
        os.environ.update(aws_env(endpoint, template))
        bind_tables()
        _load_timers(progress)
        read: list[int] = []
        client = TimerItem._get_connection().connection.client
        client.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: read.append(parsed["Count"]))
        client.meta.events.register("after-call.dynamodb.GetItem", lambda parsed, **_: read.append("Item" in parsed))

        def effect(timer: Any, now: datetime, uow: Any) -> Change:
            return Change(events=[Event("RenewalReminder", timer.about, now, {"n": timer.data["n"]})])

        progress("timers: one sweep")
        started = time.perf_counter()
        result = sweep_timers(NOW, DynamoUnitOfWork(), {"bench": effect})
        seconds = time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    fired = len(result.fired)
    return {
        "timer_sweep_items_read_per_due": {
            "value": round(sum(read) / max(fired, 1), 3),
            "unit": "items/timer",
            "note": f"items read by one sweep ({sum(read)}: due-index queries over 4 shards plus GetItems) ÷ "
            f"timers it fired ({fired}), with {PENDING:,} pending timers of which {DUE} due, embedded DynamoDB",
        },
        "timer_sweep_ms_per_due": {
            "value": round(seconds * 1000 / max(fired, 1), 2),
            "unit": "ms/timer",
            "note": "trend figure: one sweep's time per fired timer (4 due-index queries + one transaction "
            "each) over the embedded moto server. Most of it is moto, not the design: moto answers an index "
            "Query by scanning the whole table (about 2.8 s for 20,000 timers, 14 s for 100,000), while each "
            "firing transaction takes about 10 ms; DynamoDB reads only the due slice (items_read_per_due)",
        },
        "business_hours_add_per_second": business_hours_rate(progress),
    }


def business_hours_rate(progress: Callable[[str], None], count: int = 20_000) -> dict[str, Any]:
    from shared.domain.calendars import Calendar, add_business_time

    progress(f"calendars: {count:,} additions of 0.5–40 business hours")
    calendar = Calendar.from_rows(
        {
            "calendar": "cn-office",
            "timezone": "Asia/Shanghai",
            "workdays": "mon-fri",
            "start": "09:00",
            "end": "18:00",
            "breaks": "12:00-13:30",
            "holiday_country": "CN",
        }
    )
    starts = [NOW + timedelta(minutes=37 * n) for n in range(count)]
    started = time.perf_counter()
    for n, start in enumerate(starts):
        add_business_time(calendar, start, 0.5 + (n % 80) / 2)
    rate = count / (time.perf_counter() - started)
    return {
        "value": round(rate),
        "unit": "additions/s",
        "note": "trend figure: add_business_time on a Mon–Fri calendar with lunch and CN holidays, starts "
        "spread over a year, amounts 0.5–40 h (the per-day interval cache warms as it goes)",
    }
