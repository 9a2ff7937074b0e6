"""Equal-area bisection: exact counts and equal areas also for slivers far from the origin."""

from __future__ import annotations

import math

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.bisection import equal_area_cells


def sliver(x: float, y: float, length: float, height: float, apex: float, turn: float):
    """A thin triangle `length` long and `height` high, turned by `turn` radians, at (x, y)."""
    c, s = math.cos(turn), math.sin(turn)
    pts = [(0.0, 0.0), (length, 0.0), (apex * length, height)]
    return shapely.Polygon([(x + px * c - py * s, y + px * s + py * c) for px, py in pts])


def test_a_sliver_far_from_the_origin_splits_in_three():
    # was "no cut found": a 10 m × 0.1 m triangle at projected metres in the millions
    tri = shapely.Polygon(
        [
            (4e6, 4e6),
            (3999990.0007769326, 3999999.8753482946),
            (3999990.1801212835, 3999999.867583249),
        ]
    )
    cells = equal_area_cells(tri, 3)
    assert len(cells) == 3
    assert max(abs(c.area - tri.area / 3) for c in cells) < 1e-6 * tri.area


@settings(max_examples=150, deadline=None)
@given(
    x=st.sampled_from([0.0, 5e5, 4e6, -2e6]),
    y=st.sampled_from([0.0, 4e6, 7e6]),
    length=st.sampled_from([1.0, 10.0, 100.0, 1000.0, 5000.0]),
    height=st.sampled_from([0.01, 0.05, 0.1, 1.0]),
    apex=st.floats(0.0, 1.0),
    turn=st.floats(0.0, 2 * math.pi),
    n=st.integers(2, 6),
)
def test_slivers_anywhere_give_exactly_n_equal_cells(x, y, length, height, apex, turn, n):
    tri = sliver(x, y, length, height, apex, turn)
    cells = equal_area_cells(tri, n)
    assert len(cells) == n
    assert max(abs(c.area - tri.area / n) for c in cells) < 1e-6 * tri.area
    union = shapely.union_all(cells)
    assert shapely.symmetric_difference(union, tri).area < 1e-6 * tri.area
