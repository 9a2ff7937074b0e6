"""An area as a GeoJSON Feature and its cells as one FeatureCollection, built fast for big plans."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, func, select

from gridmgr.errors import InvalidInput
from gridmgr.models import Cell, Schedule
from gridmgr.services._common import _active_plan, get_area
from gridmgr.services.status import coverage_report
from gridmgr.store import load_cells, raw_rows, reading

CELL_FIELDS = ("code", "area_m2", "wardens", "schedule", "status")
PRECISION_RANGE = (5, 7)
_HOLE = float("nan")


def area_feature(engine: Engine, slug: str) -> dict[str, Any]:
    """An area as a GeoJSON Feature: its outline, and slug, name, kind, code prefix, time zone, size, plan."""
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = _active_plan(s, area.id)
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


def cells_geojson(
    engine: Engine,
    slug: str,
    *,
    fields: tuple[str, ...] = CELL_FIELDS,
    precision: int = 7,
    at: str | datetime | None = None,
) -> str:
    """The active plan's cells as GeoJSON text: a FeatureCollection, properties trimmed to `fields`.

    Properties: code, area_m2, wardens ([{name, role}]), schedule ({times, extra} or null) and status
    (ok|due|overdue|unstaffed|unscheduled, as in the coverage report's cells at `at`, default now).
    Coordinates are rounded to `precision` decimals (5 to 7; 7 is about 1 cm). Geometries are written
    by GEOS for the whole plan at once, so 10,000 cells take a few tens of milliseconds.
    """
    lo, hi = PRECISION_RANGE
    if isinstance(precision, bool) or not isinstance(precision, int) or not lo <= precision <= hi:
        raise InvalidInput(f"precision must be a whole number from {lo} to {hi}, got {precision!r}")
    fields = tuple(f for f in CELL_FIELDS if f in fields)
    with _collector_paused():
        return _cells_text(engine, slug, fields, precision, at)


def _cells_text(
    engine: Engine, slug: str, fields: tuple[str, ...], precision: int, at: str | datetime | None
) -> str:
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = _active_plan(s, area.id)
        if plan is None:  # not gridded yet: no cells
            return '{"type":"FeatureCollection","features":[]}'
        cells = load_cells(s, plan.id)
        schedules: dict[int, dict[str, Any]] = {}
        alike: dict[tuple[str, int], dict[str, Any]] = {}
        if "schedule" in fields:
            for cell_id, times, extra in raw_rows(
                s,
                select(Schedule.cell_id, Schedule.times, Schedule.extra)
                .join(Cell, Cell.id == Schedule.cell_id)
                .where(Cell.plan_id == plan.id),
            ):
                key = (times, int(extra))
                if key not in alike:
                    alike[key] = {"times": times.split(","), "extra": int(extra)}
                schedules[int(cell_id)] = alike[key]
    per_cell = None
    if "status" in fields or "wardens" in fields:
        per_cell = coverage_report(engine, slug, at=at, with_cells=True)["cells"]
        if [c["code"] for c in per_cell] != list(cells["code"]):  # re-gridded meanwhile
            per_cell = coverage_report(engine, slug, at=at, with_cells=True)["cells"]
            with reading(engine) as s:
                cells = load_cells(s, _active_plan(s, get_area(s, slug).id).id)
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
        columns["schedule"] = [schedules.get(int(i)) for i in cells["id"]]
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
