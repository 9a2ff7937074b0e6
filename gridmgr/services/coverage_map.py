"""What the manager's coverage map shows: an area's outline, the coverage report and the shapes of its cells."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Engine, func, select

from gridmgr.db.models import Cell
from gridmgr.db.queries import get_area, plan_at
from gridmgr.db.store import load_cells, reading
from gridmgr.rules.clock import parse_moment
from gridmgr.services.coverage import coverage_report


def area_coverage_map(
    engine: Engine, slug: str, *, at: str | datetime | None = None, inline_max: int = 3000
) -> dict[str, Any]:
    """An area's name, outline and coverage report at a moment, with its cells' shapes when few enough.

    Returns ``{"slug", "name", "kind", "timezone", "geometry", "report", "cells"}``. With at most
    `inline_max` cells in the plan of that moment, ``report`` carries each cell's status
    (``with_cells``) and ``cells`` is a GeoDataFrame of code, status, wardens (a list of
    ``{"name", "role"}`` per cell: the page names the role in its language), last_round, next_round
    and geometry, in code order; with more, ``cells`` is None and the page loads them from the API.
    """
    for _ in range(3):  # a re-grid between the two reads: read both again
        with reading(engine) as s:
            area = get_area(s, slug)
            tz = ZoneInfo(area.timezone)
            plan = plan_at(s, area.id, None if at is None else parse_moment(at, tz), slug)
            n_cells = s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar() or 0
            inline = n_cells <= inline_max
            shapes = load_cells(s, plan.id) if inline else None
            outline = shapely.from_wkb(area.geometry)
            name, kind, timezone = area.name, area.kind, area.timezone
        report = coverage_report(engine, slug, at=at, with_cells=inline)
        if report["plan_version"] == plan.version:
            break
    cells = None
    if shapes is not None:
        cells = _cells_with_status(shapes, report.pop("cells"))
    return {
        "slug": slug,
        "name": name,
        "kind": kind,
        "timezone": timezone,
        "geometry": outline,
        "report": report,
        "cells": cells,
    }


def _cells_with_status(shapes: gpd.GeoDataFrame, rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The report's per-cell rows joined to the cells' shapes (both in code order)."""
    codes = shapes["code"].to_numpy(dtype=object)
    if [r["code"] for r in rows] != list(codes):
        order = {r["code"]: r for r in rows}
        rows = [order[c] for c in codes]
    out = gpd.GeoDataFrame(
        {
            "code": codes,
            "status": [r["status"] for r in rows],
            "wardens": [
                [{"name": w["name"], "role": w["role"]} for w in r["wardens"]] for r in rows
            ],
            "last_round": _short_times([r["last_round"] for r in rows]),
            "next_round": _short_times([r["next_round"] for r in rows]),
        },
        geometry=np.asarray(shapes.geometry.values, dtype=object),
        crs="EPSG:4326",
    )
    return out


def _short_times(values: list[str | None]) -> list[str | None]:
    """ISO local times as 'MM-DD HH:MM' (the area's own clock), None kept."""
    return [None if v is None else f"{v[5:10]} {v[11:16]}" for v in values]
