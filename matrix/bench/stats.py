"""The bench's statistics: medians, percentiles, the interleaving order and ratios (pure functions).

Medians and quartiles rather than means and standard deviations: on a shared machine a run now and
then takes far longer (another process got the core), and one such run must not move the figure.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

#: The two eras whose runs are interleaved for the shims' cost: the legacy variant and its twin.
PAIR = ("legacy", "tensor_autograd")


def median(values: Sequence[float]) -> float:
    """The median of ``values`` (the mean of the middle two for an even count); needs one value."""
    return percentile(values, 50)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation between the closest ranks: NumPy's
    default (``numpy.percentile(values, q)``), so that anyone can check a figure with it."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0-100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def interleaved_order(rounds: int, pair: Tuple[str, str] = PAIR) -> List[str]:
    """The runs of ``rounds`` rounds, A then B in even rounds and B then A in odd ones (ABBA ABBA ...):
    a drift in the machine's speed (another engineer's job starting) then weighs on both alike, and
    neither always runs right after the other's warm-up of the disk cache."""
    a, b = pair
    order: List[str] = []
    for i in range(rounds):
        order += [a, b] if i % 2 == 0 else [b, a]
    return order


def ratio_of_medians(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """``median(numerator) / median(denominator)``."""
    return median(numerator) / median(denominator)


def ratio_spread(numerator: Sequence[float], denominator: Sequence[float]) -> Tuple[float, float]:
    """The 25th and 75th percentiles of the per-round ratios ``numerator[i] / denominator[i]``: how far
    one round's comparison strays from another's (the runs of one round ran next to each other)."""
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError("ratio_spread needs two lists of the same, non-zero length")
    ratios = [n / d for n, d in zip(numerator, denominator)]
    return percentile(ratios, 25), percentile(ratios, 75)
