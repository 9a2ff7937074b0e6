"""Cells of a block that took in a crumb across a line hold the block's own ground in one piece: a
piece the crumb alone joins to its cell goes to a neighbouring cell on its own side of the line."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import CRS

from gridmgr.geometry.blocks import Blocks
from gridmgr.geometry.lattice import Lattice
from gridmgr.geometry.lattice_cells import lattice_cells
from gridmgr.geometry.projection import to_metric

from gridcheck import PROPERTY, own_pieces, ring_with_strip

CRS51 = CRS.from_epsg(32651)  # Qingdao's UTM zone
X0, Y0 = 499_920.0, 3_999_960.0  # multiples of 120 m: a lattice of 120 m cells has a line on both


def gridded(cut: Blocks, size: float, shape: str = "square"):
    got = lattice_cells(
        cut.blocks,
        Lattice(shape, size),
        min_fraction=0.35,
        crs=CRS51,
        lines=cut.inner_lines,
        own=cut.own,
    )
    return got, to_metric(got.geometry, CRS51)


def test_a_piece_joined_only_through_the_crumb_goes_to_its_neighbour():
    # the cell from 120 to 240 m (both ways) holds the hole's south tip and the road: north ground
    # west and east of the tip (1,400 and 600 m², each under 0.35 of a cell) that only the strip
    # south of the road joins
    cut = ring_with_strip(190.0, 60.0, 15.0, (X0, Y0))
    block, own = cut.blocks[0], cut.own[0]
    tip_cell = shapely.box(X0 + 120, Y0 + 120, X0 + 240, Y0 + 240)
    assert own_pieces(np.array([tip_cell]), own)[0] == 2  # the ground the defect was about
    got, cells = gridded(cut, 120.0)
    assert own_pieces(cells, own).max() == 1
    west, east = shapely.points([(X0 + 125, Y0 + 205), (X0 + 230, Y0 + 205)])
    (w,) = np.flatnonzero(shapely.contains(cells, west))
    (e,) = np.flatnonzero(shapely.contains(cells, east))
    # the strip and the larger west piece stay in the tip's cell, the east piece joins the cell east
    assert (got.i[w], got.j[w]) == ((X0 + 120) // 120, (Y0 + 120) // 120)
    assert (got.i[e], got.j[e]) == ((X0 + 240) // 120, (Y0 + 120) // 120)
    assert got.area_m2.sum() == pytest.approx(block.area, rel=1e-9)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(block.area, rel=1e-9)


@PROPERTY
@given(
    at=st.floats(0.0, 1.0),
    radius=st.floats(10.0, 60.0),
    poke=st.floats(0.5, 25.0),
    size=st.floats(30.0, 160.0),
    shape=st.sampled_from(["square", "hex"]),
)
def test_every_cell_holds_its_own_ground_in_one_piece(at, radius, poke, size, shape):
    # the hole anywhere along the road, at least 5 m clear of the area's edges
    cut = ring_with_strip(5.0 + radius + at * (390.0 - 2 * radius), radius, poke, (X0, Y0))
    block, own = cut.blocks[0], cut.own[0]
    got, cells = gridded(cut, size, shape)
    assert (own_pieces(cells, own) <= 1).all()
    # still a tiling of the block: areas add up, no overlaps, nothing outside it
    assert got.area_m2.sum() == pytest.approx(block.area, rel=1e-9)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(block.area, rel=1e-9)
    assert np.allclose(shapely.area(cells), got.area_m2, rtol=1e-6)
    assert np.allclose(got.area_m2[got.whole], size * size)
