"""The roll-up (责任链): an area's figures and each child's at a moment, added up from the leaves.

A leaf's row comes from the code the coverage report and the ledger use (the 3+N rules through
`round_status`, ground through `geometry.coverage.ground_areas`, findings through the ledger's sums);
an inner area's row adds up its leaves' counts, with the coverage ratio weighted by area and the
rectification rate worked out from the subtree's sums. Every leaf is read in bulk: one query per
table for all of them, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Assignment, Cell, GridPlan
from gridmgr.db.queries import get_area
from gridmgr.db.store import (
    gaps_and_overlaps_in_db,
    int_rows,
    is_postgres,
    load_cells,
    reading,
)
from gridmgr.db.tree import ancestor_ids, subtree_ids
from gridmgr.geometry.coverage import gaps_and_overlaps, ground_areas
from gridmgr.rules.clock import aware_utc, parse_moment
from gridmgr.rules.rectification import rate_of
from gridmgr.services.ledger import figures_by_area
from gridmgr.services.round_status import read_rounds

# the summed columns of a row, in order
COUNTS = (
    "cells",
    "wardens",
    "unstaffed",
    "due",
    "overdue",
    "ok",
    "rounds_expected_today",
    "rounds_done_today",
    "findings_open",
    "findings_overdue",
    "findings_found",
    "findings_rectified",
    "area_m2",
    "covered_m2",
)
FIGURES = ("coverage", "overdue", "findings_open", "rectification_rate")  # what maps colour by


@dataclass(frozen=True)
class RollupRow:
    """One area's figures at a moment (its leaves' added up); `area_m2`, `findings_found` and
    `findings_rectified` are what the ratios are worked out from."""

    slug: str
    name: str
    cells: int
    wardens: int
    coverage_ratio: float
    unstaffed: int
    due: int
    overdue: int
    ok: int
    rounds_expected_today: int
    rounds_done_today: int
    findings_open: int
    findings_overdue: int
    rectification_rate: float | None
    area_m2: float
    findings_found: int
    findings_rectified: int
    leaf: bool  # holds cells, not child areas


@dataclass(frozen=True)
class AreaRef:
    """An area named on a breadcrumb."""

    slug: str
    name: str


@dataclass(frozen=True)
class WorstCell:
    """A cell among the subtree's most behind (as the coverage report ranks them: overdue before
    due, then most rounds missed), with the leaf area it lies in."""

    area: str
    area_name: str
    code: str
    status: str  # due | overdue
    missed: int


@dataclass(frozen=True)
class Rollup:
    """An area's row and its children's at a moment, with the path up from the root."""

    area: str
    name: str
    at: datetime  # on the area's clock
    total: RollupRow
    children: tuple[RollupRow, ...]  # by slug
    ancestors: tuple[AreaRef, ...]  # from the root down to the parent
    worst: tuple[WorstCell, ...] = ()  # when asked for


def rollup(
    engine: Engine, slug: str, *, at: str | datetime | None = None, worst: int = 0
) -> Rollup:
    """The roll-up of an area at `at` (default now; ISO without offset: the area's clock), with the
    `worst` cells most behind over the whole subtree."""
    with reading(engine) as s:
        return rollup_in(s, engine, slug, at=at, worst=worst)


def rollup_in(
    s: Session, engine: Engine, slug: str, *, at: str | datetime | None = None, worst: int = 0
) -> Rollup:
    """`rollup` in the caller's session."""
    root = get_area(s, slug)
    tz = ZoneInfo(root.timezone)
    moment = parse_moment(at, tz)
    tree = _tree(s, root.id)
    leaves = [i for i in tree.ids if i not in tree.parents]
    behind: list[tuple[int, int, int, int]] = []  # (rank, missed, cell id, leaf id) of cells behind
    counts = _leaf_counts(s, engine, tree, leaves, moment, latest=at is None, behind=behind)
    summed = _summed(tree, counts)
    children = tuple(
        _row(tree, k, summed[k])
        for k in sorted(tree.kids.get(root.id, []), key=lambda k: tree.slug[k])
    )
    up = ancestor_ids(s, root.id)
    names = dict(s.execute(select(Area.id, Area.slug).where(Area.id.in_(up))).all()) if up else {}
    full = dict(s.execute(select(Area.id, Area.name).where(Area.id.in_(up))).all()) if up else {}
    return Rollup(
        area=root.slug,
        name=root.name,
        at=moment.astimezone(tz),
        total=_row(tree, root.id, summed[root.id]),
        children=children,
        ancestors=tuple(AreaRef(str(names[i]), str(full[i])) for i in up),
        worst=_worst(s, tree, behind, worst),
    )


def _worst(
    s: Session, tree: _Tree, behind: list[tuple[int, int, int, int]], n: int
) -> tuple[WorstCell, ...]:
    """The n cells most behind: overdue before due, then most rounds missed, then by area and id."""
    if n <= 0 or not behind:
        return ()
    chosen = sorted(behind, key=lambda b: (-b[0], -b[1], tree.slug[b[3]], b[2]))[:n]
    codes = dict(
        s.execute(select(Cell.id, Cell.code).where(Cell.id.in_([b[2] for b in chosen]))).all()
    )
    return tuple(
        WorstCell(
            tree.slug[leaf], tree.name[leaf], str(codes[cid]), ("", "due", "overdue")[rank], missed
        )
        for rank, missed, cid, leaf in chosen
    )


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    """The subtree's areas: ids (root first), parent, children, slug, name, clock, size."""

    ids: list[int]
    parent: dict[int, int | None]
    parents: set[int]  # ids with children
    kids: dict[int, list[int]]
    slug: dict[int, str]
    name: dict[int, str]
    tz: dict[int, str]
    area_m2: dict[int, float]


def _tree(s: Session, root_id: int) -> _Tree:
    ids = subtree_ids(s, root_id)
    rows = s.execute(
        select(Area.id, Area.parent_id, Area.slug, Area.name, Area.timezone, Area.area_m2).where(
            Area.id.in_(ids)
        )
    ).all()
    parent = {int(r[0]): (None if r[0] == root_id else r[1]) for r in rows}
    kids: dict[int, list[int]] = {}
    for child, p in parent.items():
        if p is not None:
            kids.setdefault(int(p), []).append(child)
    return _Tree(
        ids=ids,
        parent=parent,
        parents=set(kids),
        kids=kids,
        slug={int(r[0]): str(r[2]) for r in rows},
        name={int(r[0]): str(r[3]) for r in rows},
        tz={int(r[0]): str(r[4]) for r in rows},
        area_m2={int(r[0]): float(r[5]) for r in rows},
    )


def _summed(
    tree: _Tree, counts: dict[int, npt.NDArray[np.float64]]
) -> dict[int, npt.NDArray[np.float64]]:
    """Each area's counts: its leaves' added up."""
    out = {i: np.zeros(len(COUNTS)) for i in tree.ids}
    for leaf, v in counts.items():
        at: int | None = leaf
        while at is not None:
            out[at] += v
            at = tree.parent[at]
    return out


def _row(tree: _Tree, area_id: int, v: npt.NDArray[np.float64]) -> RollupRow:
    c = dict(zip(COUNTS, v.tolist(), strict=True))
    n = {k: round(x) for k, x in c.items() if k not in ("area_m2", "covered_m2")}
    area = float(c["area_m2"])
    return RollupRow(
        slug=tree.slug[area_id],
        name=tree.name[area_id],
        cells=n["cells"],
        wardens=n["wardens"],
        coverage_ratio=round(float(c["covered_m2"]) / area, 6) if area > 0 else 0.0,
        unstaffed=n["unstaffed"],
        due=n["due"],
        overdue=n["overdue"],
        ok=n["ok"],
        rounds_expected_today=n["rounds_expected_today"],
        rounds_done_today=n["rounds_done_today"],
        findings_open=n["findings_open"],
        findings_overdue=n["findings_overdue"],
        rectification_rate=rate_of(n["findings_rectified"], n["findings_found"]),
        area_m2=area,
        findings_found=n["findings_found"],
        findings_rectified=n["findings_rectified"],
        leaf=area_id not in tree.parents,
    )


# --- the leaves, in bulk -----------------------------------------------------------------------


def _leaf_counts(
    s: Session,
    engine: Engine,
    tree: _Tree,
    leaves: list[int],
    moment: datetime,
    *,
    latest: bool,
    behind: list[tuple[int, int, int, int]],
) -> dict[int, npt.NDArray[np.float64]]:
    """Each leaf's counts (COUNTS) at the moment, with the active plans when `latest` (else the
    plans in force then), one query per table for all the leaves."""
    out = {i: np.zeros(len(COUNTS)) for i in leaves}
    for i in leaves:
        out[i][COUNTS.index("area_m2")] = tree.area_m2[i]
    plans = _plans_at(s, leaves, None if latest else moment)
    if plans:
        _ground(s, engine, plans, out)
        _rounds(s, tree, plans, moment, out, behind)
    for tz in sorted({tree.tz[i] for i in leaves}):
        of_tz = [i for i in leaves if tree.tz[i] == tz]
        figs = figures_by_area(s, of_tz, int(moment.timestamp()), ZoneInfo(tz))
        for i, f in figs.items():
            v = out[i]
            v[COUNTS.index("findings_open")] = f.open
            v[COUNTS.index("findings_overdue")] = f.overdue
            v[COUNTS.index("findings_found")] = f.found
            v[COUNTS.index("findings_rectified")] = f.rectified
    return out


def _plans_at(s: Session, leaves: Sequence[int], moment: datetime | None) -> dict[int, int]:
    """Each leaf's plan in force at `moment` (None: the active one), as leaf id → plan id; leaves
    without a plan then are left out (the rule of `db.queries.plan_at`)."""
    if not leaves:
        return {}
    rows = s.execute(
        select(
            GridPlan.id, GridPlan.area_id, GridPlan.version, GridPlan.active, GridPlan.created_at
        )
        .where(GridPlan.area_id.in_(list(leaves)))
        .order_by(GridPlan.area_id, GridPlan.version)
    ).all()
    chosen: dict[int, int] = {}
    for plan_id, area_id, _version, active, created in rows:
        if moment is None:
            if active:
                chosen[int(area_id)] = int(plan_id)
        elif aware_utc(created) <= moment:
            chosen[int(area_id)] = int(plan_id)  # by version: the newest by then wins
    return chosen


def _ground(
    s: Session, engine: Engine, plans: dict[int, int], out: dict[int, npt.NDArray[np.float64]]
) -> None:
    """Each planned leaf's m² and covered m², as the coverage report measures them."""
    rows = s.execute(
        select(GridPlan.area_id, GridPlan.gaps, GridPlan.overlaps, Area.geometry)
        .join(Area, Area.id == GridPlan.area_id)
        .where(GridPlan.id.in_(list(plans.values())))
    ).all()
    leaves, outlines, gap_list = [], [], []
    for area_id, gaps, overlaps, outline_wkb in rows:
        outline = shapely.from_wkb(outline_wkb)
        plan_id = plans[int(area_id)]
        if gaps is not None and overlaps is not None:
            gap = shapely.from_wkb(gaps)
        elif is_postgres(engine):
            gap, _ = gaps_and_overlaps_in_db(s, int(area_id), plan_id)
        else:  # a plan written before plans kept their ground
            cells = load_cells(s, plan_id)
            gap, _ = gaps_and_overlaps(outline, np.asarray(cells.geometry.values))
        leaves.append(int(area_id))
        outlines.append(outline)
        gap_list.append(gap)
    area_m2, covered_m2 = ground_areas(
        np.asarray(outlines, dtype=object), np.asarray(gap_list, dtype=object)
    )
    for k, area_id in enumerate(leaves):
        out[area_id][COUNTS.index("area_m2")] = area_m2[k]
        out[area_id][COUNTS.index("covered_m2")] = covered_m2[k]


def _rounds(
    s: Session,
    tree: _Tree,
    plans: dict[int, int],
    moment: datetime,
    out: dict[int, npt.NDArray[np.float64]],
    behind: list[tuple[int, int, int, int]],
) -> None:
    """Each planned leaf's cells, wardens, staffing and round status at the moment, by the 3+N rules;
    the cells due or overdue go into `behind` as (rank, missed, cell id, leaf id)."""
    leaf_of_plan = {p: a for a, p in plans.items()}
    plan_ids = sorted(leaf_of_plan)
    cells = int_rows(
        s, select(Cell.id, Cell.plan_id).where(Cell.plan_id.in_(plan_ids)).order_by(Cell.id)
    )
    if not len(cells):
        return
    cell_ids, cell_leaf = cells[:, 0], np.asarray([leaf_of_plan[int(p)] for p in cells[:, 1]])
    posts = int_rows(
        s,
        select(Assignment.cell_id, Assignment.warden_id)
        .join(Cell, Cell.id == Assignment.cell_id)
        .where(Cell.plan_id.in_(plan_ids)),
    )
    post_pos = np.searchsorted(cell_ids, posts[:, 0])
    staffed = np.zeros(len(cell_ids), bool)
    staffed[post_pos] = True
    leaves = sorted(plans)
    index = {a: k for k, a in enumerate(leaves)}
    cell_k = np.asarray([index[int(a)] for a in cell_leaf], np.int64)
    m = len(leaves)

    def per_leaf(values: npt.NDArray[np.bool_] | npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return _per(cell_k, values, m)

    pairs = np.unique(np.column_stack([cell_k[post_pos], posts[:, 1]]), axis=0)
    wardens = np.bincount(pairs[:, 0], minlength=m) if len(pairs) else np.zeros(m)
    add = {
        "cells": per_leaf(np.ones(len(cell_ids), bool)),
        "wardens": np.asarray(wardens, float),
        "unstaffed": per_leaf(~staffed),
    }
    for name in ("due", "overdue", "ok", "rounds_expected_today", "rounds_done_today"):
        add[name] = np.zeros(m)
    for tz_name in sorted({tree.tz[a] for a in leaves}):
        tz = ZoneInfo(tz_name)
        of_tz = np.asarray([tree.tz[int(a)] == tz_name for a in cell_leaf], bool)
        ids, ks = cell_ids[of_tz], cell_k[of_tz]
        tz_plans = [p for p in plan_ids if tree.tz[leaf_of_plan[p]] == tz_name]
        now = read_rounds(s, ids, tz, moment, plan_ids=tz_plans, days_back=1).status(moment, tz)
        done = now.done + now.late + now.extra_done  # as the roster counts a day's rounds

        add["due"] += _per(ks, now.status == "due", m)
        add["overdue"] += _per(ks, now.status == "overdue", m)
        add["ok"] += _per(ks, now.status == "ok", m)
        add["rounds_expected_today"] += _per(ks, now.expected, m)
        add["rounds_done_today"] += _per(ks, done, m)
        rank = np.select([now.status == "overdue", now.status == "due"], [2, 1], 0)
        for k in np.flatnonzero(rank > 0).tolist():
            behind.append((int(rank[k]), int(now.missed[k]), int(ids[k]), leaves[int(ks[k])]))
    for k, a in enumerate(leaves):
        for name, values in add.items():
            out[a][COUNTS.index(name)] = values[k]


def _per(
    keys: npt.NDArray[np.int64], values: npt.NDArray[np.bool_] | npt.NDArray[np.int64], m: int
) -> npt.NDArray[np.float64]:
    """The values added up per key 0..m-1."""
    return np.bincount(keys, weights=np.asarray(values, float), minlength=m).astype(np.float64)
