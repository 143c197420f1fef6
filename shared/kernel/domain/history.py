"""Histories that stay within one item: the newest entries whole, the oldest summarised.

An aggregate is one DynamoDB item (400 KB at most), so a history that only grows would one day
make it unwritable. :func:`keep_newest` keeps the newest ``keep`` entries and folds the rest
into a summary: how many, how many of each ``type``, the first and last ``at``. The events a
change published stay in the event log whole.
"""

from __future__ import annotations

from typing import Any

Summary = dict[str, Any]


def fold(summary: Summary | None, entries: list[dict[str, Any]]) -> Summary | None:
    """``summary`` with ``entries`` (oldest first) added to it."""
    if not entries:
        return summary
    result: Summary = dict(summary or {"entries": 0, "by_type": {}, "first_at": None, "last_at": None})
    by_type = dict(result["by_type"])
    for entry in entries:
        kind = str(entry.get("type") or entry.get("status") or "other")
        by_type[kind] = by_type.get(kind, 0) + 1
    at = [str(e["at"]) for e in entries if e.get("at")]
    result["entries"] = int(result["entries"]) + len(entries)
    result["by_type"] = by_type
    result["first_at"] = result["first_at"] or (min(at) if at else None)
    result["last_at"] = max([*at, *([result["last_at"]] if result["last_at"] else [])], default=None)
    return result


def keep_newest(
    history: list[dict[str, Any]], summary: Summary | None, keep: int
) -> tuple[list[dict[str, Any]], Summary | None]:
    """(the newest ``keep`` entries, the summary with the older ones folded in)."""
    if len(history) <= keep:
        return history, summary
    cut = len(history) - keep
    return history[cut:], fold(summary, history[:cut])


def recorded(history: list[dict[str, Any]], summary: Summary | None) -> int:
    """How many entries were ever recorded (kept and summarised)."""
    return len(history) + (int(summary["entries"]) if summary else 0)


__all__ = ["Summary", "fold", "keep_newest", "recorded"]
