"""Square and hexagonal lattices: every point falls in the cell that holds it, corners are shared by
key, neighbours are adjacent, and keys pack and unpack losslessly."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.geometry.lattice import Lattice, pack, unpack

coord = st.floats(-50_000.0, 50_000.0, allow_nan=False)
size = st.floats(5.0, 500.0)
shape = st.sampled_from(["square", "hex"])


def polygons(lat: Lattice, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The cells as polygons, built from their corner keys."""
    kx, ky = lat.corner_keys(i, j)
    x, y = lat.corner_xy(kx, ky)
    return shapely.polygons(np.stack([x, y], axis=-1))


@settings(max_examples=100, deadline=None)
@given(shape=shape, size=size, x=coord, y=coord)
def test_a_point_lies_in_its_cell_and_near_its_centre(shape, size, x, y):
    lat = Lattice(shape, size)
    i, j = lat.cell_of(np.array([x]), np.array([y]))
    cell = polygons(lat, i, j)[0]
    assert shapely.distance(cell, shapely.Point(x, y)) <= 1e-6 * size
    assert cell.area == pytest.approx(lat.full_area, rel=1e-9)
    assert cell.length == pytest.approx(lat.full_perimeter, rel=1e-9)
    xmin, ymin, xmax, ymax = (float(b[0]) for b in lat.bounds(i, j))
    assert shapely.bounds(cell) == pytest.approx([xmin, ymin, xmax, ymax], abs=1e-6 * size)
    cx, cy = lat.centres(i, j)
    assert cell.contains(shapely.Point(cx[0], cy[0]))
    # the reach: a disc that wide around the point lies in the cell and its neighbours
    ni, nj = lat.neighbours(i, j, with_self=True)
    around = shapely.union_all(polygons(lat, ni[0], nj[0]))
    disc = shapely.Point(x, y).buffer(lat.reach * 0.999, quad_segs=16)
    assert shapely.difference(disc, around).area <= 1e-6 * lat.full_area


@settings(max_examples=40, deadline=None)
@given(shape=shape, size=size, i0=st.integers(-1000, 1000), j0=st.integers(-1000, 1000))
def test_cells_tile_the_plane_and_neighbours_touch(shape, size, i0, j0):
    lat = Lattice(shape, size)
    jj, ii = np.mgrid[j0 : j0 + 5, i0 : i0 + 5]
    i, j = ii.ravel(), jj.ravel()
    cells = polygons(lat, i, j)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(25 * lat.full_area, rel=1e-9)
    centre = np.flatnonzero((i == i0 + 2) & (j == j0 + 2))
    ni, nj = lat.neighbours(i[centre], j[centre])
    assert ni.shape[1] == (8 if shape == "square" else 6)
    middle = cells[centre[0]]
    for a, b in zip(ni[0], nj[0], strict=True):
        assert shapely.touches(middle, polygons(lat, np.array([a]), np.array([b]))[0])
    ei, ej = lat.edge_neighbours(i[centre], j[centre])
    for a, b in zip(ei[0], ej[0], strict=True):
        shared = shapely.intersection(middle, polygons(lat, np.array([a]), np.array([b]))[0])
        assert shared.length == pytest.approx(lat.side, rel=1e-9)  # a whole edge, not a corner


@settings(max_examples=50, deadline=None)
@given(shape=shape, size=size, box=st.tuples(coord, coord, st.floats(0, 3000), st.floats(0, 3000)))
def test_index_range_holds_every_cell_touching_the_box(shape, size, box):
    lat = Lattice(shape, size)
    x, y, w, h = box
    i0, i1, j0, j1 = lat.index_range(x, y, x + w, y + h)
    xs, ys = np.meshgrid(np.linspace(x, x + w, 7), np.linspace(y, y + h, 7))
    i, j = lat.cell_of(xs.ravel(), ys.ravel())
    assert i.min() >= i0 and i.max() <= i1 and j.min() >= j0 and j.max() <= j1


def test_shared_corners_are_bit_for_bit_equal():
    for shape in ("square", "hex"):
        lat = Lattice(shape, 37.3)
        jj, ii = np.mgrid[0:4, 0:4]
        kx, ky = lat.corner_keys(ii.ravel(), jj.ravel())
        x, y = lat.corner_xy(kx, ky)
        keys = pack(kx.ravel(), ky.ravel())
        # one position per key: corners met from several cells are the same floats
        for key in np.unique(keys):
            at = keys == key
            assert len(set(x.ravel()[at])) == 1 and len(set(y.ravel()[at])) == 1
        assert len(np.unique(keys)) < keys.size  # corners are shared at all


@given(i=st.integers(-(2**31), 2**31 - 1), j=st.integers(-(2**30), 2**30))
def test_pack_and_unpack_are_inverse_and_keep_the_order_of_rows(i, j):
    back_i, back_j = unpack(pack(i, j))
    assert (int(back_i), int(back_j)) == (i, j)
    assert pack(i, j) < pack(-(2**31), j + 1)  # a key sorts by row, then column
