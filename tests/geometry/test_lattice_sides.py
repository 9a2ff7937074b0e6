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


def gridded(cut: Blocks, size: float, shape: str = "square", *, with_own: bool = True):
    got = lattice_cells(
        cut.blocks,
        Lattice(shape, size),
        min_fraction=0.35,
        crs=CRS51,
        lines=cut.inner_lines,
        own=cut.own if with_own else None,
    )
    return got, to_metric(got.geometry, CRS51)


def test_a_piece_joined_only_through_the_crumb_goes_to_its_neighbour():
    # the cell from 120 to 240 m (both ways) holds the hole's south tip and the road: north ground
    # west and east of the tip (1,400 and 600 m², each under 0.35 of a cell) that only the strip
    # south of the road joins
    cut = ring_with_strip(190.0, 60.0, 15.0, (X0, Y0))
    block, own = cut.blocks[0], cut.own[0]
    _, plain = gridded(cut, 120.0, with_own=False)
    assert own_pieces(plain, own).max() == 2  # the defect this guards against
    got, cells = gridded(cut, 120.0)
    assert own_pieces(cells, own).max() == 1
    assert len(cells) == len(plain)  # the piece joined a cell, it made none
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
