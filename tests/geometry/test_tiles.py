"""gridmgr.geometry.tiles: the Web Mercator pyramid's tiles (a tile's four children tile it, bounds
in metres and degrees agree), out-of-range tiles refused naming the part, and WGS84 shapes moved
into a tile's grid: cut to the tile and its buffer, on whole units, valid, MVT's ring order."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.errors import NotFound
from gridmgr.geometry.tiles import (
    BUFFER,
    EXTENT,
    MAX_ZOOM,
    Tile,
    mercator_to_lonlat,
    shapes_in_tile,
    tile_of,
)


@st.composite
def tiles(draw, top: int = 20):
    z = draw(st.integers(0, top))
    return Tile(z, draw(st.integers(0, (1 << z) - 1)), draw(st.integers(0, (1 << z) - 1)))


@given(tiles(top=MAX_ZOOM - 1))
def test_a_tiles_four_children_tile_it(t):
    west, south, east, north = t.mercator_bounds()
    kids = [Tile(t.z + 1, 2 * t.x + dx, 2 * t.y + dy) for dx in (0, 1) for dy in (0, 1)]
    boxes = [shapely.box(*k.mercator_bounds()) for k in kids]
    whole = shapely.box(west, south, east, north)
    assert abs(sum(b.area for b in boxes) - whole.area) <= 1e-9 * whole.area
    assert shapely.union_all(boxes).symmetric_difference(whole).area <= 1e-9 * whole.area
    assert kids[0].mercator_bounds()[3] == north and kids[0].mercator_bounds()[0] == west


def test_zoom_0_is_the_world_and_degrees_follow_metres():
    west, south, east, north = Tile(0, 0, 0).mercator_bounds()
    assert west == -east and south == -north
    lon0, lat0, lon1, lat1 = Tile(0, 0, 0).lonlat_bounds(buffer=0)
    assert (lon0, lon1) == (-180.0, 180.0)
    assert lat0 == pytest.approx(-85.0511287798, abs=1e-9)
    assert lat1 == pytest.approx(85.0511287798, abs=1e-9)
    assert mercator_to_lonlat(0.0, 0.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    "z, x, y, words",
    [(25, 0, 0, "zoom 25"), (-1, 0, 0, "zoom -1"), (3, 8, 0, "x 8"), (3, 0, -1, "y -1")],
)
def test_a_tile_out_of_range_is_not_found_naming_the_part(z, x, y, words):
    with pytest.raises(NotFound, match=words):
        tile_of(z, x, y)
    assert tile_of(3, 7, 7) == Tile(3, 7, 7)


def _square_in(t: Tile, fx: float, fy: float, fw: float) -> shapely.Polygon:
    lon0, lat0, lon1, lat1 = t.lonlat_bounds(buffer=0)
    w = (lon1 - lon0) * fw
    x = lon0 + (lon1 - lon0) * fx
    y = lat0 + (lat1 - lat0) * fy
    return shapely.box(x, y, x + w, y + (lat1 - lat0) * fw)


@settings(max_examples=60, deadline=None)
@given(
    tiles(top=18).filter(lambda t: t.z >= 2),
    st.floats(-0.5, 1.2),
    st.floats(-0.5, 1.2),
    st.floats(0.05, 0.6),
)
def test_shapes_in_a_tile_are_cut_to_it_valid_on_whole_units_and_ordered(t, fx, fy, fw):
    square = _square_in(t, fx, fy, fw)
    far = (
        shapely.box(-179.9, -80, -179.8, -79.9) if t.x > 2 else shapely.box(179.8, 79.9, 179.9, 80)
    )
    out = shapes_in_tile(np.array([square, far], dtype=object), t)
    assert out[1] is None  # a shape that does not meet the tile
    got = out[0]
    inside = fx < 1 and fy < 1 and fx + fw > 0 and fy + fw > 0
    if got is None:
        assert not inside or fw < 0.07  # only a sliver cut by the buffer's edge may vanish
        return
    assert shapely.is_valid(got) and got.area > 0
    xy = shapely.get_coordinates(got)
    assert np.array_equal(xy, np.rint(xy))  # whole units
    assert xy.min() >= -BUFFER and xy.max() <= EXTENT + BUFFER
    for poly in getattr(got, "geoms", [got]):
        assert poly.exterior.is_ccw  # counter-clockwise in y-down numbers: clockwise on screen
        assert all(not ring.is_ccw for ring in poly.interiors)


def test_a_shape_over_the_whole_tile_is_the_tile_and_its_buffer():
    t = Tile(12, 3400, 1500)
    lon0, lat0, lon1, lat1 = t.lonlat_bounds(buffer=BUFFER * 2)
    (got,) = shapes_in_tile(np.array([shapely.box(lon0, lat0, lon1, lat1)], dtype=object), t)
    assert got.bounds == (-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    assert got.area == (EXTENT + 2 * BUFFER) ** 2
