"""An area as a GeoJSON Feature and its cells as one FeatureCollection or compact columns, built fast."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select

from gridmgr.db.models import Cell, GridPlan, Schedule
from gridmgr.db.queries import active_plan, get_area, plan_at
from gridmgr.db.store import load_cells, raw_rows, reading
from gridmgr.errors import Conflict, InvalidInput
from gridmgr.rules.clock import parse_moment
from gridmgr.services.coverage import coverage_report

CELL_FIELDS = ("code", "area_m2", "wardens", "schedule", "status")
CELL_FORMATS = ("geojson", "compact")
STATUSES = ("ok", "due", "overdue", "unstaffed", "unscheduled")  # compact status 0..4
PRECISION_RANGE = (5, 7)
_HOLE = float("nan")
_MULTIPOLYGON = 6  # shapely.get_type_id of a MultiPolygon


def area_feature(engine: Engine, slug: str) -> dict[str, Any]:
    """An area as a GeoJSON Feature: its outline, and slug, name, kind, code prefix, time zone, size, plan."""
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = active_plan(s, area.id)
        count = (
            s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar() if plan else 0
        )
        geometry = json.loads(shapely.to_geojson(shapely.from_wkb(area.geometry)))
        return {
            "type": "Feature",
            "id": area.slug,
            "geometry": geometry,
            "properties": {
                "slug": area.slug,
                "name": area.name,
                "kind": area.kind,
                "code": area.code_prefix,
                "timezone": area.timezone,
                "area_m2": round(float(area.area_m2), 1),
                "plan_version": plan.version if plan else None,
                "cells": int(count or 0),
            },
        }


def cell_fields(text: str | None) -> tuple[str, ...]:
    """The properties asked for in `fields=code,status` (all of them when None), or InvalidInput."""
    if text is None:
        return CELL_FIELDS
    wanted = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    bad = [f for f in wanted if f not in CELL_FIELDS]
    if bad or not wanted:
        raise InvalidInput(
            f"fields: unknown field {bad[0]!r}; use some of {', '.join(CELL_FIELDS)}"
            if bad
            else f"fields: name at least one of {', '.join(CELL_FIELDS)}"
        )
    return wanted


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building 10,000 small dicts otherwise sets off full
    collections over the whole process's heap, which cost more than the building itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_precision(precision: int) -> None:
    """Refuse a precision outside PRECISION_RANGE (or not a whole number) with InvalidInput."""
    lo, hi = PRECISION_RANGE
    if isinstance(precision, bool) or not isinstance(precision, int) or not lo <= precision <= hi:
        raise InvalidInput(f"precision must be a whole number from {lo} to {hi}, got {precision!r}")


def cells_geojson(
    engine: Engine,
    slug: str,
    *,
    fields: tuple[str, ...] = CELL_FIELDS,
    precision: int = 7,
    at: str | datetime | None = None,
) -> str:
    """The cells of the plan in force at `at` (default: the active plan) as GeoJSON text.

    A FeatureCollection, properties trimmed to `fields`: code, area_m2, wardens ([{name, role}]),
    schedule ({times, extra} or null) and status (ok|due|overdue|unstaffed|unscheduled, as in the
    coverage report's cells at `at`, default now). For a past `at` the plan that was active then is
    used, as the coverage report does. Coordinates are rounded to `precision` decimals (5 to 7; 7 is
    about 1 cm). Geometries are written by GEOS for the whole plan at once, so 10,000 cells take a
    few tens of milliseconds.
    """
    _check_precision(precision)
    fields = tuple(f for f in CELL_FIELDS if f in fields)
    with _collector_paused():
        data = _read_cells(engine, slug, fields, at)
        if data is None:  # not gridded yet: no cells
            return '{"type":"FeatureCollection","features":[]}'
        return _geojson_text(data, fields, precision)


def cells_compact(
    engine: Engine,
    slug: str,
    *,
    fields: tuple[str, ...] = CELL_FIELDS,
    precision: int = 7,
    at: str | datetime | None = None,
) -> str:
    """The same cells as `cells_geojson` in the compact format of docs/api.md, about a quarter the size.

    Properties are columns (status and wardens as indices into `tables`, codes as prefix + numbers
    when they allow it); coordinates are integers in units of 10^-precision degrees, each ring's
    first vertex relative to `origin` and every next one as the difference from the one before, the
    closing vertex left out. Built with array operations over the whole plan, no loop per cell.
    """
    _check_precision(precision)
    fields = tuple(f for f in CELL_FIELDS if f in fields)
    with _collector_paused():
        data = _read_cells(engine, slug, fields, at)
        return _compact_text(data, fields, precision)


@dataclass
class _PlanCells:
    """One plan's cells, the report's per-cell rows (when status or wardens are asked for), schedules."""

    cells: gpd.GeoDataFrame
    per_cell: list[dict[str, Any]] | None
    schedules: list[dict[str, Any]] = field(default_factory=list)  # distinct {times, extra}
    schedule_of: dict[int, int] = field(default_factory=dict)  # cell id -> index in schedules


def _plan_in_force(s: Any, area: Any, at: str | datetime | None, slug: str) -> GridPlan | None:
    """The active plan when `at` is None, else the plan active at that moment (None before any grid)."""
    if at is None:
        return active_plan(s, area.id)
    if s.execute(select(GridPlan.id).where(GridPlan.area_id == area.id).limit(1)).first() is None:
        return None
    return plan_at(s, area.id, parse_moment(at, ZoneInfo(area.timezone)), slug)


def _read_cells(
    engine: Engine, slug: str, fields: tuple[str, ...], at: str | datetime | None
) -> _PlanCells | None:
    """The cells of the plan in force at `at` with what `fields` need; None when not gridded yet."""
    for _ in range(3):  # a re-grid between reading the cells and the report: read both again
        with reading(engine) as s:
            area = get_area(s, slug)
            plan = _plan_in_force(s, area, at, slug)
            if plan is None:
                return None
            version = plan.version
            data = _PlanCells(load_cells(s, plan.id), None)
            if "schedule" in fields:
                alike: dict[tuple[str, int], int] = {}
                for cell_id, times, extra in raw_rows(
                    s,
                    select(Schedule.cell_id, Schedule.times, Schedule.extra)
                    .join(Cell, Cell.id == Schedule.cell_id)
                    .where(Cell.plan_id == plan.id),
                ):
                    key = (times, int(extra))
                    if key not in alike:
                        alike[key] = len(data.schedules)
                        data.schedules.append({"times": times.split(","), "extra": int(extra)})
                    data.schedule_of[int(cell_id)] = alike[key]
        if "status" not in fields and "wardens" not in fields:
            return data
        report = coverage_report(engine, slug, at=at, with_cells=True)
        if report["plan_version"] == version:
            data.per_cell = report["cells"]
            return data
    raise Conflict(f"area {slug!r} was re-gridded while its cells were read; ask again")


def _geojson_text(data: _PlanCells, fields: tuple[str, ...], precision: int) -> str:
    """The cells as a GeoJSON FeatureCollection's text, properties in CELL_FIELDS order."""
    cells, per_cell = data.cells, data.per_cell or []
    geoms = np.asarray(cells.geometry.values)
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, precision))
    texts = shapely.to_geojson(rounded)
    columns: dict[str, list] = {}
    if "code" in fields:
        columns["code"] = list(cells["code"])
    if "area_m2" in fields:
        columns["area_m2"] = [round(float(a), 1) for a in cells["area_m2"]]
    if "wardens" in fields:
        columns["wardens"] = [c["wardens"] for c in per_cell]
    if "schedule" in fields:
        columns["schedule"] = [
            None if (k := data.schedule_of.get(int(i))) is None else data.schedules[k]
            for i in cells["id"]
        ]
    if "status" in fields:
        columns["status"] = [c["status"] for c in per_cell]
    names = list(columns)
    rows = zip(*columns.values(), strict=True) if names else ([] for _ in texts)
    # one C-speed dump of the whole collection with NaN standing in for each geometry, then the
    # geometries GEOS wrote spliced in: `"geometry":NaN` cannot occur inside a JSON string
    skeleton = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": _HOLE,
                    "properties": dict(zip(names, v, strict=True)),
                }
                for v in rows
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    pieces = skeleton.split('"geometry":NaN')
    out = [pieces[0]]
    for g, rest in zip(texts, pieces[1:], strict=True):
        out.append('"geometry":')
        out.append(g)
        out.append(rest)
    return "".join(out)


def _compact_text(data: _PlanCells | None, fields: tuple[str, ...], precision: int) -> str:
    """The cells in the compact format (docs/api.md) as JSON text; no cells when `data` is None."""
    if data is None:
        cells = gpd.GeoDataFrame({"id": [], "code": [], "area_m2": []}, geometry=[])
        data = _PlanCells(cells, [])
    cells, n = data.cells, len(data.cells)
    columns: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    if "code" in fields:
        columns["code"] = code_column(cells["code"])
    if "area_m2" in fields:
        columns["area_m2"] = np.round(cells["area_m2"].to_numpy(dtype=float), 1).tolist()
    if "wardens" in fields:
        columns["wardens"], tables["wardens"] = _warden_column(data.per_cell or [])
    if "schedule" in fields:
        where = pd.Series(data.schedule_of, dtype="int64").reindex(cells["id"].to_numpy())
        index = where.fillna(-1).to_numpy(dtype=np.int64).astype(object)
        index[index == -1] = None
        columns["schedule"] = index.tolist()
        tables["schedule"] = data.schedules
    if "status" in fields:
        statuses = list(map(itemgetter("status"), data.per_cell or []))
        columns["status"] = pd.Categorical(statuses, categories=STATUSES).codes.tolist()
        tables["status"] = list(STATUSES)
    geometries, origin = _compact_geometries(np.asarray(cells.geometry.values), precision)
    return json.dumps(
        {
            "format": "compact",
            "count": n,
            "precision": precision,
            "origin": origin,
            "columns": columns,
            "tables": tables,
            "geometries": geometries,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def code_column(codes: pd.Series) -> list[str] | dict[str, Any]:
    """Codes as {"prefix", "width", "numbers"} when every code is one prefix and a number, else as they are.

    `width` is the digits the numbers are zero-padded to (0: written as they are).
    """
    values = codes.astype(str)
    if not len(values):
        return []
    # the common prefix of the lowest and highest strings is the common prefix of them all
    low, high = str(values.min()), str(values.max())
    same = next((k for k, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), None)
    prefix = low[: min(len(low), len(high)) if same is None else same].rstrip("0123456789")
    tails = values.str.slice(len(prefix))
    if not tails.str.fullmatch(r"[0-9]{1,15}").all():
        return values.tolist()
    lengths = tails.str.len()
    if lengths.nunique() == 1:
        width = int(lengths.iloc[0])
    elif not (tails.str.startswith("0") & (lengths > 1)).any():
        width = 0
    else:  # zero-padded to different widths: the numbers cannot say how
        return values.tolist()
    return {"prefix": prefix, "width": width, "numbers": tails.astype(np.int64).tolist()}


def _warden_column(per_cell: list[dict[str, Any]]) -> tuple[dict[str, list[int]], list[list[str]]]:
    """Each cell's wardens as a count per cell and indices into a table of distinct [name, role]."""
    lists = list(map(itemgetter("wardens"), per_cell))
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    posts = list(chain.from_iterable(lists))
    if not posts:
        return {"counts": counts.tolist(), "posts": []}, []
    pairs = pd.MultiIndex.from_arrays(
        [list(map(itemgetter("name"), posts)), list(map(itemgetter("role"), posts))]
    )
    index, distinct = pairs.factorize()
    return (
        {"counts": counts.tolist(), "posts": index.tolist()},
        [[str(name), str(role)] for name, role in distinct],
    )


def _compact_geometries(
    geoms: np.ndarray, precision: int
) -> tuple[dict[str, list[int]], list[int]]:
    """Polygons and MultiPolygons as counts (parts per cell, rings per part, vertices per ring) and
    delta-encoded integer coordinates, with the origin they start from."""
    types = shapely.get_type_id(geoms)
    parts, part_cell = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    n_parts = np.bincount(part_cell, minlength=len(geoms))
    n_rings = np.bincount(ring_part, minlength=len(parts))
    n_vertices = np.bincount(vertex_ring, minlength=len(rings))
    keep = np.ones(len(xy), dtype=bool)
    keep[np.cumsum(n_vertices)[n_vertices > 0] - 1] = False  # each ring's closing vertex
    n_kept = np.maximum(n_vertices - 1, 0)
    units = np.rint(xy[keep] * 10.0**precision).astype(np.int64)
    origin = units.min(axis=0) if len(units) else np.zeros(2, dtype=np.int64)
    units -= origin
    steps = units.copy()
    steps[1:] -= units[:-1]
    firsts = (np.cumsum(n_kept) - n_kept)[n_kept > 0]
    steps[firsts] = units[firsts]  # a ring starts from the origin, not from the last ring
    return (
        {
            "parts": n_parts.tolist(),
            "multi": np.flatnonzero(types == _MULTIPOLYGON).tolist(),
            "rings": n_rings.tolist(),
            "vertices": n_kept.tolist(),
            "coords": steps.ravel().tolist(),
        },
        origin.tolist(),
    )
