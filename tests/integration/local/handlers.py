"""Stand-in functions for the trigger tests (named by Handler in their templates): each records
the events it was invoked with.

Queue messages behave by body: "fail_once" is reported as a batch item failure the first
time, "fail" every time; "raise_once" makes the first delivery holding it raise. A bus event
whose detail has "fail": true makes the function raise.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
invocations: dict[str, list[Any]] = {"queue": [], "bus": [], "schedule": []}
_seen: set[str] = set()


def reset() -> None:
    with _lock:
        for events in invocations.values():
            events.clear()
        _seen.clear()


def bodies() -> list[list[str]]:
    """The message bodies of each queue invocation, in order."""
    with _lock:
        return [[r["body"] for r in event["Records"]] for event in invocations["queue"]]


def _first_time(key: str) -> bool:
    if key in _seen:
        return False
    _seen.add(key)
    return True


def on_queue(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        invocations["queue"].append(event)
        records = event["Records"]
        if any(r["body"] == "raise_once" and _first_time(r["messageId"]) for r in records):
            raise RuntimeError("raise_once")
        failed = [
            r["messageId"]
            for r in records
            if r["body"] == "fail" or (r["body"] == "fail_once" and _first_time(r["messageId"]))
        ]
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


def on_event(event: dict[str, Any], context: Any) -> None:
    with _lock:
        invocations["bus"].append(event)
    if isinstance(event.get("detail"), dict) and event["detail"].get("fail"):
        raise ValueError("this event always fails")


def on_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        invocations["schedule"].append(event)
    return {"fired_at": event.get("time") if isinstance(event, dict) else None}
