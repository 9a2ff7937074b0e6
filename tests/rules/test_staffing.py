"""Spreading wardens: counts add up, every cell staffed, groups balanced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.rules.staffing import contiguous_groups, spread_wardens


@settings(max_examples=100, deadline=None)
@given(areas=st.lists(st.floats(1, 1e6), min_size=1, max_size=60), extra=st.integers(0, 200))
def test_spread_wardens_staffs_every_cell_and_favours_large_ones(areas, extra):
    areas = np.array(areas)
    counts = spread_wardens(areas, len(areas) + extra)
    assert counts.sum() == len(areas) + extra and counts.min() >= 1
    # no cell could give a warden to a cell with more area per warden and still keep one
    per = areas / counts
    donors = counts > 1
    if donors.any():
        assert per.max() <= (areas[donors] / (counts[donors] - 1)).min() * (1 + 1e-9)


@settings(max_examples=100, deadline=None)
@given(nx=st.integers(2, 30), ny=st.integers(2, 30), data=st.data())
def test_contiguous_groups_are_balanced(nx, ny, data):
    n = nx * ny
    groups_wanted = data.draw(st.integers(1, max(1, n // 4)))
    x, y = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float))
    area = np.ones(n)
    group = contiguous_groups(x.ravel(), y.ravel(), area, groups_wanted)
    sizes = np.bincount(group, minlength=groups_wanted)
    assert (sizes > 0).all() and len(sizes) == groups_wanted
    assert sizes.max() / sizes.min() <= 1.3 or sizes.max() - sizes.min() <= 1


def test_workload_is_weight_times_rounds_when_the_plan_has_weights():
    from gridmgr.rules.staffing import cell_workload

    area = np.array([100.0, 400.0, 900.0])
    rounds = np.array([3, 5, 0])  # no schedule counts as one round
    np.testing.assert_array_equal(cell_workload(area, None, rounds), area)  # as before: area
    got = cell_workload(area, np.array([40.0, 10.0, 0.0]), rounds)
    assert got[0] == 120.0 and got[1] == 50.0
    assert 0 < got[2] < 1e-3  # a cell with no households still counts a little, never nothing
