"""Fixtures every service test uses: an in-memory store and a clock that ticks."""

from __future__ import annotations

import pytest

from shared.adapters.memory import MemoryUnitOfWork
from tests.unit.services.helpers import TickingClock


@pytest.fixture
def store() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()
