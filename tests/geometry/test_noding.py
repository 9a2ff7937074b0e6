"""Noding helpers: neighbouring cells share every vertex on their common edges
(`add_shared_vertices`), and vertices a hair apart become one in every cell that has them (`welded`)."""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.noding import WELD_M, add_shared_vertices, welded


def vertices(g) -> set[tuple[float, float]]:
    return {tuple(p) for p in shapely.get_coordinates(g)}


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(5, 95), min_size=1, max_size=5, unique=True),  # metres, apart
    split=st.floats(0.1, 0.9),
)
def test_t_junctions_become_shared_vertices_and_shapes_do_not_change(cuts, split):
    """A big cell on the left, its right edge met by several small cells: each small cell's
    corner on that edge is added to the big cell, and no cell's shape changes."""
    ys = np.r_[0, np.sort(cuts), 100].astype(float)  # cells at least a metre high
    left = shapely.box(0, 0, 100 * split, 100)
    right = [shapely.box(100 * split, a, 100, b) for a, b in itertools.pairwise(ys)]
    cells = np.array([left, *right], dtype=object)
    out = add_shared_vertices(cells, tolerance=1e-6)
    assert len(out) == len(cells)
    assert shapely.equals(out, cells).all()  # same point sets
    edge = {(100 * split, y) for y in ys}
    assert edge <= vertices(out[0])
    assert not edge <= vertices(cells[0])  # the input lacked them (the test can fail)
    for k, cell in enumerate(right, start=1):
        assert vertices(out[k]) == vertices(cell)  # nothing to add: its edge has no T-junction
    assert shapely.is_valid(out).all()


def test_nothing_to_do_returns_the_cells_as_they_are():
    one = np.array([shapely.box(0, 0, 1, 1)], dtype=object)
    assert add_shared_vertices(one, tolerance=1e-6) is not None
    apart = np.array([shapely.box(0, 0, 1, 1), shapely.box(5, 5, 6, 6)], dtype=object)
    out = add_shared_vertices(apart, tolerance=1e-6)
    assert shapely.equals_exact(out, apart, tolerance=0).all()


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
