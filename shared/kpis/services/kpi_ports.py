"""The port the KPI services use: the rollup store (closeloop-kpis in AWS, a dict in unit tests)."""

from __future__ import annotations

from typing import Protocol

from shared.kpis.domain.kpi_rollups import RollupWrite, SubjectState


class AlreadyCounted(Exception):
    """An event's marker exists: it was counted before (a redelivery). Nothing was written."""

    def __init__(self, event_id: str) -> None:
        super().__init__(event_id)
        self.event_id = event_id


class KpiStore(Protocol):
    items_read: int  # rollup items read by queries so far (bench and tests count them)

    def state(self, key: str) -> SubjectState | None:
        """A lead's, case's or account's KPI facts and contribution (consistent read)."""
        ...

    def apply(self, write: RollupWrite) -> None:
        """Markers (none may exist: else AlreadyCounted naming the event), states (each at the
        version read: else StaleAggregate) and counter additions, all or nothing."""
        ...

    def items(self, scope: str, first: str, last: str) -> dict[str, dict[str, float]]:
        """The rollup items of one scope with period keys in [first, last]: key -> attributes."""
        ...
