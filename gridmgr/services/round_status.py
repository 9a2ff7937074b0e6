"""Cells' rounds at a moment: their schedules and logged rounds read into arrays, then judged by the 3+N
rules of `gridmgr.rules.schedule`. The report, the map, the roster and the warden's view all get their
round status here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Cell, Round, Schedule
from gridmgr.db.queries import SCHEDULE_COLUMNS, plan_schedules, rhythm_of
from gridmgr.db.store import int_rows, raw_rows
from gridmgr.rules.schedule import CellStatus, Rhythm, cell_status


@dataclass(frozen=True)
class CellRounds:
    """Cells' schedules and logged rounds as the 3+N rules take them, aligned with the cells read."""

    rhythms: list[Rhythm | None]  # None: no schedule
    log_cell: npt.NDArray[np.int64]  # each logged round's cell (its position among the cells)
    log_t: npt.NDArray[np.float64]  # and its epoch second

    def status(self, moment: datetime, tz: ZoneInfo, *, day: date | None = None) -> CellStatus:
        """Every cell's status and rounds at `moment` (and the summary of `day`, default its day)."""
        return cell_status(self.rhythms, self.log_cell, self.log_t, moment.timestamp(), tz, day=day)


def positions_among(
    ids: npt.NDArray[np.int64],
) -> Callable[[Sequence[int] | npt.NDArray[np.int64]], npt.NDArray[np.int64]]:
    """A function giving the positions in `ids` of cell ids that are among them: by a table when the
    ids are about as many as their range (a city's 100,000 cells and 1.5 million rounds: a few ms,
    where binary search took 0.45 s), else by binary search."""
    lo = int(ids.min()) if len(ids) else 0
    width = int(ids.max()) - lo + 1 if len(ids) else 0
    if width <= 4 * len(ids) + 1024:
        table = np.full(width, -1, np.int64)
        table[ids - lo] = np.arange(len(ids))
        return lambda cell_ids: table[np.asarray(cell_ids, np.int64) - lo]
    by_id = np.argsort(ids)
    return lambda cell_ids: by_id[
        np.searchsorted(ids, np.asarray(cell_ids, np.int64), sorter=by_id)
    ].astype(np.int64)


def read_rounds(
    s: Session,
    ids: Sequence[int] | npt.NDArray[np.int64],
    tz: ZoneInfo,
    moment: datetime,
    *,
    plan_id: int | None = None,
    plan_ids: Sequence[int] | None = None,
    cells: Select[Any] | None = None,
    day: date | None = None,
    days_back: int = 2,
) -> CellRounds:
    """The schedules of the cells `ids` and the rounds logged in them from `days_back` days before the
    day (of `moment`, or `day`) up to `moment`, for `CellRounds.status`. The statuses need one day
    back (a window opened yesterday may close today); two also give `last_round` over two days, as
    tooltips show it; a roll-up or a tile that shows no last round reads one.

    Give `plan_id` when the cells are the whole plan: the rows are then selected by plan, not by a
    list of ids; `plan_ids` likewise when the cells are all those of several plans (a roll-up's
    leaves); `cells` when they are those a select of cell ids gives (a map tile's). A million rounds arrive as one text the database joins (`int_rows`).
    """
    ids = np.asarray(ids, np.int64)
    positions = positions_among(ids)

    of_cells: Select[Any] | Select[int] | list[int] = [int(i) for i in ids]
    if plan_id is not None:
        of_cells = select(Cell.id).where(Cell.plan_id == plan_id)
    elif plan_ids is not None:
        of_cells = select(Cell.id).where(Cell.plan_id.in_([int(p) for p in plan_ids]))
    elif cells is not None:
        of_cells = cells
    schedules = (
        plan_schedules(plan_id)
        if plan_id is not None
        else select(*SCHEDULE_COLUMNS).where(Schedule.cell_id.in_(of_cells))
    )
    rhythms: list[Rhythm | None] = [None] * len(ids)
    alike: dict[
        tuple[object, ...], Rhythm
    ] = {}  # most cells share a few schedules: one Rhythm each
    rows = raw_rows(s, schedules)
    for k, (_, *row) in zip(positions([r[0] for r in rows]), rows, strict=True):
        key = tuple(row)
        if key not in alike:
            alike[key] = rhythm_of(*row)
        rhythms[k] = alike[key]
    first_day = (day or moment.astimezone(tz).date()) - timedelta(days=max(days_back, 1))
    since = datetime.combine(first_day, datetime.min.time(), tz).timestamp()
    rounds = int_rows(
        s,
        select(Round.cell_id, Round.at_s).where(
            Round.cell_id.in_(of_cells),
            Round.at_s >= int(since),
            Round.at_s <= int(moment.timestamp()),
        ),
    )
    return CellRounds(rhythms, positions(rounds[:, 0]), rounds[:, 1].astype(np.float64))
