"""Neighbouring cells share every vertex on their common edges after `add_shared_vertices`."""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.noding import add_shared_vertices


def vertices(g) -> set[tuple[float, float]]:
    return {tuple(p) for p in shapely.get_coordinates(g)}


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=5, unique=True),
    split=st.floats(0.1, 0.9),
)
def test_t_junctions_become_shared_vertices_and_shapes_do_not_change(cuts, split):
    """A big cell on the left, its right edge met by several small cells: each small cell's
    corner on that edge is added to the big cell, and no cell's shape changes."""
    ys = np.r_[0.0, np.sort(cuts), 1.0] * 100
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
