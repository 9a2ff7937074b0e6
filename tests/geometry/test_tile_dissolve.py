"""gridmgr.geometry.tile_dissolve: a low-zoom tile's cells merged per status cover the cells' union of
that status within a pixel (for a real park gridded for real, any statuses, hexagons or squares, and
cells that overlap), the counts add up, and the zoom where single cells start is where a cell
reaches CELL_MIN_PX pixels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.files.areas import read_area
from gridmgr.geometry.gridding import cells_from_area
from gridmgr.geometry.tile_dissolve import (
    CELL_MIN_PX,
    PIXEL,
    cells_zoom,
    dissolve_in_tile,
    metres_per_pixel,
    tile_latitude,
)
from gridmgr.geometry.tiles import EXTENT, Tile, shapes_in_tile

PARK = Path(__file__).resolve().parents[2] / "geodata" / "demo_park.geojson"
STATUSES = ("ok", "due", "overdue", "unstaffed", "unscheduled")


def tile_over(shape: shapely.Geometry, z: int) -> Tile:
    """The zoom-z tile holding the middle of a WGS84 shape."""
    c = shape.centroid
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(c.y))) / math.pi) / 2 * n
    return Tile(z, int((c.x + 180) / 360 * n), int(y))


@pytest.fixture(scope="module")
def park_cells() -> dict[str, np.ndarray]:
    """The demo park gridded for real in 8 m squares and 8 m hexagons (WGS84 shapes)."""
    area = read_area(PARK).geometry
    return {
        shape: np.asarray(cells_from_area(area, cell_size=8, shape=shape).geometry.array, object)
        for shape in ("square", "hex")
    }


def assert_dissolved(shapes: np.ndarray, status: np.ndarray, tile: Tile) -> None:
    """The dissolved tile keeps its promises against the cells moved into the tile one by one."""
    made = dissolve_in_tile(shapes, status, tile)
    assert list(made.statuses) == sorted(set(status))
    assert sum(made.counts) == len(shapes)
    assert list(made.counts) == [int((status == s).sum()) for s in made.statuses]
    single = shapes_in_tile(shapes, tile)
    for k, s in enumerate(made.statuses):
        mine = single[(status == s) & (single != None)]  # noqa: E711
        if not len(mine):
            assert made.shapes[k] is None
            continue
        exact = shapely.union_all(mine)
        got = made.shapes[k]
        assert got is not None and got.is_valid
        assert shapely.get_type_id(got) in (3, 6)
        # every point of one lies within a pixel (and a unit of rounding) of the other
        assert shapely.hausdorff_distance(got, exact, densify=0.25) <= PIXEL + 1.5, s
        # on whole units, MVT's ring order (exteriors clockwise on the screen: counter-clockwise here)
        xy = shapely.get_coordinates(got)
        assert np.array_equal(xy, np.rint(xy))
        for poly in getattr(got, "geoms", [got]):
            assert poly.exterior.is_ccw
            assert all(not ring.is_ccw for ring in poly.interiors)
    assert len(made.shapes) == len(made.statuses)


@settings(deadline=None, max_examples=25)
@given(
    shape=st.sampled_from(["square", "hex"]),
    z=st.integers(14, 17),
    seed=st.integers(0, 2**32 - 1),
    kinds=st.integers(1, 5),
    blocks=st.booleans(),
)
def test_cells_merged_per_status_cover_their_union_within_a_pixel(
    park_cells, shape, z, seed, kinds, blocks
):
    shapes = park_cells[shape]
    rng = np.random.default_rng(seed)
    if blocks:  # statuses in bands, as wardens hold runs of cells
        status = np.asarray(STATUSES, object)[np.arange(len(shapes)) * kinds // len(shapes)]
    else:  # any status anywhere, the hardest case for the simplification
        status = np.asarray(STATUSES, object)[rng.integers(0, kinds, len(shapes))]
    tile = tile_over(shapely.union_all(shapes), z)
    assert_dissolved(shapes, status, tile)


def test_overlapping_cells_merge_by_a_full_union(park_cells):
    shapes = park_cells["square"]
    # every cell doubled, shifted by a third of it: no coverage, so the coverage union is refused
    moved = shapely.transform(shapes, lambda xy: xy + 0.00003)
    both = np.concatenate([shapes, moved])
    status = np.asarray(["ok"] * len(shapes) + ["due"] * len(moved), object)
    status[::7] = "overdue"
    assert_dissolved(both, status, tile_over(shapely.union_all(shapes), 16))


def test_cells_off_the_tile_are_counted_but_not_drawn(park_cells):
    shapes = park_cells["square"]
    far = tile_over(shapely.union_all(shapes), 16)
    beside = Tile(far.z, far.x + 3, far.y)  # a tile three columns east: no cell shows in it
    made = dissolve_in_tile(shapes, np.full(len(shapes), "ok", object), beside)
    assert made.statuses == ("ok",) and made.counts == (len(shapes),)
    assert made.shapes[0] is None


@given(cell_m=st.floats(0.5, 5000), lat=st.floats(-80, 80))
def test_single_cells_start_where_a_cell_reaches_the_minimum_pixels(cell_m, lat):
    z = cells_zoom(cell_m, lat)
    assert cell_m / metres_per_pixel(z, lat) >= CELL_MIN_PX * (1 - 1e-9)
    if z > 0:
        assert cell_m / metres_per_pixel(z - 1, lat) < CELL_MIN_PX


def test_a_tiles_pixel_is_a_256th_of_it():
    t = Tile(15, 27912, 11690)
    west, _, east, _ = t.mercator_bounds()
    lat = tile_latitude(t)
    assert metres_per_pixel(15, lat) == pytest.approx(
        (east - west) / 256 * math.cos(math.radians(lat))
    )
    assert PIXEL * 256 == EXTENT
