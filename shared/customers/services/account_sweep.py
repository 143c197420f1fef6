"""The one sweep over every account (health-sweep, segment-sweep): a page of accounts at a time
(paged_sweep), each account's own work isolated — one that cannot be written is counted as failed
and the rest go on — and tallied: written, unchanged, and what the writes counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.customers.domain.accounts import Account
from shared.customers.services.ports import CustomersWork
from shared.kernel.services.paged_sweep import ITEM_FAULTS, sweep_pages


@dataclass
class AccountTally:
    accounts: int = 0
    updated: int = 0
    unchanged: int = 0
    counted: int = 0  # what the writes counted (health warnings, segment changes)
    failed: list[str] = field(default_factory=list)  # account ids that could not be written
    next_after: str | None = None  # where the next run carries on (the time budget ran out), else None


def sweep_accounts(
    uow: CustomersWork,
    one: Callable[[Account], int | None],
    page_size: int,
    after: str | None,
    time_left: Callable[[], float] | None,
) -> AccountTally:
    """``one(account)`` for every account from the one after ``after``: None when it wrote
    nothing, else what its write counted."""
    tally = AccountTally()

    def visit(account: Account) -> None:
        tally.accounts += 1
        try:
            outcome = one(account)
        except ITEM_FAULTS:
            tally.failed.append(account.account_id)
            return
        if outcome is None:
            tally.unchanged += 1
        else:
            tally.updated += 1
            tally.counted += outcome

    tally.next_after = sweep_pages(lambda start: uow.accounts.page(page_size, start), visit, after, time_left)
    return tally
