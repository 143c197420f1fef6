"""retention-sweep (daily): Settings ``lead_retention_days`` erases the leads nothing happened to for
that many days and with no open work (CONTRACT §12), as of the instant the schedule fired for (the
event's ``time``; `closeloop schedule run retention-sweep --at T` drives it).

No run needs to finish the table: a run stops between pages before its time budget ends and saves
where it stopped; the ``retention-sweep-continue`` schedule (every 15 minutes, a no-op of one read
when nothing is left) carries on from there, as of the same instant, until every lead is visited.
"""

from __future__ import annotations

from typing import Any

from schedules.account_sweep import run_account_sweep
from shared.adapters.acting import on_schedule

NAME = "retention-sweep"


@on_schedule(NAME)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.adapters.container import container
    from shared.composition.services import retention

    records = container().personal_records

    def sweep(rules: Any, uow: Any, now: Any, **kwargs: Any) -> Any:
        return retention.sweep_retention(rules, uow, records, now, retention.PAGE_SIZE, **kwargs)

    return run_account_sweep(NAME, sweep, event, context)
