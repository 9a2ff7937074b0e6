"""Noding helpers: vertices a hair apart become one in every cell that has them."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.noding import WELD_M, welded


@settings(max_examples=100, deadline=None)
@given(
    x0=st.sampled_from([0.0, 166000.0, 4.5e6]),
    hair=st.floats(1e-13, 1e-9),
    left=st.booleans(),
)
def test_a_vertex_a_hair_off_its_neighbours_becomes_theirs(x0, hair, left):
    """Three cells around a T: the top one has the junction twice, a hair apart (as noding leaves
    it); after welding each cell has the junction once, at one point in all three, areas kept."""
    y = 100.0
    top = shapely.Polygon(
        [
            (x0, y),
            (x0 + 50, y),
            (x0 + 50, y + hair),
            (x0 + 100, y + hair),
            (x0 + 100, 200),
            (x0, 200),
        ]
    )
    a = shapely.box(x0, 0, x0 + 50, y)
    b = shapely.Polygon([(x0 + 50, 0), (x0 + 100, 0), (x0 + 100, y + hair), (x0 + 50, y)])
    cells = np.array([a, b, top] if left else [top, a, b], dtype=object)
    out = welded(cells, tolerance=WELD_M)
    assert shapely.is_valid(out).all()
    np.testing.assert_allclose(shapely.area(out), shapely.area(cells), atol=200 * hair)
    junction = {
        tuple(p)
        for p in shapely.get_coordinates(out)
        if abs(p[0] - (x0 + 50)) < 1e-6 and abs(p[1] - y) < 1e-6
    }
    assert len(junction) == 1  # one point in every cell
    ring = shapely.get_coordinates(out[2 if left else 0])[:-1]
    assert len(np.unique(ring, axis=0)) == len(ring)  # no repeated vertex left
    union = shapely.union_all(out)
    assert abs(union.area - shapely.area(cells).sum()) < 1e-6


def test_vertices_apart_are_left_alone():
    cells = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], dtype=object)
    out = welded(cells, tolerance=WELD_M)
    assert all(o is c for o, c in zip(out, cells, strict=True))
