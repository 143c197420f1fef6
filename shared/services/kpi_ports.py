"""The port the KPI services use: the rollup store (closeloop-kpis in AWS, a dict in unit tests)."""

from __future__ import annotations

from typing import Protocol

from shared.domain.kpi_rollups import RollupWrite, SubjectState


class AlreadyCounted(Exception):
    """The event's marker exists: it was counted before (a redelivery). Nothing was written."""


class KpiStore(Protocol):
    items_read: int  # rollup items read by queries so far (bench and tests count them)

    def state(self, key: str) -> SubjectState | None:
        """A lead's, case's or account's KPI facts and contribution (consistent read)."""
        ...

    def apply(self, write: RollupWrite) -> None:
        """Marker (must not exist: else AlreadyCounted), state (at the version read: else
        StaleAggregate) and counter additions, all or nothing."""
        ...

    def items(self, scope: str, first: str, last: str) -> dict[str, dict[str, float]]:
        """The rollup items of one scope with period keys in [first, last]: key -> attributes."""
        ...
