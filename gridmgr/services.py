"""Use cases that combine geometry and storage: areas, plans and re-gridding, wardens, posts, schedules, export."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from gridmgr import regrid, staffing
from gridmgr.errors import Conflict, InvalidInput, NotFound
from gridmgr.geo import Limits, read_area, read_features, read_lines
from gridmgr.gridding import cells_from_area, quality_of
from gridmgr.models import (
    ROLES,
    Area,
    Assignment,
    AuditEvent,
    Cell,
    GridPlan,
    Schedule,
    Warden,
)
from gridmgr.naming import slugify
from gridmgr.projection import metric_crs, to_metric
from gridmgr.store import bulk_insert, insert_cells, load_cells, reading, transaction

DEFAULT_TIMES = ("08:00", "12:00", "18:00")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _audit(session: Session, actor: str, action: str, area_id: int | None, **details: Any) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            area_id=area_id,
            details=json.dumps(details, ensure_ascii=False),
        )
    )


# --- areas ----------------------------------------------------------------------------------


def add_area(
    engine: Engine,
    path: str | Path,
    *,
    name: str,
    kind: str = "area",
    code: str | None = None,
    crs: str = "wgs84",
    feature: int | str | None = None,
    timezone: str = "Asia/Shanghai",
    actor: str = "cli",
) -> dict[str, Any]:
    """Store a new area read from a file; returns its slug, name and size."""
    name = name.strip()
    if not name:
        raise InvalidInput("an area needs a name (--name)")
    if code is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        raise InvalidInput(f"code prefix {code!r}: use up to 40 letters, digits, '-' or '_'")
    _check_timezone(timezone)
    loaded = read_area(path, crs=crs, feature=feature, limits=Limits.from_env())
    geom = loaded.geometry
    area_m2 = float(to_metric(geom, metric_crs(geom)).area)
    with transaction(engine) as s:
        slug = _free_slug(s, slugify(name) or "area")
        area = Area(
            slug=slug,
            name=name,
            kind=kind,
            code_prefix=code,
            timezone=timezone,
            geometry=shapely.to_wkb(geom),
            area_m2=area_m2,
        )
        s.add(area)
        s.flush()
        _audit(s, actor, "area.add", area.id, name=name, source=str(path))
    return {
        "slug": slug,
        "name": name,
        "kind": kind,
        "area_m2": area_m2,
        "warnings": list(loaded.warnings),
    }


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai"
        ) from None


def _free_slug(s: Session, base: str) -> str:
    taken = set(s.execute(select(Area.slug).where(Area.slug.like(f"{base}%"))).scalars())
    if base not in taken:
        return base
    k = 2
    while f"{base}-{k}" in taken:
        k += 1
    return f"{base}-{k}"


def get_area(s: Session, slug: str) -> Area:
    """The area with this slug, or NotFound listing what exists."""
    area = s.execute(select(Area).where(Area.slug == slug)).scalar_one_or_none()
    if area is None:
        known = s.execute(select(Area.slug).order_by(Area.slug).limit(10)).scalars().all()
        raise NotFound(
            f"no area {slug!r}; areas: {', '.join(known) or 'none yet (gridmgr area add)'}"
        )
    return area


def list_areas(engine: Engine) -> list[dict[str, Any]]:
    """Every area with its active plan's version and cell count."""
    with reading(engine) as s:
        rows = s.execute(select(Area).order_by(Area.slug)).scalars().all()
        out = []
        for a in rows:
            plan = _active_plan(s, a.id)
            cells = (
                s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar()
                if plan
                else 0
            )
            out.append(
                {
                    "slug": a.slug,
                    "name": a.name,
                    "kind": a.kind,
                    "area_m2": round(a.area_m2, 1),
                    "plan_version": plan.version if plan else None,
                    "cells": cells,
                }
            )
    return out


def _active_plan(s: Session, area_id: int) -> GridPlan | None:
    return s.execute(
        select(GridPlan).where(GridPlan.area_id == area_id, GridPlan.active)
    ).scalar_one_or_none()


# --- plans ----------------------------------------------------------------------------------


@dataclass
class _Current:
    area_id: int
    version: int
    next_seq: int
    prefix: str
    geometry: shapely.Geometry
    cells: gpd.GeoDataFrame  # of the active plan (may be empty)
    posts: list[list[tuple[int, str]]]
    scheduled: np.ndarray
    schedules: dict[int, dict[str, Any]]  # by position in cells


def _current(engine: Engine, slug: str) -> _Current:
    with reading(engine) as s:
        area = get_area(s, slug)
        plan = _active_plan(s, area.id)
        cells = load_cells(s, plan.id) if plan else load_cells(s, -1)
        ids = cells["id"].to_numpy()
        pos = {int(c): k for k, c in enumerate(ids)}
        posts: list[list[tuple[int, str]]] = [[] for _ in ids]
        schedules: dict[int, dict[str, Any]] = {}
        if plan:
            for cell_id, warden_id, role in s.execute(
                select(Assignment.cell_id, Assignment.warden_id, Assignment.role)
                .join(Cell, Cell.id == Assignment.cell_id)
                .where(Cell.plan_id == plan.id)
                .order_by(Assignment.id)
            ):
                posts[pos[cell_id]].append((warden_id, role))
            columns = (
                Schedule.cell_id,
                Schedule.times,
                Schedule.extra,
                Schedule.window_before_min,
                Schedule.window_after_min,
            )
            for cell_id, *values in s.execute(
                select(*columns)
                .join(Cell, Cell.id == Schedule.cell_id)
                .where(Cell.plan_id == plan.id)
            ):
                schedules[pos[cell_id]] = dict(
                    zip(
                        ("times", "extra", "window_before_min", "window_after_min"),
                        values,
                        strict=True,
                    )
                )
        scheduled = np.array([k in schedules for k in range(len(ids))], dtype=bool)
        prefix = area.code_prefix or f"{area.slug.upper()}-"
        return _Current(
            area.id,
            area.version,
            area.next_seq,
            prefix,
            shapely.from_wkb(area.geometry),
            cells,
            posts,
            scheduled,
            schedules,
        )


def grid(
    engine: Engine,
    slug: str,
    *,
    count: int | None = None,
    cell_size: float | None = None,
    from_file: str | Path | None = None,
    shape: str = "square",
    split_by: str | Path | None = None,
    crs: str = "wgs84",
    min_fraction: float = 0.35,
    dry_run: bool = False,
    actor: str = "cli",
    _after_read=None,
) -> dict[str, Any]:
    """Make a new active plan for an area, carrying every warden post and schedule over; one transaction.

    With `dry_run` nothing is written and the same report comes back. Two re-grids of one area
    at once: the second to commit gets a Conflict and writes nothing.
    """
    limits = Limits.from_env()
    cur = _current(engine, slug)
    if _after_read is not None:
        _after_read()
    if from_file is not None:
        cells, mode, params = (
            _imported_cells(from_file, cur.geometry, crs, limits),
            "import",
            {"file": str(from_file)},
        )
    else:
        lines = read_lines(split_by, crs=crs, limits=limits) if split_by else None
        cells = cells_from_area(
            cur.geometry, count=count, cell_size=cell_size, shape=shape, split_by=lines,
            min_fraction=min_fraction, max_cells=limits.max_cells,
        )  # fmt: skip
        mode = "count" if count is not None else "cell_size"
        params = {
            "count": count,
            "cell_size": cell_size,
            "shape": shape,
            "split_by": str(split_by) if split_by else None,
        }
    return _commit_plan(engine, cur, cells, None, mode, params, dry_run=dry_run, actor=actor)


def _imported_cells(
    path: str | Path, area: shapely.Geometry, crs: str, limits: Limits
) -> gpd.GeoDataFrame:
    """Cells a planner drew: clipped to the area, kept as drawn otherwise (gaps and overlaps are reported)."""
    drawn = read_features(path, crs=crs, limits=limits)
    clipped = shapely.intersection(np.asarray(drawn.geometry.values), area)
    clipped = np.array([_polygonal_or_none(g) for g in clipped], dtype=object)
    keep = np.array([g is not None for g in clipped])
    if not keep.any():
        raise InvalidInput(f"{path}: none of the drawn cells overlaps the area")
    crs_m = metric_crs(area)
    out = gpd.GeoDataFrame(geometry=list(clipped[keep]), crs="EPSG:4326")
    out["area_m2"] = shapely.area(to_metric(np.asarray(out.geometry.values), crs_m))
    drawn_codes = drawn.get("code")
    out["code"] = list(drawn_codes[keep]) if drawn_codes is not None else [None] * int(keep.sum())
    return out


def _polygonal_or_none(geom: shapely.Geometry) -> shapely.Geometry | None:
    from gridmgr._shapes import polygonal

    poly = polygonal(geom)
    return None if poly.is_empty else poly


def restore_plan(engine: Engine, slug: str, version: int, *, actor: str = "cli") -> dict[str, Any]:
    """Make an earlier plan's cells (and codes) active again as a new version, current staff carried over."""
    cur = _current(engine, slug)
    with reading(engine) as s:
        plan = s.execute(
            select(GridPlan).where(GridPlan.area_id == cur.area_id, GridPlan.version == version)
        ).scalar_one_or_none()
        if plan is None:
            raise NotFound(f"area {slug!r} has no plan version {version}")
        old = load_cells(s, plan.id)
    return _commit_plan(
        engine,
        cur,
        old[["code", "area_m2", "geometry"]],
        old["seq"].to_numpy(),
        "restore",
        {"version": version},
        dry_run=False,
        actor=actor,
    )


def _commit_plan(
    engine: Engine,
    cur: _Current,
    cells: gpd.GeoDataFrame,
    seqs: np.ndarray | None,
    mode: str,
    params: dict,
    *,
    dry_run: bool,
    actor: str,
) -> dict[str, Any]:
    crs_m = metric_crs(cur.geometry)
    new_m = to_metric(np.asarray(cells.geometry.values), crs_m)
    old_m = (
        to_metric(np.asarray(cur.cells.geometry.values), crs_m)
        if len(cur.cells)
        else np.zeros(0, object)
    )
    mig = (
        regrid.migrate(old_m, list(cur.cells["code"]), cur.posts, cur.scheduled, new_m)
        if len(old_m)
        else None
    )
    cells = cells.reset_index(drop=True).copy()
    next_seq = cur.next_seq
    if (
        seqs is None
    ):  # codes: kept where a cell barely changed, else fresh numbers that were never used
        kept = mig.kept_code if mig else [None] * len(cells)
        fresh = [k for k, c in enumerate(kept) if c is None]
        width = max(3, len(str(next_seq + len(fresh))))
        codes = list(kept)
        seqs = np.zeros(len(cells), np.int64)
        old_seq = (
            dict(zip(cur.cells["code"], cur.cells["seq"], strict=True)) if len(cur.cells) else {}
        )
        for k, c in enumerate(kept):
            if c is not None:
                seqs[k] = old_seq[c]
        for n, k in enumerate(fresh):
            seqs[k] = next_seq + n
            codes[k] = f"{cur.prefix}{next_seq + n:0{width}d}"
        next_seq += len(fresh)
        cells["code"] = codes
    quality = quality_of(cells, cur.geometry)
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "mode": mode,
        "cells": len(cells),
        "previous_cells": len(cur.cells),
        "kept_codes": sum(c is not None for c in mig.kept_code) if mig else 0,
        "staffed_cells": len({k for k, _, _ in mig.posts}) if mig else 0,
        "wardens_posted": len({w for _, w, _ in mig.posts}) if mig else 0,
        "gained_staff": [cells["code"].iloc[k] for k in mig.gained] if mig else [],
        "lost_staff": [cells["code"].iloc[k] for k in mig.lost] if mig else [],
        "quality": quality,
    }
    if mode == "import":
        report["gaps_and_overlaps"] = {
            "coverage_error": quality["coverage_error"],
            "overlap_m2": float(shapely.area(new_m).sum() - shapely.area(shapely.union_all(new_m))),
        }
    if dry_run:
        return report
    with transaction(engine) as s:
        bumped = s.execute(
            update(Area)
            .where(Area.id == cur.area_id, Area.version == cur.version)
            .values(version=Area.version + 1, next_seq=next_seq)
        ).rowcount
        if bumped != 1:
            raise Conflict(
                "the area was re-gridded by someone else meanwhile; nothing was written — look at the new plan and try again"
            )
        s.execute(
            update(GridPlan)
            .where(GridPlan.area_id == cur.area_id, GridPlan.active)
            .values(active=False)
        )
        last = (
            s.execute(
                select(func.max(GridPlan.version)).where(GridPlan.area_id == cur.area_id)
            ).scalar()
            or 0
        )
        plan = GridPlan(
            area_id=cur.area_id,
            version=last + 1,
            active=True,
            mode=mode,
            params=json.dumps(params),
            created_by=actor,
        )
        s.add(plan)
        s.flush()
        ids = insert_cells(s, plan.id, cells, seqs)
        if mig:
            rows = [{"cell_id": int(ids[k]), "warden_id": w, "role": r} for k, w, r in mig.posts]
            if rows:
                bulk_insert(s, Assignment, rows)
            sch_rows = [
                {"cell_id": int(ids[k]), **cur.schedules[int(j)]}
                for k, j in enumerate(mig.schedule_from)
                if j >= 0
            ]
            if sch_rows:
                bulk_insert(s, Schedule, sch_rows)
        _audit(
            s, actor, "plan.create", cur.area_id, version=plan.version, mode=mode, cells=len(cells)
        )
        report["plan_version"] = plan.version
    return report


# --- wardens and posts ------------------------------------------------------------------------


def add_warden(
    engine: Engine, name: str, *, phone: str | None = None, role: str = "member", actor: str = "cli"
) -> dict[str, Any]:
    """Register a warden (names are unique)."""
    name = _warden_name(name, where="")
    role = _role(role, where="")
    with transaction(engine) as s:
        if s.execute(select(Warden.id).where(Warden.name == name)).first():
            raise Conflict(f"a warden named {name!r} already exists")
        w = Warden(name=name, phone=(phone or None), role=role)
        s.add(w)
        s.flush()
        _audit(s, actor, "warden.add", None, name=name)
        return {"id": w.id, "name": name, "phone": phone, "role": role}


def _warden_name(name: str, *, where: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InvalidInput(f"{where}a warden needs a name of 1 to 120 characters")
    return name


def _role(role: str | None, *, where: str) -> str:
    role = (role or "member").strip().lower()
    if role not in ROLES:
        raise InvalidInput(f"{where}unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def import_wardens(engine: Engine, path: str | Path, *, actor: str = "cli") -> dict[str, Any]:
    """Import wardens from CSV (header name,phone[,role]); any bad line refuses the whole file."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{source}: not UTF-8 text; save the CSV as UTF-8") from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if (
        header[:2] != ["name", "phone"]
        or len(header) > 3
        or (len(header) == 3 and header[2] != "role")
    ):
        raise InvalidInput(
            f"{source}: line 1: the header must be name,phone or name,phone,role; it is {','.join(header)!r}"
        )
    rows, seen = [], {}
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{source}: line {line_no}: "
        if len(row) < 2 or len(row) > len(header):
            raise InvalidInput(
                f"{where}expected {len(header)} fields ({','.join(header)}), found {len(row)}"
            )
        name = _warden_name(row[0], where=where)
        phone = row[1].strip() or None
        if phone and not re.fullmatch(r"[0-9+()\- ]{3,40}", phone):
            raise InvalidInput(f"{where}phone {phone!r} is not a phone number")
        role = _role(row[2] if len(row) > 2 else None, where=where)
        if name in seen:
            raise InvalidInput(f"{where}{name!r} appears twice (also on line {seen[name]})")
        seen[name] = line_no
        rows.append({"name": name, "phone": phone, "role": role})
    if not rows:
        raise InvalidInput(f"{source}: no wardens in the file")
    with transaction(engine) as s:
        existing = set(s.execute(select(Warden.name).where(Warden.name.in_(list(seen)))).scalars())
        if existing:
            first = min(existing, key=seen.get)
            raise Conflict(
                f"{source}: line {seen[first]}: a warden named {first!r} already exists; nothing was imported"
            )
        bulk_insert(s, Warden, rows)
        _audit(s, actor, "warden.import", None, count=len(rows), source=source)
    return {"imported": len(rows)}


def _active_cells(s: Session, slug: str) -> tuple[Area, GridPlan, gpd.GeoDataFrame]:
    area = get_area(s, slug)
    plan = _active_plan(s, area.id)
    if plan is None:
        raise InvalidInput(
            f"area {slug!r} has no cells yet; grid it first (gridmgr grid {slug} --count N)"
        )
    return area, plan, load_cells(s, plan.id)


def _cell_ids(cells: gpd.GeoDataFrame, codes: list[str], slug: str) -> list[int]:
    by_code = dict(zip(cells["code"], cells["id"], strict=True))
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise NotFound(f"area {slug!r} has no cell {missing[0]!r} in its active plan")
    return [int(by_code[c]) for c in codes]


def assign(
    engine: Engine,
    slug: str,
    codes: list[str],
    warden: str,
    *,
    role: str = "member",
    actor: str = "cli",
) -> dict[str, Any]:
    """Post a warden to cells (an existing post changes role)."""
    role = _role(role, where="")
    with transaction(engine) as s:
        _area, _plan, cells = _active_cells(s, slug)
        ids = _cell_ids(cells, codes, slug)
        w = s.execute(select(Warden).where(Warden.name == warden)).scalar_one_or_none()
        if w is None:
            raise NotFound(f"no warden named {warden!r}; add them first (gridmgr warden add)")
        s.execute(
            delete(Assignment).where(Assignment.warden_id == w.id, Assignment.cell_id.in_(ids))
        )
        s.execute(
            insert(Assignment), [{"cell_id": c, "warden_id": w.id, "role": role} for c in ids]
        )
        _audit(s, actor, "assign", _area.id, warden=warden, cells=codes, role=role)
    return {"warden": warden, "cells": codes, "role": role}


def auto_assign(engine: Engine, slug: str, *, actor: str = "cli") -> dict[str, Any]:
    """Spread all wardens over the active plan: replaces its posts; one transaction."""
    with transaction(engine) as s:
        area, _plan, cells = _active_cells(s, slug)
        wardens = s.execute(select(Warden.id, Warden.role).order_by(Warden.id)).all()
        if not wardens:
            raise InvalidInput("there are no wardens to assign; add or import some first")
        n, w = len(cells), len(wardens)
        crs_m = metric_crs(shapely.from_wkb(area.geometry))
        cell_ids = cells["id"].to_numpy()
        rows = []
        if w >= n:
            order = np.asarray(
                cells["seq"]
            ).argsort()  # wardens in id order fill cells in code order
            counts = staffing.spread_wardens(cells["area_m2"].to_numpy(), w)
            k = 0
            for c in order:
                for _ in range(counts[c]):
                    rows.append(
                        {
                            "cell_id": int(cell_ids[c]),
                            "warden_id": wardens[k][0],
                            "role": wardens[k][1],
                        }
                    )
                    k += 1
        else:
            centres = shapely.centroid(to_metric(np.asarray(cells.geometry.values), crs_m))
            group = staffing.contiguous_groups(
                shapely.get_x(centres), shapely.get_y(centres), cells["area_m2"].to_numpy(), w
            )
            for c, g in enumerate(group):
                rows.append(
                    {"cell_id": int(cell_ids[c]), "warden_id": wardens[g][0], "role": wardens[g][1]}
                )
        s.execute(
            delete(Assignment).where(
                Assignment.cell_id.in_(select(Cell.id).where(Cell.plan_id == _plan.id))
            )
        )
        bulk_insert(s, Assignment, rows)
        _audit(s, actor, "assign.auto", area.id, wardens=w, cells=n)
    return {"cells": n, "wardens": w, "posts": len(rows)}


def set_schedule(
    engine: Engine,
    slug: str,
    codes: list[str] | None,
    *,
    times: list[str] = list(DEFAULT_TIMES),  # noqa: B006 - never mutated
    extra: int = 0,
    window: tuple[int, int] = (30, 90),
    actor: str = "cli",
) -> dict[str, Any]:
    """Give cells (all of the active plan when none are named) a "3+N" schedule."""
    times = [t.strip() for t in times if t.strip()]
    bad = [t for t in times if not _TIME.match(t)]
    if bad or not times:
        raise InvalidInput(
            f"round times must be HH:MM, 24-hour (e.g. 08:00,12:00,18:00); got {','.join(bad) or 'none'}"
        )
    if len(set(times)) != len(times):
        raise InvalidInput("round times repeat")
    if not 0 <= extra <= 48:
        raise InvalidInput(f"extra rounds must be 0 to 48 a day, got {extra}")
    before, after = window
    if not (0 <= before <= 720 and 0 < after <= 720):
        raise InvalidInput(
            "the window is minutes before and after a round time, e.g. --window -30,+90"
        )
    with transaction(engine) as s:
        area, _plan, cells = _active_cells(s, slug)
        if codes:
            ids = _cell_ids(cells, codes, slug)
            s.execute(delete(Schedule).where(Schedule.cell_id.in_(ids)))
        else:
            ids = [int(i) for i in cells["id"]]
            s.execute(
                delete(Schedule).where(
                    Schedule.cell_id.in_(select(Cell.id).where(Cell.plan_id == _plan.id))
                )
            )
        joined = ",".join(sorted(times))
        s.execute(
            insert(Schedule),
            [
                {
                    "cell_id": c,
                    "times": joined,
                    "extra": extra,
                    "window_before_min": before,
                    "window_after_min": after,
                }
                for c in ids
            ],
        )
        _audit(s, actor, "schedule.set", area.id, cells=len(ids), times=joined, extra=extra)
    return {"cells": len(ids), "times": sorted(times), "extra": extra, "window": [-before, after]}


# --- rounds and coverage -------------------------------------------------------------------------


def log_round(
    engine: Engine,
    slug: str,
    code: str,
    warden: str,
    *,
    at: str | None = None,
    note: str | None = None,
    actor: str = "cli",
) -> dict[str, Any]:
    """Log a round in a cell by a warden who holds it; a time without offset is the area's local time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from gridmgr.models import Round, utcnow

    with transaction(engine) as s:
        area, _plan, cells = _active_cells(s, slug)
        (cell_id,) = _cell_ids(cells, [code], slug)
        w = s.execute(select(Warden).where(Warden.name == warden)).scalar_one_or_none()
        if w is None:
            raise NotFound(f"no warden named {warden!r}")
        holds = s.execute(
            select(Assignment.id).where(Assignment.cell_id == cell_id, Assignment.warden_id == w.id)
        ).first()
        if holds is None:
            raise InvalidInput(
                f"{warden} does not hold cell {code} of {slug}; only its wardens log rounds there"
            )
        when = utcnow()
        if at:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                raise InvalidInput(
                    f"--at {at!r} is not an ISO time such as 2026-11-24T08:10 or 2026-11-24T08:10+08:00"
                ) from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=ZoneInfo(area.timezone))
        if note is not None and len(note) > 2000:
            raise InvalidInput("a note may be at most 2,000 characters")
        s.add(Round(cell_id=cell_id, warden_id=w.id, at=when, note=note))
        _audit(s, actor, "round.log", area.id, cell=code, warden=warden, at=when.isoformat())
    return {"area": slug, "cell": code, "warden": warden, "at": when.isoformat()}


def coverage_report(engine: Engine, slug: str) -> dict[str, Any]:
    """Coverage of the active plan: gaps, overlaps, unstaffed and unscheduled cells (round status: issue 4)."""
    from gridmgr.coverage import ground_of, pieces_to_geojson

    with reading(engine) as s:
        area, plan, cells = _active_cells(s, slug)
        staffed = set(
            s.execute(
                select(Assignment.cell_id)
                .join(Cell, Cell.id == Assignment.cell_id)
                .where(Cell.plan_id == plan.id)
            ).scalars()
        )
        scheduled = set(
            s.execute(
                select(Schedule.cell_id)
                .join(Cell, Cell.id == Schedule.cell_id)
                .where(Cell.plan_id == plan.id)
            ).scalars()
        )
        geometry = shapely.from_wkb(area.geometry)
    ground = ground_of(geometry, np.asarray(cells.geometry.values))
    ids = [int(i) for i in cells["id"]]
    codes = list(cells["code"])
    return {
        "area": slug,
        "plan_version": plan.version,
        "area_m2": round(ground.area_m2, 2),
        "covered_m2": round(ground.covered_m2, 2),
        "coverage_ratio": round(ground.coverage_ratio, 6),
        "gaps": pieces_to_geojson(ground.gaps),
        "overlaps": pieces_to_geojson(ground.overlaps),
        "cells_total": len(codes),
        "unstaffed": [c for c, i in zip(codes, ids, strict=True) if i not in staffed],
        "unscheduled": [c for c, i in zip(codes, ids, strict=True) if i not in scheduled],
    }


# --- reading out ------------------------------------------------------------------------------


def plan_cells(engine: Engine, slug: str) -> gpd.GeoDataFrame:
    """The active plan's cells with their wardens and schedule, for export and the API."""
    with reading(engine) as s:
        _area, _plan, cells = _active_cells(s, slug)
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
    engine: Engine, slug: str, path: str | Path, *, crs: str = "wgs84"
) -> dict[str, Any]:
    """Write the active plan (codes, areas, wardens, schedules) to GeoJSON or GeoPackage."""
    from gridmgr.datum import from_wgs84, parse_datum
    from gridmgr.export import write_cells

    datum = parse_datum(crs)
    cells = plan_cells(engine, slug)
    if datum != "wgs84":
        cells = cells.set_geometry(
            gpd.GeoSeries(from_wgs84(np.asarray(cells.geometry.values), datum), crs="EPSG:4326")
        )
    out = write_cells(cells, path)
    return {"output": str(out), "cells": len(cells), "crs": datum}
