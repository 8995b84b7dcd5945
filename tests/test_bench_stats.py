"""matrix.bench.stats: the figures the bench page shows are these functions' results; exact numbers."""
from __future__ import annotations

import pytest

from matrix.bench import stats


def test_median_odd_and_even_counts():
    assert stats.median([3.0, 1.0, 2.0]) == 2.0
    assert stats.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert stats.median([7.0]) == 7.0


def test_percentile_is_numpys_linear_default():
    values = [1.0, 2.0, 3.0, 4.0]  # numpy.percentile(values, q): 1.75, 2.5, 3.25, 1.0, 4.0
    assert stats.percentile(values, 25) == 1.75
    assert stats.percentile(values, 50) == 2.5
    assert stats.percentile(values, 75) == 3.25
    assert stats.percentile(values, 0) == 1.0 and stats.percentile(values, 100) == 4.0
    assert stats.percentile([10.0, 0.0, 5.0], 25) == 2.5  # sorted first


def test_percentile_refuses_nothing_and_out_of_range():
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1.0], 101)


def test_interleaving_alternates_which_era_goes_first():
    a, b = stats.PAIR
    assert stats.PAIR == ("legacy", "tensor_autograd")
    assert stats.interleaved_order(1) == [a, b]
    assert stats.interleaved_order(3) == [a, b, b, a, a, b]
    order = stats.interleaved_order(4)
    assert order.count(a) == order.count(b) == 4
    assert [order[2 * i] for i in range(4)] == [a, b, a, b]  # each era first in every other round
    assert stats.interleaved_order(0) == []


def test_ratio_of_medians_and_its_spread():
    legacy, twin = [2.0, 4.0, 6.0], [1.0, 2.0, 2.0]
    assert stats.ratio_of_medians(legacy, twin) == 2.0  # median 4 / median 2
    assert stats.ratio_spread(legacy, twin) == (2.0, 2.5)  # per-round ratios 2, 2, 3
    assert stats.ratio_spread([1.0], [2.0]) == (0.5, 0.5)


def test_ratio_spread_needs_paired_rounds():
    with pytest.raises(ValueError):
        stats.ratio_spread([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        stats.ratio_spread([], [])
