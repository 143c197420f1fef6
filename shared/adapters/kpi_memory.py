"""The KPI rollup store in memory, with the DynamoDB store's semantics (unit tests, the bench)."""

from __future__ import annotations

import copy
import threading
from collections import defaultdict

from shared.kernel.services.ports import StaleAggregate
from shared.kpis.domain.kpi_rollups import RollupWrite, SubjectState
from shared.kpis.services.kpi_ports import AlreadyCounted


class MemoryKpiStore:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.states: dict[str, SubjectState] = {}
        self.rollups: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)  # scope -> period -> attrs
        self.items_read = 0
        self.applied = 0
        self._lock = threading.Lock()

    def state(self, key: str) -> SubjectState | None:
        return copy.deepcopy(self.states.get(key))

    def apply(self, write: RollupWrite) -> None:
        with self._lock:  # every condition first, then every write: all or nothing
            for event_id in write.event_ids:
                if event_id in self.seen:
                    raise AlreadyCounted(event_id)
            for state, expected in write.states:
                stored = self.states.get(state.key)
                if (stored.version if stored else 0) != expected:
                    raise StaleAggregate(state.key)
            for state, _ in write.states:
                self.states[state.key] = copy.deepcopy(state)
            self.seen.update(write.event_ids)
            for (scope, period), attrs in write.updates.items():
                item = self.rollups[scope].setdefault(period, {})
                for attr, amount in attrs.items():
                    item[attr] = item.get(attr, 0.0) + amount
            self.applied += 1

    def items(self, scope: str, first: str, last: str) -> dict[str, dict[str, float]]:
        found = {k: dict(v) for k, v in self.rollups.get(scope, {}).items() if first <= k <= last}
        self.items_read += len(found)
        return found
