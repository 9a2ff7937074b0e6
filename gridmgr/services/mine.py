"""A warden's own cells, in every area, with today's rounds: what the warden page and /api/v1/me/cells show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Round, Warden
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import NOT_EXPECTED, ROUND_STATES, CellStatus, Rhythm, day_bounds
from gridmgr.services.round_status import read_rounds

# the states of the rounds a warden is shown: a round not expected (before the schedule) is left out
ROUND_STATUSES = tuple(s for s in ROUND_STATES if s != ROUND_STATES[NOT_EXPECTED])


@dataclass(frozen=True)
class FixedRound:
    """One of the day's fixed rounds of a cell: when, its window, and its state by the 3+N rules."""

    at: datetime  # when it is scheduled, on the area's clock
    opens: datetime
    closes: datetime
    status: str  # done | late | due | overdue | upcoming


@dataclass(frozen=True)
class ExtraRounds:
    """The day's extra rounds of a cell: done so far (counted up to those expected) and expected."""

    done: int
    expected: int


@dataclass(frozen=True)
class LoggedRound:
    """A round logged in the cell today: when, by whom, with what note."""

    at: datetime  # on the area's clock
    warden: str | None  # None once the warden was removed
    note: str | None
    late_entry: bool = False  # received more than 15 minutes after `at`
    in_cell: bool | None = None  # the phone's position in the cell; None without one


@dataclass(frozen=True)
class MyCell:
    """One cell a warden holds, with today's rounds at the moment asked."""

    area: str  # the area's slug
    area_name: str
    timezone: str
    code: str
    role: str  # the warden's role in the cell
    area_m2: float
    geometry: BaseGeometry  # WGS84
    schedule: Rhythm | None
    status: str  # ok | due | overdue | unscheduled
    rounds: tuple[FixedRound, ...]  # the day's fixed rounds expected, in time order
    extra: ExtraRounds
    logged: tuple[LoggedRound, ...]  # today's logs, oldest first
    last_round: datetime | None  # the latest log up to the moment, any day
    next_round: datetime | None  # the next fixed round still to do today


@dataclass(frozen=True)
class WardenCells:
    """A warden's cells at a moment (on the clock of the first cell's area)."""

    warden: str
    at: datetime
    cells: tuple[MyCell, ...]  # by area name, then code order


def warden_cells(
    engine: Engine, warden_name: str, *, at: str | datetime | None = None
) -> WardenCells:
    """The cells a warden holds in every area's active plan, each with today's rounds and status.

    `at` (ISO text without offset: each area's local time) defaults to now. Rounds are judged by the
    3+N rules exactly as the coverage report judges them (`services.round_status`).
    """
    with reading(engine) as s:
        warden_id = s.execute(select(Warden.id).where(Warden.name == warden_name)).scalar()
        if warden_id is None:
            raise NotFound(f"no warden named {warden_name!r}")
        posts = s.execute(
            select(
                Cell.id,
                Cell.code,
                Cell.area_m2,
                Cell.geometry,
                Assignment.role,
                Area.slug,
                Area.name,
                Area.timezone,
            )
            .join(Assignment, Assignment.cell_id == Cell.id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .join(Area, Area.id == GridPlan.area_id)
            .where(Assignment.warden_id == warden_id, GridPlan.active)
            .order_by(Area.name, Area.slug, Cell.seq)
        ).all()
        ids = [int(p[0]) for p in posts]
        moments = {tz: parse_moment(at, ZoneInfo(tz)) for tz in {p[7] for p in posts}}
        # every cell of one time zone judged at once, as the report judges a plan
        judged: dict[int, tuple[Rhythm | None, CellStatus, int]] = {}
        for tz_name, moment in moments.items():
            members = [int(p[0]) for p in posts if p[7] == tz_name]
            rounds = read_rounds(s, members, ZoneInfo(tz_name), moment)
            now = rounds.status(moment, ZoneInfo(tz_name))
            for k, cell_id in enumerate(members):
                judged[cell_id] = (rounds.rhythms[k], now, k)
        earliest = min(moments.values(), default=datetime.now(UTC))
        latest = max(moments.values(), default=earliest)
        logs = s.execute(
            select(
                Round.cell_id, Round.at_s, Warden.name, Round.note, Round.late_entry, Round.in_cell
            )
            .outerjoin(Warden, Warden.id == Round.warden_id)
            .where(
                Round.cell_id.in_(ids),
                Round.at_s >= int((earliest - timedelta(days=2)).timestamp()),
                Round.at_s <= int(latest.timestamp()),
            )
            .order_by(Round.at_s, Round.id)
        ).all()
        last_ever = dict(
            s.execute(
                select(Round.cell_id, func.max(Round.at_s))
                .where(Round.cell_id.in_(ids), Round.at_s <= int(latest.timestamp()))
                .group_by(Round.cell_id)
            ).all()
        )
    first_tz = posts[0][7] if posts else "UTC"
    reference = moments.get(first_tz) or parse_moment(at, ZoneInfo(first_tz))
    by_cell: dict[int, list[tuple[int, str | None, str | None, bool, bool | None]]] = {}
    for c, a, w, n, late, inside in logs:
        by_cell.setdefault(int(c), []).append((a, w, n, bool(late), inside))
    cells = []
    for cell_id, code, area_m2, wkb, role, slug, name, tz_name in posts:
        tz = ZoneInfo(tz_name)
        moment = moments[tz_name]
        d0, d1 = day_bounds(moment.astimezone(tz).date(), tz)
        rhythm, now, k = judged[int(cell_id)]
        last = last_ever.get(cell_id)
        cells.append(
            MyCell(
                area=slug,
                area_name=name,
                timezone=tz_name,
                code=code,
                role=role,
                area_m2=float(area_m2),
                geometry=shapely.from_wkb(wkb),
                schedule=rhythm,
                status=str(now.status[k]),
                rounds=_fixed_rounds(now, k, tz),
                extra=ExtraRounds(int(now.extra_done[k]), 0 if rhythm is None else rhythm.extra),
                logged=tuple(
                    LoggedRound(_local(a, tz), w, n, late, inside)
                    for a, w, n, late, inside in by_cell.get(int(cell_id), [])
                    if d0 <= a < d1 and a <= moment.timestamp()
                ),
                last_round=None if last is None else _local(last, tz),
                next_round=None if np.isnan(now.next_round[k]) else _local(now.next_round[k], tz),
            )
        )
    return WardenCells(warden_name, reference.astimezone(ZoneInfo(first_tz)), tuple(cells))


def _fixed_rounds(now: CellStatus, k: int, tz: ZoneInfo) -> tuple[FixedRound, ...]:
    """Cell `k`'s fixed rounds of the day that are expected, as the 3+N rules judged each."""
    r = now.rounds
    rows = r.of_cell(k)
    rows = rows[r.of_day[rows] & (r.state[rows] != NOT_EXPECTED)]
    return tuple(
        FixedRound(
            _local(r.at[j], tz), _local(r.opens[j], tz), _local(r.closes[j], tz),
            ROUND_STATES[r.state[j]],
        )
        for j in rows
    )  # fmt: skip


def _local(epoch: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(float(epoch), tz)
