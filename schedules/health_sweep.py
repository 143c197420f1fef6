"""health-sweep (daily): recompute every account's health as of the instant the schedule fired
for (the event's ``time``; `closeloop schedule run health-sweep --at T` drives it).

Time alone moves health — an invoice falls overdue, activity ages out of its 30 days — so once a
day each account is recomputed and its trend gets the day's point; an account that newly fell
below a threshold gets its ``HealthWarning`` (once: not again while it stays below).

No run needs to finish the table: a run stops between pages before its time budget ends and
saves where it stopped; the ``health-sweep-continue`` schedule (every 15 minutes, a no-op of one
read when nothing is left) carries on from there, as of the same instant, until every account
is done.
"""

from __future__ import annotations

from typing import Any

from schedules.account_sweep import run_account_sweep
from shared.adapters.acting import on_schedule

NAME = "health-sweep"


@on_schedule(NAME)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.customers.services import health

    def sweep(rules: Any, uow: Any, now: Any, **kwargs: Any) -> Any:
        return health.sweep_health(rules, uow, now, health.PAGE_SIZE, **kwargs)

    return run_account_sweep(NAME, sweep, event, context)
