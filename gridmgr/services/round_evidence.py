"""Proof behind the day's rounds, per cell: how many rounds were logged today (on the area's clock, up
to the report's moment), how many lack proof (no position, or one outside the cell) and how many were
entered late. The coverage report and the manager's map count them apart from the 3+N figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Cell, Round

_EMPTY = np.zeros(0, np.int64)


@dataclass(frozen=True)
class RoundEvidence:
    """Per cell (aligned with the report's codes): rounds today, those without proof, those entered
    late; and the totals. `unproven` holds the cells whose rounds today all lack proof."""

    rounds: npt.NDArray[np.int64] = field(default_factory=lambda: _EMPTY)
    without_proof: npt.NDArray[np.int64] = field(default_factory=lambda: _EMPTY)
    late: npt.NDArray[np.int64] = field(default_factory=lambda: _EMPTY)

    @property
    def rounds_today(self) -> int:
        """Rounds logged today in the area's cells."""
        return int(self.rounds.sum())

    @property
    def rounds_without_proof(self) -> int:
        """Of those, rounds without a position in the cell."""
        return int(self.without_proof.sum())

    @property
    def late_entries(self) -> int:
        """Of those, rounds entered over 15 minutes after their time."""
        return int(self.late.sum())

    def unproven(self) -> npt.NDArray[np.bool_]:
        """Cells with rounds today, every one of them without proof."""
        unproven: npt.NDArray[np.bool_] = (self.rounds > 0) & (self.without_proof == self.rounds)
        return unproven


NO_EVIDENCE = RoundEvidence()


def read_round_evidence(
    s: Session,
    plan_id: int,
    ids: npt.NDArray[np.int64],
    tz: ZoneInfo,
    moment: datetime,
    day: date | None = None,
) -> RoundEvidence:
    """Count the rounds of the plan's cells (`ids`, the order of the result) from the start of the
    local `day` (default `moment`'s) up to its end or `moment`, whichever is first, in the database."""
    n = len(ids)
    if n == 0:
        return NO_EVIDENCE
    local = day or moment.astimezone(tz).date()
    start = int(datetime.combine(local, time(0), tz).timestamp())
    midnight = datetime.combine(local + timedelta(days=1), time(0), tz)  # the next day's start
    end = int(moment.timestamp()) if moment < midnight else int(midnight.timestamp()) - 1
    unproven = case((Round.in_cell.is_(True), 0), else_=1)
    late = case((Round.late_entry.is_(True), 1), else_=0)
    rows = s.execute(
        select(Round.cell_id, func.count(), func.sum(unproven), func.sum(late))
        .where(
            Round.cell_id.in_(select(Cell.id).where(Cell.plan_id == plan_id)),
            Round.at_s >= start,
            Round.at_s <= end,
        )
        .group_by(Round.cell_id)
    ).all()
    counts = np.zeros((3, n), np.int64)
    if rows:
        order = np.argsort(ids)
        got = np.asarray([r[0] for r in rows], np.int64)
        where = order[np.searchsorted(ids, got, sorter=order)]
        counts[:, where] = np.asarray([[int(v or 0) for v in r[1:]] for r in rows], np.int64).T
    return RoundEvidence(counts[0], counts[1], counts[2])
