"""A plan's cells in a map tile: which cells meet it (PostGIS: the GiST index; SQLite: the cells'
bounding-box columns and their index), and on PostGIS the whole tile made by the database in one
SQL (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, text, union_all
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Warden
from gridmgr.db.store import raw_rows
from gridmgr.geometry.tiles import BUFFER, EXTENT, Tile

_MVT_SQL = text(
    f"""
WITH p AS (
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:codes AS text[]), CAST(:status AS text[]),
                         CAST(:wardens AS text[]), CAST(:counts AS integer[]),
                         CAST(:posts AS text[]))
        AS t(id, code, status, wardens, wardens_count, posts)
), m AS (
    SELECT ST_AsMVTGeom(ST_Transform(c.geometry, 3857), ST_TileEnvelope(:z, :x, :y),
                        {EXTENT}, {BUFFER}, true) AS geom,
           p.code, p.status, p.wardens, p.wardens_count, p.posts
    FROM cells c JOIN p ON p.id = c.id
    WHERE c.plan_id = :plan
      AND c.geometry && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 4326)
)
SELECT ST_AsMVT(m, 'cells', {EXTENT}, 'geom') FROM m WHERE geom IS NOT NULL
"""
)


def cells_in_tile(s: Session, plan_id: int, tile: Tile) -> Select[Any]:
    """A select of the ids of the plan's cells whose bounding box meets the tile (with its buffer)."""
    west, south, east, north = tile.lonlat_bounds()
    if s.get_bind().dialect.name == "postgresql":
        # whole numbers checked by `tile_of`, so written into the SQL (`margin` is a named argument)
        envelope: ColumnElement[Any] = literal_column(
            f"ST_Transform(ST_TileEnvelope({int(tile.z)}, {int(tile.x)}, {int(tile.y)}, "
            f"margin => {BUFFER / EXTENT}), 4326)"
        )
        return select(Cell.id).where(Cell.plan_id == plan_id, Cell.geometry.bool_op("&&")(envelope))
    box = and_(
        Cell.min_lon <= east, Cell.max_lon >= west, Cell.min_lat <= north, Cell.max_lat >= south
    )
    # a cell stored before its box was (none after migration 0013) is looked at whole; in a union,
    # since "box OR no box" keeps SQLite from searching the index by min_lon (4 times slower)
    boxed = select(Cell.id).where(Cell.plan_id == plan_id, box)
    unboxed = select(Cell.id).where(Cell.plan_id == plan_id, Cell.min_lon.is_(None))
    return select(union_all(boxed, unboxed).subquery().c.id)


def tile_cell_rows(
    s: Session, in_tile: Select[Any], *, geometry: bool
) -> tuple[npt.NDArray[np.int64], list[str], npt.NDArray[np.object_]]:
    """The ids, codes and (when asked) WGS84 shapes of the cells `in_tile` selects, in code order."""
    columns = [Cell.id, Cell.code] + ([Cell.geometry] if geometry else [])
    rows = s.execute(select(*columns).where(Cell.id.in_(in_tile)).order_by(Cell.seq)).all()
    ids = np.asarray([r[0] for r in rows], np.int64)
    codes = [str(r[1]) for r in rows]
    shapes = (
        shapely.from_wkb(np.asarray([r[2] for r in rows], dtype=object))
        if geometry and rows
        else np.full(len(rows), None, dtype=object)
    )
    return ids, codes, shapes


def tile_cell_shapes(
    s: Session, in_tile: Select[Any], ids: npt.NDArray[np.int64]
) -> npt.NDArray[np.object_]:
    """The WGS84 shapes of the cells `in_tile` selects, in the order of `ids` (None for one not found)."""
    out = np.full(len(ids), None, dtype=object)
    rows = s.execute(select(Cell.id, Cell.geometry).where(Cell.id.in_(in_tile))).all()
    if not rows or not len(ids):
        return out
    by_id = np.argsort(ids)
    found = np.asarray([r[0] for r in rows], np.int64)
    at = np.searchsorted(ids, found, sorter=by_id).clip(0, len(ids) - 1)
    known = ids[by_id[at]] == found
    out[by_id[at[known]]] = shapely.from_wkb(
        np.asarray([r[1] for r, k in zip(rows, known, strict=True) if k], dtype=object)
    )
    return out


def plan_cell_area(s: Session, plan_id: int) -> float:
    """The mean area of the plan's cells in m²: the area's over their number (cells tile the area;
    an index count, where averaging the cells' own areas read every row), 0 without cells."""
    count = s.execute(select(func.count()).where(Cell.plan_id == plan_id)).scalar() or 0
    if not count:
        return 0.0
    whole = s.execute(
        select(Area.area_m2)
        .join(GridPlan, GridPlan.area_id == Area.id)
        .where(GridPlan.id == plan_id)
    ).scalar()
    return float(whole or 0.0) / int(count)


def tile_cell_ids(s: Session, in_tile: Select[Any]) -> npt.NDArray[np.int64]:
    """The ids of the cells `in_tile` selects, in id order (no codes: for the merged tiles)."""
    ids = np.asarray(s.execute(in_tile).scalars().all(), dtype=np.int64)
    ids.sort()
    return ids


def tile_posts(s: Session, in_tile: Select[Any]) -> Sequence[tuple[int, str, str]]:
    """(cell id, warden name, role) of every post in the cells `in_tile` selects, in the order made."""
    return raw_rows(
        s,
        select(Assignment.cell_id, Warden.name, Assignment.role)
        .join(Warden, Warden.id == Assignment.warden_id)
        .where(Assignment.cell_id.in_(in_tile))
        .order_by(Assignment.id),
    )


def mvt_in_db(
    s: Session,
    plan_id: int,
    tile: Tile,
    ids: Sequence[int],
    codes: Sequence[str],
    status: Sequence[str],
    wardens: Sequence[str],
    counts: Sequence[int],
    posts: Sequence[str],
) -> bytes:
    """The tile's `cells` layer as PostGIS makes it, with each cell's (by id) properties given."""
    data = s.execute(
        _MVT_SQL,
        {
            "ids": [int(i) for i in ids],
            "codes": list(codes),
            "status": list(status),
            "wardens": list(wardens),
            "counts": [int(n) for n in counts],
            "posts": list(posts),
            "z": tile.z,
            "x": tile.x,
            "y": tile.y,
            "plan": plan_id,
        },
    ).scalar()
    return bytes(data) if data else b""
