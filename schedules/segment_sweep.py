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

from schedules.account_sweep import run_account_sweep
from shared.adapters.acting import on_schedule

NAME = "segment-sweep"


@on_schedule(NAME)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from shared.customers.services import segments

    def sweep(rules: Any, uow: Any, now: Any, **kwargs: Any) -> Any:
        return segments.sweep_segments(rules, uow, now, segments.PAGE_SIZE, **kwargs)

    return run_account_sweep(NAME, sweep, event, context)
