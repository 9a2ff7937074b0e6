"""Vector tiles of a plan (gridmgr/services/tiles.py) on SQLite and PostGIS: decoded with
mapbox_vector_tile, every cell that meets a tile is in it once, with the coverage map's status and its
wardens, drawn within a pixel of its shape; below the zoom where a cell reaches 4 pixels, the cells
merged per status instead, covering their union within a pixel, with counts that add up; a cached
tile is given again only while nothing it shows has changed; both databases make the same tiles."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from gridmgr import services
from gridmgr.errors import NotFound
from gridmgr.services.tile_cache import TileCache
from gridmgr.services.tiles import plan_tile

from needs import shared_pg_url
from webtools import seed_park, seed_rounds

EXTENT, PIXEL = 4096, 4096 / 256
LATER = datetime.now(UTC) + timedelta(days=3)
DAY = (LATER + timedelta(hours=8)).date() - timedelta(days=1)  # the park's rounds' day (Shanghai)


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point (the slippy-map formula)."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tiles_over(bounds, z: int) -> list[tuple[int, int, int]]:
    """Every tile at zoom z that the box (west, south, east, north) touches."""
    x0, y0 = tile_xy(bounds[0], bounds[3], z)
    x1, y1 = tile_xy(bounds[2], bounds[1], z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def in_tile_units(geom, z: int, x: int, y: int):
    """A WGS84 shape in tile z/x/y's units (extent 4096, y down), independently of the code."""

    def move(xy):
        n = 2**z
        tx = (xy[:, 0] + 180) / 360 * n
        ty = (1 - np.arcsinh(np.tan(np.radians(xy[:, 1]))) / np.pi) / 2 * n
        return np.column_stack(((tx - x) * EXTENT, (ty - y) * EXTENT))

    return shapely.transform(geom, move)


def decoded(data: bytes, layer: str = "cells") -> list[dict]:
    """The features of a tile's one layer, `layer` (and checks that it is the only one)."""
    if not data:
        return []
    layers = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    assert set(layers) == {layer} and layers[layer]["extent"] == EXTENT
    return layers[layer]["features"]


def single_cells_zoom(engine, slug: str) -> int:
    """The zoom from which the park's tiles carry single cells (a tile over it says)."""
    cells = services.plan_cells(engine, slug)
    lon, lat = cells.geometry.union_all().centroid.coords[0]
    return plan_tile(engine, slug, 12, *tile_xy(lon, lat, 12)).cells_zoom


@pytest.fixture
def park(engine, tmp_path):
    """The seeded park with 10 of its 30 cells unstaffed and rounds in a few cells."""
    seeded = seed_park(engine, tmp_path, wardens=20)
    seed_rounds(engine, seeded, DAY, LATER)
    services.assign(engine, seeded.slug, [seeded.codes[7]], "warden9")  # two wardens in one cell
    return seeded


def moment() -> str:
    """The evening of the park's rounds' day on the area's clock."""
    return f"{DAY}T19:00"


def test_every_cell_meeting_a_tile_is_in_it_once_with_its_status_and_wardens(engine, park):
    at = moment()
    cells = services.plan_cells(engine, park.slug).set_index("code")
    report = services.coverage_report(engine, park.slug, at=at, with_cells=True)
    assert report.cells is not None
    status = dict(zip(report.cells.code, report.cells.status, strict=True))
    assert len(set(status.values())) >= 3  # the property is checked over several statuses
    posts = dict(zip(report.cells.code, report.cells.wardens(), strict=True))
    wardens = {c: [n for n, _ in w] for c, w in posts.items()}
    seen_at_16: set[str] = set()
    assert single_cells_zoom(engine, park.slug) <= 15  # the park's ~56 m cells
    for z in (15, 16, 17):
        for z_, x, y in tiles_over(cells.total_bounds, z):
            made = plan_tile(engine, park.slug, z_, x, y, at=at)
            assert not made.dissolved
            features = decoded(made.data)
            codes = [f["properties"]["code"] for f in features]
            assert len(codes) == len(set(codes))  # once each
            box = shapely.box(-64, -64, EXTENT + 64, EXTENT + 64)
            inner = shapely.box(0, 0, EXTENT, EXTENT)
            for code, geom in cells.geometry.items():
                moved = in_tile_units(geom, z_, x, y)
                if moved.intersection(inner).area > PIXEL**2:  # a pixel or more inside: drawn
                    assert code in codes, (z_, x, y, code)
                if not moved.intersects(box):
                    assert code not in codes, (z_, x, y, code)
            for f in features:
                p = f["properties"]
                assert p["status"] == status[p["code"]]
                assert p["wardens_count"] == len(wardens[p["code"]])
                assert sorted(p["wardens"].split(", ") if p["wardens"] else []) == sorted(
                    wardens[p["code"]]
                )
                assert sorted(map(tuple, json.loads(p["posts"]))) == sorted(posts[p["code"]])
                if z_ == 16:
                    seen_at_16.add(p["code"])
    assert seen_at_16 == set(cells.index)  # the tiles of one zoom together show every cell


def test_features_decode_to_within_a_pixel_of_their_cells(engine, park):
    cells = services.plan_cells(engine, park.slug).set_index("code")
    checked = 0
    for z in (single_cells_zoom(engine, park.slug), 16, 18):
        for _, x, y in tiles_over(cells.total_bounds, z)[:6]:
            for f in decoded(plan_tile(engine, park.slug, z, x, y).data):
                got = shape(f["geometry"])
                want = in_tile_units(cells.geometry[f["properties"]["code"]], z, x, y)
                want = want.intersection(shapely.box(-64, -64, EXTENT + 64, EXTENT + 64))
                # rounding each vertex to a unit moves an edge by at most half a unit
                assert abs(got.area - want.area) <= want.length * 0.5 + 1
                assert got.centroid.distance(want.centroid) <= PIXEL
                assert got.hausdorff_distance(want) <= PIXEL
                checked += 1
    assert checked > 30


def test_zoomed_out_tiles_hold_the_whole_plan_merged_or_nothing_too_small_to_see(engine, park):
    cells = services.plan_cells(engine, park.slug)
    lon, lat = cells.geometry.union_all().centroid.coords[0]
    made = plan_tile(engine, park.slug, 11, *tile_xy(lon, lat, 11))
    assert made.dissolved and made.cells == len(cells)
    whole = decoded(made.data, "statuses")
    assert sum(f["properties"]["cells"] for f in whole) == len(cells)
    # at zoom 2 the park is smaller than a unit of the tile: nothing shows, no bytes
    assert plan_tile(engine, park.slug, 2, *tile_xy(lon, lat, 2)).data == b""
    # a tile far from the park is empty
    assert plan_tile(engine, park.slug, 14, 0, 0).data == b""


def test_low_zoom_tiles_merge_the_cells_per_status_within_a_pixel(engine, park):
    at = moment()
    cells = services.plan_cells(engine, park.slug).set_index("code")
    report = services.coverage_report(engine, park.slug, at=at, with_cells=True)
    assert report.cells is not None
    status = dict(zip(report.cells.code, report.cells.status, strict=True))
    top = single_cells_zoom(engine, park.slug)
    box = shapely.box(-64, -64, EXTENT + 64, EXTENT + 64)
    checked = 0
    for z in range(top - 3, top + 1):
        for t in tiles_over(cells.total_bounds, z):
            made = plan_tile(engine, park.slug, *t, at=at)
            assert made.dissolved == (z < top) and made.cells_zoom == top
            if not made.dissolved:
                assert {f["properties"]["status"] for f in decoded(made.data)} <= set(
                    status.values()
                )
                continue
            # the cells meeting the tile (by their boxes, as the tile picks them), per status
            moved = {c: in_tile_units(g, *t) for c, g in cells.geometry.items()}
            meeting = [c for c, g in moved.items() if shapely.box(*g.bounds).intersects(box)]
            assert made.cells == len(meeting)
            features = decoded(made.data, "statuses")
            got = {f["properties"]["status"]: f for f in features}
            assert len(got) == len(features)  # one feature per status
            assert sum(f["properties"]["cells"] for f in features) <= made.cells
            for s in {status[c] for c in meeting}:
                mine = [c for c in meeting if status[c] == s]
                union = shapely.union_all([moved[c] for c in mine]).intersection(box)
                if union.area < 1:  # too small to show at this zoom
                    assert s not in got
                    continue
                f = got[s]
                assert f["properties"]["cells"] == len(mine)
                assert f["properties"]["cells_zoom"] == top
                assert set(f["properties"]) == {"status", "cells", "cells_zoom"}
                drawn = shape(f["geometry"])
                assert drawn.is_valid
                assert shapely.hausdorff_distance(drawn, union, densify=0.25) <= PIXEL + 1.5, (t, s)
                checked += 1
    assert checked >= 6


def test_a_tile_of_an_earlier_plan_and_out_of_range_tiles(engine, park):
    cells = services.plan_cells(engine, park.slug)
    lon, lat = cells.geometry.union_all().centroid.coords[0]
    x, y = tile_xy(lon, lat, 12)
    services.grid(engine, park.slug, count=8)  # a new active plan
    now = decoded(plan_tile(engine, park.slug, 12, x, y).data, "statuses")
    assert sum(f["properties"]["cells"] for f in now) == 8
    first = plan_tile(engine, park.slug, 12, x, y, plan=1)
    assert sum(f["properties"]["cells"] for f in decoded(first.data, "statuses")) == len(cells)
    z = first.cells_zoom  # and single cells of the first plan where they start
    codes = {
        f["properties"]["code"]
        for t in tiles_over(cells.total_bounds, z)
        for f in decoded(plan_tile(engine, park.slug, *t, plan=1).data)
    }
    assert codes == set(cells["code"])
    with pytest.raises(NotFound, match="no plan version 9"):
        plan_tile(engine, park.slug, 12, x, y, plan=9)
    for z, x_, y_ in ((25, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, -1)):
        with pytest.raises(NotFound, match="out of range"):
            plan_tile(engine, park.slug, z, x_, y_)


@pytest.mark.parametrize("merged", [True, False])
def test_a_cached_tile_is_given_again_only_while_nothing_it_shows_changed(engine, park, merged):
    cells = services.plan_cells(engine, park.slug)
    lon, lat = cells.geometry.union_all().centroid.coords[0]
    top = single_cells_zoom(engine, park.slug)
    z = top - 2 if merged else top
    t = (z, *tile_xy(lon, lat, z))
    at = moment()
    cache, other = TileCache(), TileCache()  # two servers on one database
    first = plan_tile(engine, park.slug, *t, at=at, cache=cache)
    assert first.data and first.dissolved == merged
    assert cache.misses == 1 and len(cache) == 1
    again = plan_tile(engine, park.slug, *t, at=at, cache=cache)
    assert again == first and cache.hits == 1
    assert plan_tile(engine, park.slug, *t, at=at, cache=other).data == first.data
    # through one server, a warden is posted to the unstaffed cells: merged, they change status;
    # single, they gain a name
    unstaffed = park.codes[20:]
    services.assign(engine, park.slug, unstaffed, "warden1")
    fresh = plan_tile(engine, park.slug, *t, at=at)
    assert fresh.data != first.data
    for c in (cache, other):
        assert plan_tile(engine, park.slug, *t, at=at, cache=c).data == fresh.data
    # another moment's statuses are another tile
    early = plan_tile(engine, park.slug, *t, at=f"{DAY}T07:00", cache=cache)
    assert early.data == plan_tile(engine, park.slug, *t, at=f"{DAY}T07:00").data
    # and back as it was, the first tile again (from the cache)
    services.unassign(engine, park.slug, unstaffed, "warden1")
    hits = cache.hits
    assert plan_tile(engine, park.slug, *t, at=at, cache=cache).data == first.data
    assert cache.hits == hits + 1


def test_sqlite_and_postgis_tiles_agree(tmp_path):
    """The same park on both databases: the same codes, statuses and wardens in every tile."""
    from sqlalchemy import create_engine, text

    from gridmgr.db.store import make_engine, upgrade

    base = shared_pg_url()
    schema = "t_tiles_" + datetime.now(UTC).strftime("%H%M%S%f")
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engines = [
        make_engine(f"sqlite:///{tmp_path / 'g.db'}"),
        make_engine(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema},public"),
    ]
    try:
        tiles: list[dict] = []
        for k, engine in enumerate(engines):
            upgrade(engine)
            (tmp_path / str(k)).mkdir()
            seeded = seed_park(engine, tmp_path / str(k), wardens=20)
            services.record_round(engine, seeded.slug, seeded.codes[0], "warden1",
                                  at=f"{DAY}T08:05", now=LATER)  # fmt: skip
            bounds = services.plan_cells(engine, seeded.slug).total_bounds
            got = {}
            for z in (12, 13, 15, 16, 17):
                for t in tiles_over(bounds, z):
                    made = plan_tile(engine, seeded.slug, *t, at=moment())
                    if made.dissolved:  # made in Python on both: the very same bytes
                        got[t] = [made.data]
                        continue
                    got[t] = sorted(
                        (f["properties"]["code"], f["properties"]["status"],
                         f["properties"]["wardens"], f["properties"]["wardens_count"],
                         f["properties"]["posts"])
                        for f in decoded(made.data)
                    )  # fmt: skip
            tiles.append(got)
        sqlite, postgis = tiles
        assert sqlite.keys() == postgis.keys()
        differ = [t for t in sqlite if sqlite[t] != postgis[t]]
        assert not differ, [(t, sqlite[t], postgis[t]) for t in differ[:2]]
        assert sum(len(v) for v in sqlite.values()) > 60
    finally:
        for engine in engines:
            engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
