"""One retry policy for lost races, with the sleep injected (tests count attempts, never wait)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from shared.services.ports import ConcurrentChange

T = TypeVar("T")

MAX_ATTEMPTS = 60  # contention on one person or one owner resolves long before this


@dataclass
class ConflictRetry:
    """Run an attempt again while it loses a race; back off with jitter so racers spread out."""

    attempts: int = MAX_ATTEMPTS
    base_seconds: float = 0.005
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform
    tries: int = field(default=0, init=False)  # attempts made over this policy's life (for tests)

    def run(self, attempt: Callable[[], T], give_up: Callable[[], Exception]) -> T:
        for number in range(self.attempts):
            self.tries += 1
            try:
                return attempt()
            except ConcurrentChange:
                self.sleep(self.jitter(0, self.base_seconds * min(number + 1, 10)))
        raise give_up()


def no_wait(_seconds: float) -> None:
    """The sleep of in-memory tests: a retry happens at once."""
