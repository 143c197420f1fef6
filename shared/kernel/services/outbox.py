"""sweep_outbox: publish every event still pending after the stream had its chance, each on its
own (CONTRACT §13): an event the bus refuses is noted and the sweep goes on; the third refusal
sets it aside; throttling leaves it pending uncounted; the sweep stops before its time budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.kernel.services.ports import Throttled

SAFETY_SECONDS = 5.0  # stop this long before the budget ends: one more publish and its mark


class Outbox(Protocol):
    def pending(self, before: str, limit: int = 500) -> list[dict[str, Any]]: ...  # envelopes
    def publish(self, envelope: dict[str, Any]) -> bool: ...  # True when sent now
    def note_failure(self, event_id: str, error: str) -> bool: ...  # True when set aside


@dataclass
class OutboxSweep:
    pending: int = 0
    published: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # event id -> error class
    set_aside: list[str] = field(default_factory=list)
    busy: int = 0
    stopped_early: bool = False

    def summary(self) -> dict[str, int]:
        return {
            "pending": self.pending,
            "published": self.published,
            "failed": len(self.failed),
            "set_aside": len(self.set_aside),
            "busy": self.busy,
            "stopped_early": int(self.stopped_early),
        }


def sweep_outbox(
    outbox: Outbox,
    before: str,
    time_left: Callable[[], float] | None = None,
    is_load: Callable[[Exception], bool] = lambda _exc: False,
) -> OutboxSweep:
    envelopes = outbox.pending(before=before)
    result = OutboxSweep(pending=len(envelopes))
    for envelope in envelopes:
        if time_left is not None and time_left() < SAFETY_SECONDS:
            result.stopped_early = True
            break
        try:
            result.published += int(outbox.publish(envelope))
        except Throttled:
            result.busy += 1
        except Exception as exc:  # this event's own failure: noted on it, never the sweep's
            if is_load(exc):  # AWS's own fault outlasted its retries: the next run tries again
                result.busy += 1
                continue
            result.failed[envelope["id"]] = type(exc).__name__
            _note(outbox, envelope["id"], f"{type(exc).__name__}: {exc}", result)
    return result


def _note(outbox: Outbox, event_id: str, error: str, result: OutboxSweep) -> None:
    try:
        if outbox.note_failure(event_id, error):
            result.set_aside.append(event_id)
    except Exception:
        return
