"""A stand-in stream consumer for the plumbing tests (named by Handler in their templates).

Behaviour is chosen per item id: "fail_once" reports the record as a batch item failure the
first time, "raise" makes every delivery holding it raise.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
deliveries: list[list[dict[str, Any]]] = []  # one entry per invocation: its records
contexts: list[Any] = []
behaviour: dict[str, str] = {}
_failed_once: set[str] = set()


def reset(**item_behaviour: str) -> None:
    with _lock:
        deliveries.clear()
        contexts.clear()
        behaviour.clear()
        behaviour.update(item_behaviour)
        _failed_once.clear()


def item_id(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["id"]["S"])


def delivered_ids() -> list[list[str]]:
    with _lock:
        return [[item_id(r) for r in batch] for batch in deliveries]


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with _lock:
        deliveries.append(list(event["Records"]))
        contexts.append(context)
        ids = [item_id(r) for r in event["Records"]]
        if any(behaviour.get(i) == "raise" for i in ids):
            raise RuntimeError("poison record")
        failures = []
        for record, record_id in zip(event["Records"], ids, strict=True):
            if behaviour.get(record_id) == "fail_once" and record_id not in _failed_once:
                _failed_once.add(record_id)
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
