"""Vector tiles of an area's plan for big maps: the cells that meet a tile, with the status the
coverage map colours them by and their wardens, worked out for those cells only, as one Mapbox
Vector Tile layer `cells` (made by PostGIS on PostgreSQL, in Python on SQLite); at zooms where a cell
is only a few pixels, the layer `statuses` instead: the cells merged per status, with their counts
(made in Python on both databases, so both give the same tile)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, GridPlan
from gridmgr.db.queries import active_plan, plan_at
from gridmgr.db.queries import get_area as area_row
from gridmgr.db.store import is_postgres, reading
from gridmgr.db.tiles import (
    cells_in_tile,
    mvt_in_db,
    plan_cell_area,
    tile_cell_ids,
    tile_cell_rows,
    tile_cell_shapes,
    tile_posts,
)
from gridmgr.errors import NotFound
from gridmgr.files.tiles import encode_tile
from gridmgr.geometry.tile_dissolve import cells_zoom, dissolve_in_tile, tile_latitude
from gridmgr.geometry.tiles import Tile, shapes_in_tile, tile_of
from gridmgr.rules.clock import parse_moment
from gridmgr.services.coverage import map_status
from gridmgr.services.round_status import positions_among, read_rounds
from gridmgr.services.tile_cache import TileCache

LAYER = "cells"
STATUS_LAYER = "statuses"  # the cells merged per status, below the zoom where single cells start


@dataclass(frozen=True)
class PlanTile:
    """One tile of a plan: its MVT bytes (b"" when no cell shows in it) and how many cells meet it;
    `dissolved` when it carries the cells merged per status (layer `statuses`), `cells_zoom` the
    lowest zoom whose tiles carry single cells (layer `cells`)."""

    plan_version: int | None  # None: the area has no plan yet
    data: bytes
    cells: int
    dissolved: bool = False
    cells_zoom: int = 0


@dataclass(frozen=True)
class _Columns:
    """The properties of a tile's cells (by the cells' order): what the tile is drawn from."""

    status: list[str]
    wardens: list[str]
    counts: list[int]
    posts: list[str]


def plan_tile(
    engine: Engine,
    slug: str,
    z: int,
    x: int,
    y: int,
    *,
    at: str | datetime | None = None,
    plan: int | None = None,
    cache: TileCache | None = None,
    single: bool = False,
) -> PlanTile:
    """The tile z/x/y of the area's plan: the active one, the one in force at `at`, or version `plan`;
    each cell with its code, status at `at` (default now), wardens' names and their count, and its
    posts as JSON text ([[name, role], ...]). Below the zoom where the plan's mean cell reaches
    CELL_MIN_PX pixels on the screen, one feature per status instead: the cells of that status
    merged and simplified to a pixel, with `cells` (how many) and `cells_zoom`.

    Status and wardens are read for the tile's cells only, and judged by the coverage report's rules.
    With `cache`, a tile made before from the same plan, cells and properties is given again without
    being made (see `services.tile_cache` for why that is never stale). `single`: single cells at
    every zoom (the tiles as they were before merging; for comparisons).
    """
    tile = tile_of(z, x, y)
    postgres = is_postgres(engine)
    with reading(engine) as s:
        area = area_row(s, slug)
        tz = ZoneInfo(area.timezone)
        moment = parse_moment(at, tz)
        chosen = _plan(s, area, at, plan, moment)
        if chosen is None:
            return PlanTile(None, b"", 0)
        in_tile = cells_in_tile(s, chosen.id, tile)
        from_z = cells_zoom(math.sqrt(plan_cell_area(s, chosen.id)), tile_latitude(tile))
        dissolved = tile.z < from_z and not single
        codes: list[str] = []  # merged tiles need none
        if dissolved:
            ids = tile_cell_ids(s, in_tile)
        else:
            ids, codes, _ = tile_cell_rows(s, in_tile, geometry=False)
        if not len(ids):
            return PlanTile(chosen.version, b"", 0, dissolved, from_z)
        columns = _columns(s, in_tile, ids, tz, moment, posts=not dissolved)
        key = _key(chosen, tile, from_z, ids, codes, columns, dissolved=dissolved)
        data = cache.get(key) if cache is not None else None
        if data is None:
            if dissolved:
                data = _dissolved(s, in_tile, ids, columns.status, tile, from_z)
            elif postgres:
                data = mvt_in_db(s, chosen.id, tile, ids.tolist(), codes, columns.status,
                                 columns.wardens, columns.counts, columns.posts)  # fmt: skip
            else:
                data = _single(s, in_tile, ids, codes, columns, tile)
            if cache is not None:
                cache.put(key, data)
    return PlanTile(chosen.version, data, len(ids), dissolved, from_z)


def _columns(
    s: Session,
    in_tile: Select[Any],
    ids: npt.NDArray[np.int64],
    tz: ZoneInfo,
    moment: datetime,
    *,
    posts: bool,
) -> _Columns:
    """The status of each of the cells `ids`, and with `posts` its wardens' names, their count and
    its posts (JSON text); without, only how many wardens each has (all a merged tile needs)."""
    held = tile_posts(s, in_tile)
    post_cell = positions_among(ids)([p[0] for p in held])
    counts = np.bincount(post_cell.astype(np.int64), minlength=len(ids))
    rounds = read_rounds(s, ids, tz, moment, cells=in_tile, days_back=1)
    status = [str(v) for v in map_status(rounds.status(moment, tz).status, counts > 0)]
    if not posts:
        return _Columns(status=status, wardens=[], counts=counts.tolist(), posts=[])
    names: list[list[str]] = [[] for _ in ids]
    pairs: list[list[tuple[str, str]]] = [[] for _ in ids]
    for k, p in zip(post_cell.tolist(), held, strict=True):
        names[k].append(str(p[1]))
        pairs[k].append((str(p[1]), str(p[2])))
    return _Columns(
        status=status,
        wardens=[", ".join(n) for n in names],
        counts=counts.tolist(),
        # each post as [name, role] in JSON text, for maps that show roles (names may hold commas)
        posts=[json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in pairs],
    )


def _key(
    chosen: GridPlan,
    tile: Tile,
    from_z: int,
    ids: npt.NDArray[np.int64],
    codes: Sequence[str],
    columns: _Columns,
    *,
    dissolved: bool,
) -> tuple[Any, ...]:
    """The cache key of a tile: the plan, the tile, and a digest of everything it is drawn from."""
    digest = hashlib.sha256(np.ascontiguousarray(ids).tobytes())
    parts: list[Sequence[str]] = [columns.status]
    if not dissolved:  # the counts are in the posts
        parts += [codes, columns.wardens, columns.posts]
    for part in parts:
        digest.update(b"\x1e" + "\x1f".join(part).encode())
    made = chosen.created_at.isoformat() if chosen.created_at else ""
    return (chosen.id, chosen.version, made, tile, from_z, dissolved, digest.hexdigest())


def _dissolved(
    s: Session,
    in_tile: Select[Any],
    ids: npt.NDArray[np.int64],
    status: list[str],
    tile: Tile,
    from_z: int,
) -> bytes:
    """The `statuses` layer: the cells merged per status, with their counts and `cells_zoom`."""
    shapes = tile_cell_shapes(s, in_tile, ids)
    known = shapes != None  # noqa: E711  # an object array's elementwise test
    made = dissolve_in_tile(shapes[known], np.asarray(status, dtype=object)[known], tile)
    return encode_tile(
        STATUS_LAYER,
        made.shapes,
        {
            "status": list(made.statuses),
            "cells": list(made.counts),
            "cells_zoom": [from_z] * len(made.statuses),
        },
    )


def _single(
    s: Session,
    in_tile: Select[Any],
    ids: npt.NDArray[np.int64],
    codes: list[str],
    columns: _Columns,
    tile: Tile,
) -> bytes:
    """The `cells` layer made in Python (SQLite): each cell cut to the tile, with its properties."""
    shown = shapes_in_tile(tile_cell_shapes(s, in_tile, ids), tile)
    return encode_tile(
        LAYER,
        shown,
        {
            "code": codes,
            "status": columns.status,
            "wardens": columns.wardens,
            "wardens_count": columns.counts,
            "posts": columns.posts,
        },
    )


def _plan(
    s: Session, area: Area, at: str | datetime | None, version: int | None, moment: datetime
) -> GridPlan | None:
    """Version `version` of the area's plans (NotFound if none), else the one in force at `at`."""
    if version is not None:
        found = s.execute(
            select(GridPlan).where(GridPlan.area_id == area.id, GridPlan.version == version)
        ).scalar_one_or_none()
        if found is None:
            raise NotFound.of(
                "area {slug!r} has no plan version {version}", slug=area.slug, version=version
            )
        return found
    if at is None:
        return active_plan(s, area.id)
    if s.execute(select(GridPlan.id).where(GridPlan.area_id == area.id).limit(1)).first() is None:
        return None
    return plan_at(s, area.id, moment, area.slug)
