"""The one paged, resumable sweep over a table (health-sweep, segment-sweep, retention-sweep):
a page of items at a time from the item after ``after``, each visited in turn, stopping between
pages when ``time_left`` runs low and saying where the next run carries on. Each sweep isolates
its own items (``ITEM_FAULTS``): one bad item is counted as failed and the rest go on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.kernel.domain.errors import CloseloopError
from shared.kernel.services.ports import ConcurrentChange

SAFETY_SECONDS = 60.0  # stop between pages this long before the budget ends (a page takes seconds)
# what one item's work may raise without stopping the sweep: a lost race after every retry, a bad item
ITEM_FAULTS: tuple[type[Exception], ...] = (
    CloseloopError,
    ConcurrentChange,
    KeyError,
    TypeError,
    ValueError,
    ArithmeticError,
)

Item = TypeVar("Item")


def sweep_pages(
    read_page: Callable[[str | None], tuple[list[Item], str | None]],
    visit: Callable[[Item], None],
    after: str | None = None,
    time_left: Callable[[], float] | None = None,
) -> str | None:
    """Visit every item from the one after ``after``; None when the table is done, else where the
    next run carries on (the time budget ran low after at least one item)."""
    visited = 0
    while True:
        if time_left is not None and time_left() < SAFETY_SECONDS and visited:  # asked before every page
            return after
        items, after = read_page(after)
        for item in items:
            visited += 1
            visit(item)
        if after is None:
            return None
