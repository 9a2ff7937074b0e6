"""A lattice clipped to blocks: the cells tile each block exactly, whole cells are whole, slivers are
merged into a neighbour (never dropped), and lines cut the cells they divide."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS

from gridmgr.geometry.lattice import Lattice
from gridmgr.geometry.lattice_cells import lattice_cells, split_along_lines
from gridmgr.geometry.projection import to_metric

CRS51 = CRS.from_epsg(32651)  # Qingdao's UTM zone
X0, Y0 = 500_000.0, 4_000_000.0


def block(points: list[tuple[float, float]]) -> shapely.Geometry:
    """A valid metric polygon near Qingdao from points around an origin (their convex hull)."""
    return shapely.convex_hull(shapely.multipoints([(X0 + x, Y0 + y) for x, y in points]))


@settings(max_examples=25, deadline=None)
@given(
    shape=st.sampled_from(["square", "hex"]),
    size=st.floats(20.0, 120.0),
    points=st.lists(
        st.tuples(st.floats(0, 800), st.floats(0, 800)), min_size=3, max_size=8, unique=True
    ),
    min_fraction=st.floats(0.05, 0.5),
)
def test_cells_tile_the_block_and_keep_its_area(shape, size, points, min_fraction):
    area = block(points)
    if area.area < 1.0 or area.geom_type != "Polygon":
        return
    lat = Lattice(shape, size)
    got = lattice_cells(np.array([area], dtype=object), lat, min_fraction=min_fraction, crs=CRS51)
    n = len(got.geometry)
    assert n >= 1 and all(len(a) == n for a in (got.area_m2, got.i, got.j, got.block, got.whole))
    cells_m = to_metric(got.geometry, CRS51)
    assert np.allclose(shapely.area(cells_m), got.area_m2, rtol=1e-6)
    # the cells cover the block, without overlaps: the areas add up to the block's and its union's
    assert got.area_m2.sum() == pytest.approx(area.area, rel=1e-6)
    assert shapely.area(shapely.union_all(cells_m)) == pytest.approx(area.area, rel=1e-6)
    assert (got.block == 0).all()
    assert np.allclose(got.area_m2[got.whole], lat.full_area)
    assert np.allclose(got.perimeter_m, shapely.length(cells_m), rtol=1e-6)
    # slivers merged: a cell smaller than min_fraction of a whole one only when the block is small
    if area.area >= lat.full_area:
        assert got.area_m2.min() >= min_fraction * lat.full_area * (1 - 1e-9)


def test_two_blocks_never_share_a_cell():
    west = block([(0, 0), (390, 0), (390, 400), (0, 400)])
    east = block([(410, 0), (800, 0), (800, 400), (410, 400)])
    got = lattice_cells(
        np.array([west, east], dtype=object), Lattice("square", 100.0), min_fraction=0.1, crs=CRS51
    )
    cells_m = to_metric(got.geometry, CRS51)
    for k, b in enumerate((west, east)):
        mine = cells_m[got.block == k]
        assert shapely.area(shapely.union_all(mine)) == pytest.approx(b.area, rel=1e-9)
        assert (shapely.area(shapely.intersection(mine, b)) > 0.999 * shapely.area(mine)).all()


def test_a_line_across_a_block_cuts_the_cells_it_divides():
    area = block([(0, 0), (400, 0), (400, 400), (0, 400)])
    line = shapely.LineString([(X0 + 0, Y0 + 250), (X0 + 400, Y0 + 250)])  # through a row's middle
    lat = Lattice("square", 100.0)
    plain = lattice_cells(np.array([area], dtype=object), lat, min_fraction=0.2, crs=CRS51)
    cut = lattice_cells(
        np.array([area], dtype=object),
        lat,
        min_fraction=0.2,
        crs=CRS51,
        lines=np.array([line], dtype=object),
    )
    assert len(plain.geometry) == 16 and len(cut.geometry) == 20  # four cells cut in two
    assert cut.area_m2.sum() == pytest.approx(area.area, rel=1e-9)

    def straddling(cells):
        _, ymin, _, ymax = shapely.bounds(to_metric(cells.geometry, CRS51)).T
        return int(((ymin < Y0 + 250 - 1e-3) & (ymax > Y0 + 250 + 1e-3)).sum())

    assert straddling(plain) == 4 and straddling(cut) == 0  # no cut cell straddles the line


@settings(max_examples=30, deadline=None)
@given(at=st.floats(1.0, 99.0), min_area=st.floats(100.0, 4000.0))
def test_split_along_lines_keeps_small_pieces_with_their_neighbour(at, min_area):
    part = shapely.box(0, 0, 100, 100)
    line = shapely.LineString([(-10, at), (110, at)])
    pieces, owner = split_along_lines(
        np.array([part], dtype=object), np.array([line], dtype=object), min_area
    )
    assert (owner == 0).all()
    assert shapely.area(pieces).sum() == pytest.approx(10_000)
    big_enough = min(at, 100 - at) * 100 >= min_area
    assert len(pieces) == (2 if big_enough else 1)


def test_split_along_lines_without_lines_or_parts():
    parts = np.array([shapely.box(0, 0, 1, 1)], dtype=object)
    same, owner = split_along_lines(parts, np.zeros(0, dtype=object), 0.1)
    assert same is parts and list(owner) == [0]
    away = np.array([shapely.LineString([(5, 5), (6, 6)])], dtype=object)
    same, owner = split_along_lines(parts, away, 0.1)
    assert same is parts and list(owner) == [0]
