"""Cells of a block that took in a crumb across a line hold the block's own ground in one piece: a
piece the crumb alone joins to its cell goes to a neighbouring cell on its own side of the line."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import CRS

from gridmgr.geometry.blocks import Blocks, blocks_from_lines
from gridmgr.geometry.lattice import Lattice
from gridmgr.geometry.lattice_cells import lattice_cells
from gridmgr.geometry.projection import to_metric
from gridmgr.geometry.shapes import has_area

from gridcheck import PROPERTY

CRS51 = CRS.from_epsg(32651)  # Qingdao's UTM zone
X0, Y0 = 499_920.0, 3_999_960.0  # multiples of 120 m: a lattice of 120 m cells has a line on both
ROAD_Y, STRIP_M = 200.0, 30.0  # the road and the strip between it and the area's south edge


def ring_with_strip(hole_x: float, radius: float, poke: float) -> Blocks:
    """A 400 m wide area cut by a road 30 m north of its south edge, a diamond hole whose south tip
    pokes `poke` metres across the road: the strip south of the road is a crumb (under 15,000 m²)
    and joins the ground north of it, around the hole, into one block."""
    cy = ROAD_Y - poke + radius
    hole = shapely.Polygon(
        [(hole_x, cy - radius), (hole_x + radius, cy), (hole_x, cy + radius), (hole_x - radius, cy)]
    )
    area = shapely.difference(shapely.box(0, ROAD_Y - STRIP_M, 400, 400), hole)
    road = shapely.LineString([(-10, ROAD_Y), (410, ROAD_Y)])
    got = blocks_from_lines(
        shapely.affinity.translate(area, X0, Y0),
        np.array([shapely.affinity.translate(road, X0, Y0)], dtype=object),
        crumb_m2=15_000.0,
    )
    assert len(got.blocks) == 1 and got.crumbs_joined >= 1
    return got


def own_pieces(cells: np.ndarray, own: shapely.Geometry) -> np.ndarray:
    """How many pieces of own ground (no rounding hairs) each cell holds."""
    pieces, which = shapely.get_parts(shapely.intersection(cells, own), return_index=True)
    real = (shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) > 1e-3)
    real[real] = has_area(pieces[real], 1e-3)
    return np.bincount(which[real], minlength=len(cells))


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
    cut = ring_with_strip(hole_x=190.0, radius=60.0, poke=15.0)
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
    cut = ring_with_strip(5.0 + radius + at * (390.0 - 2 * radius), radius, poke)
    block, own = cut.blocks[0], cut.own[0]
    got, cells = gridded(cut, size, shape)
    assert (own_pieces(cells, own) <= 1).all()
    # still a tiling of the block: areas add up, no overlaps, nothing outside it
    assert got.area_m2.sum() == pytest.approx(block.area, rel=1e-9)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(block.area, rel=1e-9)
    assert np.allclose(shapely.area(cells), got.area_m2, rtol=1e-6)
    assert np.allclose(got.area_m2[got.whole], size * size)
