"""The staff roster for managers' pages: every warden with the cells they hold, an area's cells with their
posts, schedules and today's rounds, and taking a warden off cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, delete, func, select

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Warden
from gridmgr.db.queries import active_cells, cell_ids, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import NotFound
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import Rhythm
from gridmgr.services.areas import AreaInfo, area_info
from gridmgr.services.posts import Post
from gridmgr.services.round_status import read_rounds


@dataclass(frozen=True)
class WardenRow:
    """A warden of the roster with the cells held in active plans."""

    name: str
    phone: str | None
    role: str
    cells: dict[str, tuple[str, ...]]  # area slug -> codes held there, in code order
    cell_count: int


@dataclass(frozen=True)
class Unassigned:
    """A warden taken off cells: how many posts went."""

    warden: str
    cells: tuple[str, ...]
    removed: int


def list_wardens(engine: Engine) -> list[WardenRow]:
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
    rows = []
    for wid, name, phone, role in wardens:
        cells = {slug: tuple(codes) for slug, codes in held.get(wid, {}).items()}
        rows.append(WardenRow(name, phone, role, cells, sum(map(len, cells.values()))))
    return rows


def warden_names(engine: Engine) -> list[str]:
    """Every warden's name, sorted (for pickers)."""
    with reading(engine) as s:
        return list(s.execute(select(Warden.name).order_by(Warden.name)).scalars())


@dataclass(frozen=True)
class StaffCell:
    """A cell of the roster: its wardens, schedule, and how its rounds stand today."""

    code: str
    area_m2: float
    posts: tuple[Post, ...]  # by warden name
    schedule: Rhythm | None
    status: str  # ok | due | overdue | unscheduled: its rounds at the moment, by the 3+N rules
    rounds_done: int  # the day's rounds done so far: fixed ones (on time or late) and extra ones
    rounds_expected: int  # the day's rounds expected: fixed ones and extra ones
    weight: float | None = None  # its workload, when the plan was made with a weight


@dataclass(frozen=True)
class AreaStaff:
    """An area's active plan as the staff pages show it: each cell with its posts, schedule and rounds."""

    area: AreaInfo
    at: datetime  # the moment the rounds are judged at, on the area's clock
    cells: tuple[StaffCell, ...]  # in code order
    shapes: npt.NDArray[np.object_]  # each cell's polygon (WGS84), aligned with `cells`


def area_staff(engine: Engine, slug: str, *, at: str | datetime | None = None) -> AreaStaff:
    """An area's active cells with their posts, schedules and today's rounds at `at` (default now)."""
    with reading(engine) as s:
        row, plan, cells = active_cells(s, slug)
        area = area_info(s, row)
        tz = ZoneInfo(area.timezone)
        moment = parse_moment(at, tz)
        posts: dict[int, list[Post]] = {}
        for cell_id, name, role in s.execute(
            select(Assignment.cell_id, Warden.name, Assignment.role)
            .join(Warden, Warden.id == Assignment.warden_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .where(Cell.plan_id == plan.id)
            .order_by(Warden.name)
        ):
            posts.setdefault(cell_id, []).append(Post(name, role))
        ids = cells["id"].to_numpy(np.int64)
        rounds = read_rounds(s, ids, tz, moment, plan_id=plan.id)
    now = rounds.status(moment, tz)
    done = now.done + now.late + now.extra_done
    weights = (
        [None if np.isnan(w) else float(w) for w in cells["weight"].to_numpy(dtype=float)]
        if "weight" in cells
        else [None] * len(ids)
    )
    staff = tuple(
        StaffCell(
            code=str(code),
            area_m2=float(m2),
            posts=tuple(posts.get(int(i), [])),
            schedule=rhythm,
            status=str(now.status[k]),
            rounds_done=int(done[k]),
            rounds_expected=int(now.expected[k]),
            weight=weights[k],
        )
        for k, (i, code, m2, rhythm) in enumerate(
            zip(ids, cells["code"], cells["area_m2"], rounds.rhythms, strict=True)
        )
    )
    shapes = np.asarray(cells.geometry.values, dtype=object)
    return AreaStaff(area, moment.astimezone(tz), staff, shapes)


def unassign(
    engine: Engine, slug: str, codes: list[str], warden: str, *, actor: str = "cli"
) -> Unassigned:
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
    return Unassigned(warden, tuple(codes), int(held))
