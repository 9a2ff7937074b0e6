"""Queries every use case shares: audit lines, an area by slug, its active plan or the plan of a moment,
cells by code, and schedule rows as rhythms."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import geopandas as gpd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    AuditEvent,
    Cell,
    GridPlan,
    Schedule,
)
from gridmgr.db.store import load_cells
from gridmgr.errors import InvalidInput, NotFound, Phrase
from gridmgr.rules.clock import aware_utc
from gridmgr.rules.schedule import Rhythm


def record_audit(
    session: Session, actor: str, action: str, area_id: int | None, **details: Any
) -> None:
    """Add an audit line (who, what, which area, details as JSON) to the session's transaction."""
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            area_id=area_id,
            details=json.dumps(details, ensure_ascii=False),
        )
    )


def get_area(s: Session, slug: str) -> Area:
    """The area with this slug, or NotFound listing what exists."""
    area = s.execute(select(Area).where(Area.slug == slug)).scalar_one_or_none()
    if area is None:
        known = s.execute(select(Area.slug).order_by(Area.slug).limit(10)).scalars().all()
        raise NotFound.of(
            "no area {slug!r}; areas: {known}",
            slug=slug,
            known=", ".join(known) or Phrase("none yet (gridmgr area add)"),
        )
    return area


def active_plan(s: Session, area_id: int) -> GridPlan | None:
    return s.execute(
        select(GridPlan).where(GridPlan.area_id == area_id, GridPlan.active)
    ).scalar_one_or_none()


def active_cells(s: Session, slug: str) -> tuple[Area, GridPlan, gpd.GeoDataFrame]:
    area = get_area(s, slug)
    plan = active_plan(s, area.id)
    if plan is None:
        raise InvalidInput.of(
            "area {slug!r} has no cells yet; grid it first (gridmgr grid {slug} --count N)",
            slug=slug,
        )
    return area, plan, load_cells(s, plan.id)


def cell_ids(cells: gpd.GeoDataFrame, codes: list[str], slug: str) -> list[int]:
    by_code = dict(zip(cells["code"], cells["id"], strict=True))
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise NotFound.of(
            "area {slug!r} has no cell {code!r} in its active plan", slug=slug, code=missing[0]
        )
    return [int(by_code[c]) for c in codes]


# a schedule row: cell id, then what makes its rhythm
SCHEDULE_COLUMNS = (
    Schedule.cell_id,
    Schedule.times,
    Schedule.extra,
    Schedule.window_before_min,
    Schedule.window_after_min,
    Schedule.since_s,
)


def plan_schedules(plan_id: int):
    """The select of every schedule row (SCHEDULE_COLUMNS) of a plan's cells."""
    return (
        select(*SCHEDULE_COLUMNS)
        .join(Cell, Cell.id == Schedule.cell_id)
        .where(Cell.plan_id == plan_id)
    )


def rhythm_of(times: str, extra: int, before: int, after: int, since: int | None = None) -> Rhythm:
    """A stored schedule (times as "08:00,12:00") as the Rhythm the 3+N rules take."""
    return Rhythm(tuple(times.split(",")), extra, before, after, since)


def plan_at(s, area_id: int, moment: datetime | None, slug: str) -> GridPlan:
    """The active plan now, or the newest plan created by a given moment."""
    plans = (
        s.execute(select(GridPlan).where(GridPlan.area_id == area_id).order_by(GridPlan.version))
        .scalars()
        .all()
    )
    if not plans:
        raise InvalidInput(
            f"area {slug!r} has no cells yet; grid it first (gridmgr grid {slug} --count N)"
        )
    if moment is None:
        return next(p for p in plans if p.active)
    earlier = [p for p in plans if aware_utc(p.created_at) <= moment]
    if not earlier:
        raise NotFound(
            f"area {slug!r} had no grid plan at {moment.isoformat()}; its first dates from {aware_utc(plans[0].created_at).isoformat()}"
        )
    return earlier[-1]


def id_in_range(value: int) -> int:
    """An id that fits the databases' integer (a larger one matches nothing)."""
    return value if 0 < value < 2**31 else 0
