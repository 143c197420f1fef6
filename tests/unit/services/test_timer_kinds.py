"""Every kind of timer the code can set has exactly one handler, and every handler a kind
(shared/time/domain/timers.py TimerKind): a timer nobody can fire would be set aside forever."""

from __future__ import annotations

from shared.composition.services.timer_handlers import handlers
from shared.time.domain.timers import TIMER_KINDS


class _NoRules:
    def current(self) -> None:
        raise AssertionError("building the registry reads no rules")


def test_each_timer_kind_has_its_handler_and_each_handler_a_kind() -> None:
    registry = handlers(_NoRules())  # type: ignore[arg-type]
    assert sorted(registry) == sorted(TIMER_KINDS)
