"""An area's cells for the cells API and the maps that fetch them: the plan in force at a moment, with
its cells' schedules and, when asked, each cell's status and wardens from the coverage report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Cell, GridPlan, Schedule
from gridmgr.db.queries import active_plan, plan_at
from gridmgr.db.queries import get_area as area_row
from gridmgr.db.store import load_cells, raw_rows, reading
from gridmgr.errors import Conflict
from gridmgr.rules.clock import parse_moment
from gridmgr.services.coverage import CellStates, coverage_report


@dataclass(frozen=True)
class PlanCells:
    """One plan's cells (id, code, seq, area_m2, geometry, in code order) and what was asked of them."""

    plan_version: int
    cells: gpd.GeoDataFrame
    states: CellStates | None = None  # each cell's status and wardens, from the coverage report
    # the plan's distinct schedules as (times, extra), and each scheduled cell's (by id) among them
    schedules: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    schedule_of: dict[int, int] = field(default_factory=dict)


def plan_cells_at(
    engine: Engine,
    slug: str,
    *,
    at: str | datetime | None = None,
    states: bool = False,
    schedules: bool = False,
) -> PlanCells | None:
    """The cells of the plan in force at `at` (default: the active plan), None when not gridded yet.

    With `states` each cell's status and wardens at `at` (default now) come too, as the coverage
    report gives them; with `schedules`, the plan's schedules. For a past `at` the plan that was
    active then is used, as the coverage report does.
    """
    for _ in range(3):  # a re-grid between reading the cells and the report: read both again
        with reading(engine) as s:
            area = area_row(s, slug)
            plan = _plan_in_force(s, area, at, slug)
            if plan is None:
                return None
            data = PlanCells(plan.version, load_cells(s, plan.id))
            if schedules:
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
                        data.schedules.append((tuple(times.split(",")), int(extra)))
                    data.schedule_of[int(cell_id)] = alike[key]
        if not states:
            return data
        report = coverage_report(engine, slug, at=at, with_cells=True)
        if report.plan_version == data.plan_version:
            return PlanCells(data.plan_version, data.cells, report.cells, data.schedules,
                             data.schedule_of)  # fmt: skip
    raise Conflict(f"area {slug!r} was re-gridded while its cells were read; ask again")


def _plan_in_force(s: Session, area: Area, at: str | datetime | None, slug: str) -> GridPlan | None:
    """The active plan when `at` is None, else the plan active at that moment (None before any grid)."""
    if at is None:
        return active_plan(s, area.id)
    if s.execute(select(GridPlan.id).where(GridPlan.area_id == area.id).limit(1)).first() is None:
        return None
    return plan_at(s, area.id, parse_moment(at, ZoneInfo(area.timezone)), slug)
