"""A mergeable sketch for medians: counts in fixed log-scale buckets, never the raw values.

A KPI median (first touch hours, sales cycle days, approval hours, invoice lead days) is kept as
counts per bucket per day. Buckets are the same everywhere, so days, teams and owners merge by
adding counts, and a window's median is read from the merged counts.

Precision: bucket ``i`` holds values in ``[FLOOR·R^i, FLOOR·R^(i+1))`` with ``R = 2^(1/8)``
(each bucket ~9.05% wide); the median is reported as the bucket's geometric midpoint, so it is
within ``R^(1/2) − 1`` ≈ 4.4% of the true median's bucket-mate — exact to the bucket width.
Values below ``FLOOR`` (0.01 of the unit: 36 s for hours, 14.4 min for days) share bucket
``z`` and read as 0. With an even count the median is the mean of the two middle buckets'
midpoints, as the plain median averages the two middle values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

RATIO = 2 ** (1 / 8)
FLOOR = 0.01
ZERO = "z"  # the bucket of values below FLOOR
MAX_INDEX = 400  # FLOOR·R^400 ≈ 1.2e13 units: nothing real is beyond it
HALF_WIDTH = math.sqrt(RATIO) - 1  # the worst relative error of a reported median


def bucket_of(value: float) -> str:
    """The bucket name of a non-negative value (ValueError for a negative or non-finite one)."""
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a duration must be a finite number ≥ 0, not {value!r}")
    if value < FLOOR:
        return ZERO
    index = math.floor(math.log(value / FLOOR) / math.log(RATIO) + 1e-9)
    return str(min(index, MAX_INDEX))


def midpoint(bucket: str) -> float:
    """The value a bucket stands for: its geometric midpoint (0 for the zero bucket)."""
    if bucket == ZERO:
        return 0.0
    return float(FLOOR * RATIO ** (int(bucket) + 0.5))


def _order(bucket: str) -> int:
    return -1 if bucket == ZERO else int(bucket)


def median(counts: Mapping[str, int]) -> float | None:
    """The median of the values counted (None when there are none)."""
    ordered = sorted(((b, n) for b, n in counts.items() if n > 0), key=lambda item: _order(item[0]))
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    low_rank, high_rank = (total + 1) // 2, total // 2 + 1  # 1-based ranks of the middle value(s)
    low = high = None
    seen = 0
    for bucket, n in ordered:
        seen += n
        if low is None and seen >= low_rank:
            low = midpoint(bucket)
        if seen >= high_rank:
            high = midpoint(bucket)
            break
    assert low is not None and high is not None
    return low if total % 2 else (low + high) / 2


def at_or_below(counts: Mapping[str, int], value: float) -> int:
    """How many values fall in buckets up to the one ``value`` is in (the median's numerator)."""
    limit = _order(bucket_of(value))
    return sum(n for b, n in counts.items() if _order(b) <= limit)
