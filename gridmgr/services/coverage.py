"""The coverage report and the coverage map: ground, staffing and round status of an area's plan at any
moment, and a day's summary.

Three steps: the query (`_read`: database rows into arrays, in one session), the rules (the 3+N rules of
`gridmgr.rules.schedule` through `round_status`, ground from `gridmgr.geometry.coverage`), and the
assembly into typed results, which the API serialises (`gridmgr.web.api.serialise`) and pages render.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Assignment, Cell, Warden
from gridmgr.db.queries import get_area as area_row
from gridmgr.db.queries import plan_at
from gridmgr.db.store import gaps_and_overlaps_in_db, is_postgres, load_cells, raw_rows, reading
from gridmgr.geometry.coverage import Ground, gaps_and_overlaps, ground_from
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import CellStatus
from gridmgr.services.areas import AreaInfo, area_info
from gridmgr.services.checkpoints import NO_CHECKPOINTS, CheckpointGaps, read_checkpoint_gaps
from gridmgr.services.round_evidence import NO_EVIDENCE, RoundEvidence, read_round_evidence
from gridmgr.services.round_status import CellRounds, read_rounds

WORST_SHOWN = 10


@dataclass(frozen=True)
class WardenLoad:
    """One warden's share of the plan: cells held, their m², rounds expected today and still to do."""

    warden: str
    cells: int
    area_m2: float
    rounds_today: int
    rounds_left: int


@dataclass(frozen=True)
class BehindCell:
    """A cell among the most behind: overdue before due, then most rounds missed."""

    code: str
    status: str  # due | overdue
    missed: int
    extra_short: int


@dataclass(frozen=True)
class CellDay:
    """One scheduled cell's rounds of the summarised day."""

    code: str
    expected: int
    done: int
    late: int
    missed: int
    rounds: int = 0  # rounds logged that day (up to the report's moment)
    without_proof: int = 0  # of those, without a position in the cell


@dataclass(frozen=True)
class DaySummary:
    """Every scheduled cell's rounds of one local day, in code order."""

    date: date
    cells: tuple[CellDay, ...]


@dataclass(frozen=True)
class CellStates:
    """Every cell of the plan at the report's moment, as columns in code order (for maps and the cells
    API, which take them whole), with the posts as columns of their own."""

    code: npt.NDArray[np.object_]
    status: npt.NDArray[
        np.object_
    ]  # ok | due | overdue | unstaffed | unscheduled: the map's colour
    round_status: npt.NDArray[np.object_]  # ok | due | overdue | unscheduled
    last_round: npt.NDArray[np.float64]  # epoch seconds of the latest round by then, NaN if none
    next_round: npt.NDArray[np.float64]  # epoch seconds of the next fixed round to do, NaN if none
    post_cell: npt.NDArray[np.int64]  # each post's cell (its row in these columns)
    post_name: list[str]  # each post's warden
    post_role: list[str]  # and role

    def wardens(self) -> list[list[tuple[str, str]]]:
        """Each cell's posts as (name, role), in the order the posts were read."""
        out: list[list[tuple[str, str]]] = [[] for _ in range(len(self.code))]
        for k, name, role in zip(
            self.post_cell.tolist(), self.post_name, self.post_role, strict=True
        ):
            out[k].append((name, role))
        return out


@dataclass(frozen=True)
class CoverageReport:
    """Everything that leaves ground unmanaged at a moment (docs/api.md describes each part).

    Every scheduled cell is in exactly one of due, overdue and ok: the worst that applies.
    """

    area: str  # the area's slug
    at: datetime  # the moment, on the area's clock
    timezone: str
    plan_version: int  # the plan in force at that moment
    ground: Ground  # area, covered m², gap and overlap pieces
    cells_total: int
    unstaffed: tuple[str, ...]
    unscheduled: tuple[str, ...]
    due: tuple[str, ...]
    overdue: tuple[str, ...]
    ok: tuple[str, ...]
    short_of_extra: tuple[str, ...]
    wardens: tuple[WardenLoad, ...]  # most rounds left first
    worst: tuple[BehindCell, ...]
    day: DaySummary | None = None  # when a day was asked for
    cells: CellStates | None = None  # when each cell's state was asked for
    # the area's checkpoints (issue 17): unstaffed and unattended ones are gaps too
    checkpoints: CheckpointGaps = NO_CHECKPOINTS
    # rounds as evidence (issue 16): today's rounds per cell, those without proof, late entries
    evidence: RoundEvidence = NO_EVIDENCE
    evidence_codes: npt.NDArray[np.object_] = field(
        default_factory=lambda: np.zeros(0, dtype=object)
    )  # the cells `evidence` counts, in its order

    def unproven(self) -> tuple[str, ...]:
        """Cells whose rounds today all lack proof (no position, or one outside the cell)."""
        if not len(self.evidence.rounds):
            return ()
        return tuple(str(c) for c in self.evidence_codes[self.evidence.unproven()])


@dataclass(frozen=True)
class CoverageMap:
    """What the manager's coverage map shows: the area, the report at a moment and, when the plan is
    small enough to put in the page, its cells' shapes (aligned with `report.cells`)."""

    area: AreaInfo
    report: CoverageReport
    shapes: npt.NDArray[np.object_] | None


def coverage_report(
    engine: Engine,
    slug: str,
    *,
    at: str | datetime | None = None,
    day: date | None = None,
    with_cells: bool = False,
) -> CoverageReport:
    """Everything that leaves ground unmanaged at a moment (default now).

    For a past moment the plan that was active then is used, with the rounds logged up to then.

    Parameters
    ----------
    day
        Also summarise this local day per cell: rounds expected, done, late, missed.
    with_cells
        Also give each cell's status, wardens, last and next round (for maps).
    """
    with reading(engine) as s:
        read = _read(s, engine, area_row(s, slug), at, day=day)
    return _report(read, day=day, with_cells=with_cells)


def coverage_map(
    engine: Engine, slug: str, *, at: str | datetime | None = None, inline_max: int = 3000
) -> CoverageMap:
    """An area and its coverage report at a moment, read in one session, with each cell's state and
    shape when the plan in force then has at most `inline_max` cells (else the page fetches them)."""
    with reading(engine) as s:
        row = area_row(s, slug)
        area = area_info(s, row)
        read = _read(s, engine, row, at, shapes_max=inline_max)
    report = _report(read, with_cells=read.shapes is not None)
    return CoverageMap(area, report, read.shapes)


# --- the query ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    """One plan at a moment as arrays: cells in code order, posts, schedules and rounds, ground."""

    slug: str
    tz: ZoneInfo
    moment: datetime
    plan_version: int
    outline: BaseGeometry
    codes: npt.NDArray[np.object_]
    area_m2: npt.NDArray[np.float64]
    shapes: npt.NDArray[np.object_] | None  # when asked for and few enough
    post_cell: npt.NDArray[np.int64]  # each post's cell position
    post_name: list[str]
    post_role: list[str]
    rounds: CellRounds
    gaps: BaseGeometry  # WGS84, before sliver removal
    overlaps: BaseGeometry
    checkpoints: CheckpointGaps
    evidence: RoundEvidence
    day_evidence: RoundEvidence | None  # with a day summary: that day's


def _read(
    s: Session,
    engine: Engine,
    area: Area,
    at: str | datetime | None,
    *,
    day: date | None = None,
    shapes_max: int | None = None,
) -> _Read:
    """The plan in force at `at` and what the report needs of it; shapes too when at most `shapes_max`."""
    tz = ZoneInfo(area.timezone)
    moment = parse_moment(at, tz)
    plan = plan_at(s, area.id, None if at is None else moment, area.slug)
    stored = plan.gaps is not None
    inline = False
    if shapes_max is not None:
        n_cells = s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar() or 0
        inline = n_cells <= shapes_max
    cells = load_cells(s, plan.id, geometry=inline or not stored)
    ids = cells["id"].to_numpy(np.int64)
    by_id = np.argsort(ids)
    posts = raw_rows(
        s,
        select(Assignment.cell_id, Warden.name, Assignment.role)
        .join(Warden, Warden.id == Assignment.warden_id)
        .join(Cell, Cell.id == Assignment.cell_id)
        .where(Cell.plan_id == plan.id),
    )
    post_ids = np.asarray([p[0] for p in posts], np.int64)
    post_cell = by_id[np.searchsorted(ids, post_ids, sorter=by_id)].astype(np.int64)
    rounds = read_rounds(s, ids, tz, moment, plan_id=plan.id, day=day)
    outline = shapely.from_wkb(area.geometry)
    if plan.gaps is not None and plan.overlaps is not None:  # kept when the plan was written
        gaps, overlaps = shapely.from_wkb(plan.gaps), shapely.from_wkb(plan.overlaps)
    elif is_postgres(engine):
        gaps, overlaps = gaps_and_overlaps_in_db(s, area.id, plan.id)
    else:  # a plan written before plans kept their ground
        gaps, overlaps = gaps_and_overlaps(outline, np.asarray(cells.geometry.values))
    return _Read(
        slug=area.slug,
        tz=tz,
        moment=moment,
        plan_version=plan.version,
        outline=outline,
        codes=np.asarray(cells["code"], dtype=object),
        area_m2=cells["area_m2"].to_numpy(np.float64),
        shapes=np.asarray(cells.geometry.values, dtype=object) if inline else None,
        post_cell=post_cell,
        post_name=[p[1] for p in posts],
        post_role=[p[2] for p in posts],
        rounds=rounds,
        gaps=gaps,
        overlaps=overlaps,
        checkpoints=read_checkpoint_gaps(s, area, moment),
        evidence=read_round_evidence(s, plan.id, ids, tz, moment),
        day_evidence=None if day is None else read_round_evidence(s, plan.id, ids, tz, moment, day),
    )


# --- the rules, assembled ----------------------------------------------------------------------


def _report(read: _Read, *, day: date | None = None, with_cells: bool = False) -> CoverageReport:
    """The report of what was read: ground measured, every cell's rounds judged, staff counted."""
    ground = ground_from(read.outline, read.gaps, read.overlaps)
    now = read.rounds.status(read.moment, read.tz)
    codes, status, n = read.codes, now.status, len(read.codes)
    staffed = np.bincount(read.post_cell, minlength=n) > 0

    def listed(which: npt.NDArray[np.bool_]) -> tuple[str, ...]:
        return tuple(str(c) for c in codes[which])

    summary = None
    if day is not None:
        past = read.rounds.status(read.moment, read.tz, day=day)
        zeros = np.zeros(n, np.int64)
        proof = read.day_evidence or RoundEvidence(zeros, zeros, zeros)
        summary = DaySummary(
            day,
            tuple(
                CellDay(str(c), int(e), int(d), int(la), int(m), int(n), int(bare))
                for c, e, d, la, m, r, n, bare in zip(
                    codes,
                    past.expected,
                    past.done,
                    past.late,
                    past.missed,
                    read.rounds.rhythms,
                    proof.rounds,
                    proof.without_proof,
                    strict=True,
                )
                if r is not None
            ),
        )
    cells = None
    if with_cells:
        cells = CellStates(
            code=codes,
            status=map_status(status, staffed),
            round_status=status,
            last_round=now.last_round,
            next_round=now.next_round,
            post_cell=read.post_cell,
            post_name=read.post_name,
            post_role=read.post_role,
        )
    return CoverageReport(
        area=read.slug,
        at=read.moment.astimezone(read.tz),
        timezone=str(read.tz.key),
        plan_version=read.plan_version,
        ground=ground,
        cells_total=n,
        unstaffed=listed(~staffed),
        unscheduled=listed(status == "unscheduled"),
        due=listed(status == "due"),
        overdue=listed(status == "overdue"),
        ok=listed(status == "ok"),
        short_of_extra=listed(now.extra_short > 0),
        wardens=_warden_load(read.post_cell, read.post_name, read.area_m2, now),
        worst=_worst(codes, now),
        day=summary,
        cells=cells,
        checkpoints=read.checkpoints,
        evidence=read.evidence,
        evidence_codes=codes,
    )


def map_status(
    round_status: npt.NDArray[np.object_], staffed: npt.NDArray[np.bool_]
) -> npt.NDArray[np.object_]:
    """The status the maps colour a cell by: its round status, but "unstaffed" for a scheduled cell
    no warden holds (the cells API, the coverage map and its tiles all take it from here)."""
    unstaffed = ~staffed & (round_status != "unscheduled")
    return np.where(unstaffed, "unstaffed", round_status).astype(object)


def _warden_load(
    post_cell: npt.NDArray[np.int64],
    post_name: list[str],
    area_m2: npt.NDArray[np.float64],
    now: CellStatus,
) -> tuple[WardenLoad, ...]:
    """Per warden: cells held, their m², rounds expected today and still to do; most left first."""
    if not len(post_cell):
        return ()
    left = np.maximum(now.expected - now.done - now.late - now.extra_done, 0)
    per_post = pd.DataFrame(
        {
            "warden": post_name,
            "cells": 1,
            "area_m2": area_m2[post_cell],
            "rounds_today": now.expected[post_cell],
            "rounds_left": left[post_cell],
        }
    )
    load = per_post.groupby("warden", sort=False).sum().reset_index()
    load = load.sort_values(["rounds_left", "warden"], ascending=[False, True])
    return tuple(
        WardenLoad(str(w), int(c), float(a), int(t), int(x))
        for w, c, a, t, x in load.itertuples(index=False, name=None)
    )


def _worst(codes: npt.NDArray[np.object_], now: CellStatus) -> tuple[BehindCell, ...]:
    """The cells most behind: overdue before due, then most rounds missed."""
    rank = np.select([now.status == "overdue", now.status == "due"], [2, 1], 0)
    behind = np.flatnonzero(rank > 0)
    order = behind[np.lexsort((-now.missed[behind], -rank[behind]))][:WORST_SHOWN]
    return tuple(
        BehindCell(str(codes[k]), str(now.status[k]), int(now.missed[k]), int(now.extra_short[k]))
        for k in order
    )
