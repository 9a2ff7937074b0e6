"""Vector tiles of an area's plan for big maps: the cells that meet a tile, with the status the
coverage map colours them by and their wardens, worked out for those cells only, as one Mapbox
Vector Tile layer `cells` (made by PostGIS on PostgreSQL, in Python on SQLite)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, GridPlan
from gridmgr.db.queries import active_plan, plan_at
from gridmgr.db.queries import get_area as area_row
from gridmgr.db.store import is_postgres, reading
from gridmgr.db.tiles import cells_in_tile, mvt_in_db, tile_cell_rows, tile_posts
from gridmgr.errors import NotFound
from gridmgr.files.tiles import encode_tile
from gridmgr.geometry.tiles import shapes_in_tile, tile_of
from gridmgr.rules.clock import parse_moment
from gridmgr.services.coverage import map_status
from gridmgr.services.round_status import read_rounds

LAYER = "cells"


@dataclass(frozen=True)
class PlanTile:
    """One tile of a plan: its MVT bytes (b"" when no cell shows in it) and how many cells meet it."""

    plan_version: int | None  # None: the area has no plan yet
    data: bytes
    cells: int


def plan_tile(
    engine: Engine,
    slug: str,
    z: int,
    x: int,
    y: int,
    *,
    at: str | datetime | None = None,
    plan: int | None = None,
) -> PlanTile:
    """The tile z/x/y of the area's plan: the active one, the one in force at `at`, or version `plan`;
    each cell with its code, status at `at` (default now), wardens' names and their count, and its
    posts as JSON text ([[name, role], ...]).

    Status and wardens are read for the tile's cells only, and judged by the coverage report's rules.
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
        ids, codes, shapes = tile_cell_rows(s, in_tile, geometry=not postgres)
        if not len(ids):
            return PlanTile(chosen.version, b"", 0)
        by_id = np.argsort(ids)
        posts = tile_posts(s, in_tile)
        post_cell = by_id[np.searchsorted(ids, [p[0] for p in posts], sorter=by_id)]
        names: list[list[str]] = [[] for _ in ids]
        pairs: list[list[tuple[str, str]]] = [[] for _ in ids]
        for k, p in zip(post_cell.tolist(), posts, strict=True):
            names[k].append(str(p[1]))
            pairs[k].append((str(p[1]), str(p[2])))
        counts = np.bincount(post_cell.astype(np.int64), minlength=len(ids))
        rounds = read_rounds(s, ids, tz, moment, cells=in_tile, days_back=1)
        status = map_status(rounds.status(moment, tz).status, counts > 0)
        wardens = [", ".join(n) for n in names]
        # each post as [name, role] in JSON text, for maps that show roles (names may hold commas)
        post_texts = [json.dumps(p, ensure_ascii=False, separators=(",", ":")) for p in pairs]
        if postgres:
            data = mvt_in_db(s, chosen.id, tile, ids.tolist(), codes, list(status), wardens,
                             counts.tolist(), post_texts)  # fmt: skip
            return PlanTile(chosen.version, data, len(ids))
    shown = shapes_in_tile(shapes, tile)
    data = encode_tile(
        LAYER,
        shown,
        {
            "code": codes,
            "status": [str(v) for v in status],
            "wardens": wardens,
            "wardens_count": counts.tolist(),
            "posts": post_texts,
        },
    )
    return PlanTile(chosen.version, data, len(ids))


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
