"""One retry policy, with the sleep and the clock injected (tests count attempts, never wait).

Faults are told apart (CONTRACT §13): a lost race (:class:`ConcurrentChange`) is read again at
once with a little jitter; throttling (:class:`Throttled`) backs off exponentially with full
jitter until the request's time budget is spent, then answers :class:`Busy` (503, Retry-After);
anything else — a refused write is a bug — is not retried at all.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from shared.kernel.domain.errors import Busy
from shared.kernel.services.ports import ConcurrentChange, Throttled

T = TypeVar("T")

MAX_ATTEMPTS = 60  # contention on one person or one owner resolves long before this
THROTTLE_BUDGET_SECONDS = 3.0  # a webhook sender waits this long at most before hearing "busy"
THROTTLE_BASE_SECONDS = 0.05
THROTTLE_CAP_SECONDS = 1.0


@dataclass
class ConflictRetry:
    """Run an attempt again while it loses a race or is throttled, each with its own back-off."""

    attempts: int = MAX_ATTEMPTS
    base_seconds: float = 0.005
    throttle_budget_seconds: float = THROTTLE_BUDGET_SECONDS
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform
    tries: int = field(default=0, init=False)  # attempts made over this policy's life (for tests)
    throttled: int = field(default=0, init=False)  # throttled attempts over its life (for tests)

    def run(self, attempt: Callable[[], T], give_up: Callable[[], Exception]) -> T:
        waited = 0.0  # seconds slept for throttling in this run
        throttles = 0
        throttled_last = False
        for number in range(self.attempts):
            self.tries += 1
            try:
                return attempt()
            except Throttled:
                self.throttled += 1
                throttled_last = True
                pause = self.jitter(0, min(THROTTLE_CAP_SECONDS, THROTTLE_BASE_SECONDS * 2**throttles))
                throttles += 1
                if waited + pause > self.throttle_budget_seconds:
                    raise Busy() from None
                waited += pause
                self.sleep(pause)
            except ConcurrentChange:
                throttled_last = False
                self.sleep(self.jitter(0, self.base_seconds * min(number + 1, 10)))
        raise Busy() if throttled_last else give_up()


def no_wait(_seconds: float) -> None:
    """The sleep of in-memory tests: a retry happens at once."""
