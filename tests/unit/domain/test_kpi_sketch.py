"""The median sketch: fixed log buckets, mergeable by adding counts, exact to the bucket width."""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.kpis.domain import kpi_sketch as sketch


def counts(values: list[float]) -> Counter[str]:
    return Counter(sketch.bucket_of(v) for v in values)


@given(st.lists(st.floats(min_value=0.01, max_value=1e6), min_size=1, max_size=60))
def test_the_median_is_within_half_a_bucket_of_the_true_median(values: list[float]) -> None:
    estimate = sketch.median(counts(values))
    low, high = sorted(values)[(len(values) - 1) // 2], sorted(values)[len(values) // 2]
    # each middle value is read as its bucket's midpoint: at most HALF_WIDTH (≈4.4%) off
    assert estimate is not None
    assert low / (1 + sketch.HALF_WIDTH) * 0.999 <= estimate <= high * (1 + sketch.HALF_WIDTH) * 1.001
    if len(values) % 2:
        assert abs(estimate - statistics.median(values)) <= statistics.median(values) * sketch.HALF_WIDTH * 1.001


@given(
    st.lists(st.floats(min_value=0, max_value=1e5), max_size=40),
    st.lists(st.floats(min_value=0, max_value=1e5), max_size=40),
)
def test_sketches_merge_by_adding_counts(a: list[float], b: list[float]) -> None:
    assert sketch.median(counts(a) + counts(b)) == sketch.median(counts(a + b))


def test_values_under_the_floor_read_as_zero_and_negative_ones_are_refused() -> None:
    assert sketch.bucket_of(0) == sketch.ZERO and sketch.median({sketch.ZERO: 3}) == 0
    with pytest.raises(ValueError):
        sketch.bucket_of(-1)
    with pytest.raises(ValueError):
        sketch.bucket_of(float("nan"))


def test_an_even_count_averages_the_two_middle_buckets() -> None:
    estimate = sketch.median(counts([1.0, 3.0]))
    assert estimate is not None and abs(estimate - 2.0) < 2.0 * sketch.HALF_WIDTH


def test_no_values_no_median() -> None:
    assert sketch.median({}) is None and sketch.median({"3": 0}) is None


def test_bucket_width_is_the_documented_precision() -> None:
    assert 0.04 < sketch.HALF_WIDTH < 0.045
    assert sketch.bucket_of(1.0) != sketch.bucket_of(1.0 * sketch.RATIO * 1.0001)
