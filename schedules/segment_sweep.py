"""segment-sweep (daily): every account's RFM and segment as of the instant the schedule fired for
(the event's ``time``; `closeloop schedule run segment-sweep --at T` drives it), CONTRACT §15.

Time alone moves an account's segment — R grows every day, orders age out of
``rfm_window_days`` — so once a day each account is recomputed from the ledger of orders it keeps
(one item read per account); a change of segment records ``AccountSegmentChanged`` and alerts the
new row's ``notify`` roles, in the account's own transaction.

No run needs to finish the table: a run stops between pages before its time budget ends and
saves where it stopped; the ``segment-sweep-continue`` schedule (every 15 minutes, a no-op of one
read when nothing is left) carries on from there, as of the same instant, until every account
is done.
"""

from __future__ import annotations

from typing import Any

NAME = "segment-sweep"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from schedules.timer_sweep import time_left
    from shared.adapters.container import container, utc_now
    from shared.adapters.observability import logger
    from shared.domain.events import iso, parse_iso
    from shared.services import segments
    from shared.services.ports import SweepCursor

    c = container()
    after = None
    if event.get("continue"):  # the continuation schedule: carry on where a run stopped, if one did
        cursor = c.sweeps.get(NAME)
        if cursor is None or cursor.after is None:
            return {"continued": False}
        now, after = cursor.at, cursor.after
    else:
        now = parse_iso(event["time"]) if event.get("time") else utc_now()
    report = segments.sweep_segments(
        c.rules.current(), c.uow, now, segments.PAGE_SIZE, after=after, time_left=time_left(context)
    )
    c.sweeps.save(NAME, SweepCursor(now, report.next_after))
    summary = {**report.summary(), "at": iso(now), "continued": after is not None}
    if report.failed:  # the next run (or the account's next order) tries them again
        logger().error("segment-sweep could not write some accounts", extra=summary)
    else:
        logger().info("segment-sweep finished" if report.next_after is None else "segment-sweep paused", extra=summary)
    return summary
