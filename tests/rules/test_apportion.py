"""Apportioning cells over areas: sums to N, at least one each, each within one of its exact share."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.rules.apportion import apportion

sizes = st.lists(
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


@given(sizes, st.integers(min_value=0, max_value=5000))
def test_shares_sum_to_n_each_at_least_one_and_within_one_of_the_quota(weights, extra):
    total = len(weights) + extra
    shares = apportion(total, weights)
    assert sum(shares) == total
    assert all(s >= 1 for s in shares)
    exact = [Fraction(w) for w in weights]
    quotas = [total * w / sum(exact) for w in exact]
    for s, q in zip(shares, quotas, strict=True):
        assert s <= max(1, math.ceil(q))  # never more than its quota rounded up
        if min(quotas) >= 1:  # every part's quota reachable: each within 1 of it
            assert abs(s - q) < 1


@given(
    st.lists(st.floats(min_value=1.0, max_value=1e6), min_size=1, max_size=40),
    st.integers(min_value=1, max_value=20),
)
def test_parts_of_comparable_size_are_each_within_one_of_their_quota(weights, scale):
    """With N at least the parts' number times their size ratio, every quota is 1 or more."""
    total = int(len(weights) * max(weights) / min(weights)) * scale + len(weights)
    shares = apportion(total, weights)
    exact = [Fraction(w) for w in weights]
    quotas = [total * w / sum(exact) for w in exact]
    assert min(quotas) >= 1
    assert all(abs(s - q) < 1 for s, q in zip(shares, quotas, strict=True))


@given(sizes, st.integers(min_value=0, max_value=500))
def test_a_larger_area_never_gets_fewer_cells_than_a_smaller_one_by_more_than_one(weights, extra):
    total = len(weights) + extra
    shares = apportion(total, weights)
    pairs = sorted(zip(weights, shares, strict=True))
    assert all(b[1] >= a[1] - 1 for a, b in itertools.pairwise(pairs))


def test_largest_remainder_examples():
    # quotas 3.5, 2.5, 1.0 (ties by order) and 654 over five made-up streets
    assert apportion(7, [3.5, 2.5, 1.0]) == [4, 2, 1]
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(3, [100, 1, 1]) == [1, 1, 1]
    assert apportion(3, [1, 1, 5]) == [1, 1, 1]  # quotas 3/7, 3/7, 15/7: one each, the only way
    assert sum(apportion(654, [5.1, 3.3, 2.2, 8.0, 1.4])) == 654


@pytest.mark.parametrize(
    ("total", "weights", "words"),
    [
        (2, [1, 1, 1], "2 cells cannot cover 3 areas"),
        (5, [], "nothing to share out"),
        (5, [1, 0], "positive, finite size"),
        (5, [1, float("nan")], "positive, finite size"),
    ],
)
def test_impossible_shares_are_refused(total, weights, words):
    with pytest.raises(InvalidInput, match=words):
        apportion(total, weights)
