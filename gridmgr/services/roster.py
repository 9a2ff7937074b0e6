"""The staff roster for managers' pages: every warden with the cells they hold, an area's cells with their
posts and schedules, and taking a warden off cells."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import Engine, delete, func, select

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Warden
from gridmgr.db.queries import active_cells, cell_ids, get_area, plan_schedules, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import NotFound


def list_wardens(engine: Engine) -> list[dict[str, Any]]:
    """Every warden by name with phone, role and the cells held in active plans ({area slug: codes})."""
    with reading(engine) as s:
        wardens = s.execute(
            select(Warden.id, Warden.name, Warden.phone, Warden.role).order_by(Warden.name)
        ).all()
        held: dict[int, dict[str, list[str]]] = {}
        for warden_id, slug, code in s.execute(
            select(Assignment.warden_id, Area.slug, Cell.code)
            .join(Cell, Cell.id == Assignment.cell_id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .join(Area, Area.id == GridPlan.area_id)
            .where(GridPlan.active)
            .order_by(Area.slug, Cell.seq)
        ):
            held.setdefault(warden_id, {}).setdefault(slug, []).append(code)
    return [
        {
            "name": name,
            "phone": phone,
            "role": role,
            "cells": held.get(wid, {}),
            "cell_count": sum(len(c) for c in held.get(wid, {}).values()),
        }
        for wid, name, phone, role in wardens
    ]


def warden_names(engine: Engine) -> list[str]:
    """Every warden's name, sorted (for pickers)."""
    with reading(engine) as s:
        return list(s.execute(select(Warden.name).order_by(Warden.name)).scalars())


def area_staff(engine: Engine, slug: str) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """An area (slug, name, plan version) and its active cells with posts [(name, role)] and schedule."""
    with reading(engine) as s:
        area, plan, cells = active_cells(s, slug)
        posts: dict[int, list[tuple[str, str]]] = {}
        for cell_id, name, role in s.execute(
            select(Assignment.cell_id, Warden.name, Assignment.role)
            .join(Warden, Warden.id == Assignment.warden_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .where(Cell.plan_id == plan.id)
            .order_by(Warden.name)
        ):
            posts.setdefault(cell_id, []).append((name, role))
        schedules = {
            c: {"times": t, "extra": e, "window": (-b, a)}
            for c, t, e, b, a, _since in s.execute(plan_schedules(plan.id))
        }
        info = {
            "slug": area.slug,
            "name": area.name,
            "kind": area.kind,
            "timezone": area.timezone,
            "plan_version": plan.version,
        }
    ids = [int(i) for i in cells["id"]]
    # object columns: pandas-stubs take no list of lists or dicts for a column
    cells["posts"] = [posts.get(i, []) for i in ids]  # type: ignore[assignment]
    cells["schedule"] = [schedules.get(i) for i in ids]  # type: ignore[assignment]
    return info, cells.drop(columns=["id"])


def unassign(
    engine: Engine, slug: str, codes: list[str], warden: str, *, actor: str = "cli"
) -> dict[str, Any]:
    """Take a warden off cells of an area's active plan; one transaction; returns how many posts went."""
    with transaction(engine) as s:
        area, _plan, cells = active_cells(s, slug)
        ids = cell_ids(cells, codes, slug)
        warden_id = s.execute(select(Warden.id).where(Warden.name == warden)).scalar()
        if warden_id is None:
            raise NotFound.of("no warden named {warden!r}", warden=warden)
        held = s.execute(
            select(func.count()).where(
                Assignment.warden_id == warden_id, Assignment.cell_id.in_(ids)
            )
        ).scalar()
        if not held:
            raise NotFound.of(
                "{warden} holds none of the cells {codes} of {slug}",
                warden=warden,
                codes=", ".join(codes),
                slug=slug,
            )
        s.execute(
            delete(Assignment).where(Assignment.warden_id == warden_id, Assignment.cell_id.in_(ids))
        )
        record_audit(s, actor, "unassign", area.id, warden=warden, cells=codes)
    return {"warden": warden, "cells": codes, "removed": int(held)}


def area_outline(engine: Engine, slug: str) -> shapely.Geometry:
    """An area's boundary (WGS84), for drawing it under its cells."""
    with reading(engine) as s:
        return shapely.from_wkb(get_area(s, slug).geometry)
