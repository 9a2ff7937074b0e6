"""Areas inside areas: children clipped to their parent with the share inside, and the child that
holds most of each cell."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.nesting import clip_to_parent, main_holder
from gridmgr.geometry.projection import metric_crs, to_metric

PARENT = shapely.box(120.40, 36.05, 120.50, 36.15)


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(120.30, 120.55),
    y=st.floats(36.00, 36.15),
    w=st.floats(0.005, 0.05),
    h=st.floats(0.005, 0.05),
)
def test_a_child_is_clipped_to_its_parent_with_the_share_that_lay_inside(x, y, w, h):
    child = shapely.box(x, y, x + w, y + h)
    clipped, share = clip_to_parent(PARENT, np.array([child], dtype=object))
    assert share.dtype == np.float64 and 0.0 <= share[0] <= 1.0 + 1e-12
    crs = metric_crs(PARENT)
    whole = shapely.area(to_metric(child, crs))
    if share[0] > 0:
        assert shapely.covers(PARENT.buffer(1e-9), clipped[0])
        assert shapely.area(to_metric(clipped[0], crs)) == pytest.approx(share[0] * whole, rel=1e-6)
    else:
        assert not shapely.intersection(child, PARENT).area > 1e-12


def test_inside_touching_and_outside_children():
    children = np.array(
        [
            shapely.box(120.42, 36.07, 120.44, 36.09),  # inside
            shapely.box(120.50, 36.07, 120.52, 36.09),  # touches the east edge only
            shapely.box(121.0, 37.0, 121.1, 37.1),  # far away
            shapely.box(120.49, 36.07, 120.51, 36.09),  # half out
        ],
        dtype=object,
    )
    clipped, share = clip_to_parent(PARENT, children)
    assert share[0] == pytest.approx(1.0) and shapely.equals(clipped[0], children[0])
    assert share[1] == 0.0 and share[2] == 0.0
    assert share[3] == pytest.approx(0.5, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(cut=st.floats(5.0, 95.0), cells=st.lists(st.floats(0.0, 90.0), min_size=1, max_size=8))
def test_a_cell_goes_to_the_holder_covering_most_of_it(cut, cells):
    """Two holders split a 100 m square at x = cut; a 10 m cell at x goes to the one covering
    more of it, and a cell outside both to none."""
    holders = np.array([shapely.box(0, 0, cut, 100), shapely.box(cut, 0, 100, 100)], dtype=object)
    boxes = np.array([shapely.box(x, 40, x + 10, 50) for x in cells], dtype=object)
    outside = shapely.box(200, 200, 210, 210)
    got = main_holder(np.r_[boxes, [outside]], holders)
    assert got.dtype == np.int64 and got[-1] == -1
    for x, k in zip(cells, got[:-1], strict=True):
        left = min(max(cut - x, 0.0), 10.0)
        if left != 5.0:
            assert k == (0 if left > 5.0 else 1)


def test_no_cells_or_no_holders():
    empty = np.zeros(0, dtype=object)
    assert main_holder(empty, np.array([shapely.box(0, 0, 1, 1)], dtype=object)).shape == (0,)
    assert list(main_holder(np.array([shapely.box(0, 0, 1, 1)], dtype=object), empty)) == [-1]
    touching = main_holder(
        np.array([shapely.box(0, 0, 1, 1)], dtype=object),
        np.array([shapely.box(1, 0, 2, 1)], dtype=object),
    )
    assert list(touching) == [-1]  # sharing an edge is no overlap
