"""Time's ports: the timer repository and the unit of work the timer sweep commits through."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.kernel.services.ports import UnitOfWork
from shared.time.domain.timers import Timer


class TimerRepository(Protocol):
    def due(self, now: datetime, limit: int) -> list[Timer]: ...  # due at or before now, soonest first
    def pending(self, about: str | None = None) -> list[Timer]: ...  # soonest first, not set aside
    def failed(self) -> list[Timer]: ...  # set aside after failing, oldest due first
    def get(self, timer_id: str) -> Timer | None: ...


class TimersWork(UnitOfWork, Protocol):
    """The unit of work with the timers."""

    @property
    def timers(self) -> TimerRepository: ...
