"""gridmgr.db.tiles on SQLite and PostGIS: a tile selects exactly the plan's cells whose box meets it
(with its buffer) by the index, in code order with their posts; on PostGIS the database's own tile
holds those cells."""

from __future__ import annotations

import math

import mapbox_vector_tile
import numpy as np
import shapely

from gridmgr.db.queries import active_plan, get_area
from gridmgr.db.store import is_postgres, load_cells, reading
from gridmgr.db.tiles import cells_in_tile, mvt_in_db, tile_cell_rows, tile_posts
from gridmgr.geometry.tiles import Tile

from webtools import seed_park


def _tile_at(lon: float, lat: float, z: int) -> Tile:
    n = 1 << z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return Tile(z, int((lon + 180) / 360 * n), int(y))


def test_a_tile_selects_the_cells_whose_box_meets_it_with_their_posts(engine, tmp_path):
    park = seed_park(engine, tmp_path, wardens=3)
    with reading(engine) as s:
        plan = active_plan(s, get_area(s, park.slug).id)
        cells = load_cells(s, plan.id)
        west, south, east, north = cells.total_bounds
        middle = _tile_at((west + east) / 2, (south + north) / 2, 17)
        w, so, e, n = middle.lonlat_bounds()
        meets = shapely.intersects(np.asarray(cells.geometry.values), shapely.box(w, so, e, n))
        boxes = shapely.box(*np.asarray(cells.geometry.bounds).T)
        near = shapely.intersects(boxes, shapely.box(w, so, e, n))
        ids, codes, shapes = tile_cell_rows(s, cells_in_tile(s, plan.id, middle), geometry=True)
        assert set(codes) == set(cells.code[near])  # by the cells' boxes, as the index finds them
        assert set(cells.code[meets]) <= set(codes) and 0 < len(codes) < len(cells)
        assert codes == sorted(codes) and shapely.is_valid(shapes).all()
        posts = tile_posts(s, cells_in_tile(s, plan.id, middle))
        held = {park.codes[k]: f"warden{k + 1}" for k in range(3)}
        code_of = dict(zip(ids.tolist(), codes, strict=True))
        assert {(code_of[c], w_) for c, w_, _ in posts} == {
            (c, w_) for c, w_ in held.items() if c in codes
        }
        far = Tile(17, 0, 0)
        assert tile_cell_rows(s, cells_in_tile(s, plan.id, far), geometry=False)[1] == []
        if is_postgres(engine):
            data = mvt_in_db(
                s, plan.id, middle, ids, codes, ["ok"] * len(ids), [""] * len(ids),
                [0] * len(ids), ["[]"] * len(ids),
            )  # fmt: skip
            layer = mapbox_vector_tile.decode(data)["cells"]
            drawn = {f["properties"]["code"] for f in layer["features"]}
            assert set(cells.code[meets]) <= drawn <= set(codes)
            assert {f["properties"]["status"] for f in layer["features"]} == {"ok"}
            assert mvt_in_db(s, plan.id, far, [], [], [], [], [], []) == b""
