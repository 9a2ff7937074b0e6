"""Plan history, and plans read out for export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    GridPlan,
    Schedule,
    Warden,
)
from gridmgr.db.queries import active_cells, get_area
from gridmgr.db.store import load_cells, reading
from gridmgr.errors import NotFound

# --- reading out ------------------------------------------------------------------------------


def _plan_version(s: Session, slug: str, version: int) -> tuple[Area, GridPlan, gpd.GeoDataFrame]:
    """An area's plan of this version with its cells, or NotFound."""
    area = get_area(s, slug)
    plan = s.execute(
        select(GridPlan).where(GridPlan.area_id == area.id, GridPlan.version == version)
    ).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"area {slug!r} has no plan version {version}")
    return area, plan, load_cells(s, plan.id)


@dataclass(frozen=True)
class PlanRow:
    """One plan of an area's history."""

    version: int
    active: bool
    mode: str  # count | cell_size | import | restore
    cells: int
    created_at: datetime  # in UTC, as the database keeps it (SQLite gives no offset)
    created_by: str | None


@dataclass(frozen=True)
class Exported:
    """A plan written to a file: where, how many cells, in which datum."""

    output: Path
    cells: int
    crs: str


def list_plans(engine: Engine, slug: str) -> list[PlanRow]:
    """An area's plan history, oldest first: version, mode, cell count, when, by whom, active or not."""
    with reading(engine) as s:
        area = get_area(s, slug)
        rows = s.execute(
            select(GridPlan, func.count(Cell.id))
            .outerjoin(Cell, Cell.plan_id == GridPlan.id)
            .where(GridPlan.area_id == area.id)
            .group_by(GridPlan.id)
            .order_by(GridPlan.version)
        ).all()
        return [
            PlanRow(p.version, p.active, p.mode, int(n), p.created_at, p.created_by)
            for p, n in rows
        ]


def plan_cells(engine: Engine, slug: str, *, version: int | None = None) -> gpd.GeoDataFrame:
    """A plan's cells (the active one unless a version is named) with their wardens and schedule."""
    with reading(engine) as s:
        _area, _plan, cells = (
            active_cells(s, slug) if version is None else _plan_version(s, slug, version)
        )
        ids = [int(i) for i in cells["id"]]
        posts: dict[int, list[str]] = {}
        for cell_id, name, role in s.execute(
            select(Assignment.cell_id, Warden.name, Assignment.role)
            .join(Warden, Warden.id == Assignment.warden_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .where(Cell.plan_id == _plan.id)
            .order_by(Warden.name)
        ):
            posts.setdefault(cell_id, []).append(f"{name} ({role})")
        sched = {
            c: f"{t} +{e}"
            for c, t, e in s.execute(
                select(Schedule.cell_id, Schedule.times, Schedule.extra)
                .join(Cell, Cell.id == Schedule.cell_id)
                .where(Cell.plan_id == _plan.id)
            )
        }
    cells["wardens"] = ["; ".join(posts.get(i, [])) for i in ids]
    cells["schedule"] = [sched.get(i, "") for i in ids]
    return cells.drop(columns=["id", "seq"])


def export_plan(
    engine: Engine, slug: str, path: str | Path, *, crs: str = "wgs84", version: int | None = None
) -> Exported:
    """Write a plan (the active one by default: codes, areas, wardens, schedules, and the leaders of
    the cells' area and the areas above it) to GeoJSON or GeoPackage."""
    from gridmgr.files.export import write_cells
    from gridmgr.geometry.datum import from_wgs84, parse_datum
    from gridmgr.services.leaders import area_chain_leaders

    datum = parse_datum(crs)
    cells = plan_cells(engine, slug, version=version)
    # the chain of responsibility above every cell: the leaders of its area and the areas above it
    cells["leaders"] = area_chain_leaders(engine, slug)
    if datum != "wgs84":
        cells = cells.set_geometry(
            gpd.GeoSeries(from_wgs84(np.asarray(cells.geometry.values), datum), crs="EPSG:4326")
        )
    out = write_cells(cells, path)
    return Exported(out, len(cells), datum)
