"""Wardens, their posts (by hand and automatic) and cell schedules."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    GridPlan,
    Schedule,
    Warden,
)
from gridmgr.db.queries import active_cells, cell_ids, record_audit
from gridmgr.db.store import bulk_insert, transaction
from gridmgr.errors import Conflict, InvalidInput, NotFound, Phrase
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.rules import staffing
from gridmgr.rules.staffing import warden_name, warden_role

DEFAULT_TIMES = ("08:00", "12:00", "18:00")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class WardenInfo:
    """A warden: name (unique), phone and usual role."""

    id: int
    name: str
    phone: str | None
    role: str


@dataclass(frozen=True)
class WardensImported:
    """How many wardens a CSV file brought in (all of its lines, or none)."""

    imported: int


@dataclass(frozen=True)
class Assigned:
    """A warden posted to cells with a role."""

    warden: str
    cells: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class AutoAssigned:
    """Every warden spread over an area's cells."""

    cells: int
    wardens: int
    posts: int
    balanced_by: str = "area"  # "weight" (times rounds a day) when the plan has weights


@dataclass(frozen=True)
class ScheduleSet:
    """A "3+N" schedule given to cells."""

    cells: int
    times: tuple[str, ...]  # sorted HH:MM
    extra: int
    window: tuple[int, int]  # minutes around each round time: (-before, after)


# --- wardens and posts ------------------------------------------------------------------------


def add_warden(
    engine: Engine, name: str, *, phone: str | None = None, role: str = "member", actor: str = "cli"
) -> WardenInfo:
    """Register a warden (names are unique)."""
    name = warden_name(name, where="")
    role = warden_role(role, where="")
    with transaction(engine) as s:
        if s.execute(select(Warden.id).where(Warden.name == name)).first():
            raise Conflict.of("a warden named {name!r} already exists", name=name)
        w = Warden(name=name, phone=(phone or None), role=role)
        s.add(w)
        s.flush()
        record_audit(s, actor, "warden.add", None, name=name)
        return WardenInfo(w.id, name, phone, role)


def import_wardens(engine: Engine, path: str | Path, *, actor: str = "cli") -> WardensImported:
    """Import wardens from CSV (header name,phone[,role]); any bad line refuses the whole file."""
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise NotFound(f"{source}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInput.of(
            "{source}: not UTF-8 text; save the CSV as UTF-8", source=source
        ) from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from None
    if "\x00" in text or max(map(len, text.splitlines()), default=0) > csv.field_size_limit():
        raise InvalidInput(
            f"{source}: not a CSV text: it holds NUL bytes or a line over "
            f"{csv.field_size_limit():,} characters; save the wardens as CSV (UTF-8), one a line"
        )
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if (
        header[:2] != ["name", "phone"]
        or len(header) > 3
        or (len(header) == 3 and header[2] != "role")
    ):
        raise InvalidInput.of(
            "{source}: line 1: the header must be name,phone or name,phone,role; it is {header!r}",
            source=source,
            header=",".join(header),
        )
    rows: list[dict[str, str | None]] = []
    seen: dict[str, int] = {}  # name -> line
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        where = Phrase.of("{source}: line {line}: ", source=source, line=line_no)
        if len(row) < 2 or len(row) > len(header):
            raise InvalidInput.of(
                "{where}expected {n} fields ({fields}), found {found}",
                where=where,
                n=len(header),
                fields=",".join(header),
                found=len(row),
            )
        name = warden_name(row[0], where=where)
        phone = row[1].strip() or None
        if phone and not re.fullmatch(r"[0-9+()\- ]{3,40}", phone):
            raise InvalidInput.of(
                "{where}phone {phone!r} is not a phone number", where=where, phone=phone
            )
        role = warden_role(row[2] if len(row) > 2 else None, where=where)
        if name in seen:
            raise InvalidInput.of(
                "{where}{name!r} appears twice (also on line {line})",
                where=where,
                name=name,
                line=seen[name],
            )
        seen[name] = line_no
        rows.append({"name": name, "phone": phone, "role": role})
    if not rows:
        raise InvalidInput.of("{source}: no wardens in the file", source=source)
    with transaction(engine) as s:
        existing = set(s.execute(select(Warden.name).where(Warden.name.in_(list(seen)))).scalars())
        if existing:
            first = min(existing, key=seen.__getitem__)
            raise Conflict.of(
                "{source}: line {line}: a warden named {name!r} already exists; nothing was imported",
                source=source,
                line=seen[first],
                name=first,
            )
        bulk_insert(s, Warden, rows)
        record_audit(s, actor, "warden.import", None, count=len(rows), source=source)
    return WardensImported(len(rows))


def assign(
    engine: Engine,
    slug: str,
    codes: list[str],
    warden: str,
    *,
    role: str = "member",
    actor: str = "cli",
) -> Assigned:
    """Post a warden to cells (an existing post changes role)."""
    role = warden_role(role, where="")
    with transaction(engine) as s:
        _area, _plan, cells = active_cells(s, slug)
        ids = cell_ids(cells, codes, slug)
        w = s.execute(select(Warden).where(Warden.name == warden)).scalar_one_or_none()
        if w is None:
            raise NotFound.of(
                "no warden named {warden!r}; add them first (gridmgr warden add)", warden=warden
            )
        s.execute(
            delete(Assignment).where(Assignment.warden_id == w.id, Assignment.cell_id.in_(ids))
        )
        s.execute(
            insert(Assignment), [{"cell_id": c, "warden_id": w.id, "role": role} for c in ids]
        )
        record_audit(s, actor, "assign", _area.id, warden=warden, cells=codes, role=role)
    return Assigned(warden, tuple(codes), role)


def auto_assign(engine: Engine, slug: str, *, actor: str = "cli") -> AutoAssigned:
    """Spread all wardens over the active plan: replaces its posts; one transaction."""
    with transaction(engine) as s:
        area, plan, cells = active_cells(s, slug)
        wardens = s.execute(select(Warden.id, Warden.role).order_by(Warden.id)).all()
        if not wardens:
            raise InvalidInput.of("there are no wardens to assign; add or import some first")
        return spread_wardens_in(s, area, plan, cells, [(w, r) for w, r in wardens], actor=actor)


def spread_wardens_in(
    s: Session,
    area: Area,
    plan: GridPlan,
    cells: gpd.GeoDataFrame,
    wardens: list[tuple[int, str]],
    *,
    actor: str,
) -> AutoAssigned:
    """Post these wardens (id, role) over the plan's cells, contiguous and balanced, replacing its
    posts, in the caller's transaction."""
    n, w = len(cells), len(wardens)
    load = _workload(s, cells)
    crs_m = metric_crs(shapely.from_wkb(area.geometry))
    cell_id_of = cells["id"].to_numpy()
    rows = []
    if w >= n:
        order = np.asarray(cells["seq"]).argsort()  # wardens in id order fill cells in code order
        counts = staffing.spread_wardens(load, w)
        k = 0
        for c in order:
            for _ in range(counts[c]):
                rows.append(
                    {
                        "cell_id": int(cell_id_of[c]),
                        "warden_id": wardens[k][0],
                        "role": wardens[k][1],
                    }
                )
                k += 1
    else:
        centres = shapely.centroid(to_metric(np.asarray(cells.geometry.values), crs_m))
        group = staffing.contiguous_groups(shapely.get_x(centres), shapely.get_y(centres), load, w)
        for c, g in enumerate(group):
            rows.append(
                {
                    "cell_id": int(cell_id_of[c]),
                    "warden_id": wardens[g][0],
                    "role": wardens[g][1],
                }
            )
    s.execute(
        delete(Assignment).where(
            Assignment.cell_id.in_(select(Cell.id).where(Cell.plan_id == plan.id))
        )
    )
    bulk_insert(s, Assignment, rows)
    by = "weight" if "weight" in cells and cells["weight"].notna().all() else "area"
    record_audit(s, actor, "assign.auto", area.id, wardens=w, cells=n, by=by)
    return AutoAssigned(n, w, len(rows), by)


def _workload(s: Session, cells: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    """Each cell's workload for spreading wardens (`rules.staffing.cell_workload`): weight times
    rounds a day when every cell of the plan has a weight, else area. Adds ``weight`` to `cells`."""
    ids = [int(i) for i in cells["id"]]
    weight_of = dict(s.execute(select(Cell.id, Cell.weight).where(Cell.id.in_(ids))).all())
    rows = s.execute(
        select(Schedule.cell_id, Schedule.times, Schedule.extra).where(Schedule.cell_id.in_(ids))
    ).all()
    rounds_of = {
        cid: len([t for t in times.split(",") if t.strip()]) + extra for cid, times, extra in rows
    }
    weights = [weight_of.get(i) for i in ids]
    cells["weight"] = [np.nan if v is None else v for v in weights]
    rounds = np.array([rounds_of.get(i, 0) for i in ids], dtype=np.int64)
    has_weight = len(ids) > 0 and all(v is not None for v in weights)
    return staffing.cell_workload(
        cells["area_m2"].to_numpy(),
        np.array(weights, dtype=float) if has_weight else None,
        rounds,
    )


def set_schedule(
    engine: Engine,
    slug: str,
    codes: list[str] | None,
    *,
    times: list[str] = list(DEFAULT_TIMES),  # noqa: B006 - never mutated
    extra: int = 0,
    window: tuple[int, int] = (30, 90),
    since: datetime | None = None,
    actor: str = "cli",
) -> ScheduleSet:
    """Give cells (all of the active plan when none are named) a "3+N" schedule.

    Rounds are expected from `since` (default now) on: earlier rounds of the day are not overdue.
    """
    times = [t.strip() for t in times if t.strip()]
    bad = [t for t in times if not _TIME.match(t)]
    if bad or not times:
        raise InvalidInput.of(
            "round times must be HH:MM, 24-hour (e.g. 08:00,12:00,18:00); got {got}",
            got=",".join(bad) or Phrase("none"),
        )
    if len(set(times)) != len(times):
        raise InvalidInput.of("round times repeat")
    if not 0 <= extra <= 48:
        raise InvalidInput.of("extra rounds must be 0 to 48 a day, got {extra}", extra=extra)
    before, after = window
    if not (0 <= before <= 720 and 0 < after <= 720):
        raise InvalidInput(
            "the window is minutes before and after a round time, e.g. --window -30,+90"
        )
    with transaction(engine) as s:
        area, _plan, cells = active_cells(s, slug)
        if codes:
            ids = cell_ids(cells, codes, slug)
            s.execute(delete(Schedule).where(Schedule.cell_id.in_(ids)))
        else:
            ids = [int(i) for i in cells["id"]]
            s.execute(
                delete(Schedule).where(
                    Schedule.cell_id.in_(select(Cell.id).where(Cell.plan_id == _plan.id))
                )
            )
        joined = ",".join(sorted(times))
        since_s = int((since or datetime.now(UTC)).timestamp())
        s.execute(
            insert(Schedule),
            [
                {
                    "cell_id": c,
                    "times": joined,
                    "extra": extra,
                    "window_before_min": before,
                    "window_after_min": after,
                    "since_s": since_s,
                }
                for c in ids
            ],
        )
        record_audit(s, actor, "schedule.set", area.id, cells=len(ids), times=joined, extra=extra)
    return ScheduleSet(len(ids), tuple(sorted(times)), extra, (-before, after))
