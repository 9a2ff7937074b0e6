"""The rectification ledger (整改台账): findings listed with filters and pages, the figures reported upward
(found, fixed on the spot, with a deadline, rectified, open, overdue, the rate) by category, by cell
and by period, and the ledger's rows for XLSX, CSV and GeoPackage exports.

Every function takes one area by slug and works on a list of area ids, so that a parent area's
ledger can cover its descendants once areas nest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, Row, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Cell, Finding, FindingCategory, GridPlan
from gridmgr.db.queries import get_area
from gridmgr.db.store import raw_rows, reading
from gridmgr.db.tree import subtree_ids
from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.geometry.arrays import Ints
from gridmgr.rules.rectification import (
    MAX_PERSON,
    Figures,
    checked_text,
    parse_day,
    rate_of,
)
from gridmgr.rules.schedule import day_bounds
from gridmgr.services.categories import resolve_category
from gridmgr.services.findings import Actor, FindingView, finding_views

STATUS_FILTERS = ("open", "overdue", "fixed", "closed")
PERIODS = ("day", "week", "month")
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class FindingFilter:
    """Which findings: status (open includes the overdue), category (key or name), cell (as recorded
    or now), found on days from/to (inclusive, the area's calendar), responsible unit or person."""

    status: str | None = None
    category: str | None = None
    cell: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    responsible: str | None = None


@dataclass(frozen=True)
class FindingPage:
    """One page of findings, newest first, with the figures of every finding the filter matches
    (its status aside)."""

    area: str
    total: int
    page: int
    per_page: int
    items: list[FindingView]
    figures: Figures

    @property
    def pages(self) -> int:
        """How many pages the matching findings fill (at least 1)."""
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class GroupFigures:
    """Found and rectified for one category, cell or period."""

    key: str
    found: int
    rectified: int
    open: int
    overdue: int
    rate: float | None
    name_en: str | None = None
    name_zh: str | None = None


@dataclass(frozen=True)
class Ledger:
    """The ledger's figures for an area and a period, with the same by category, cell and period."""

    area: str
    name: str
    date_from: str | None
    date_to: str | None
    at: str
    figures: Figures
    by_category: list[GroupFigures]
    by_cell: list[GroupFigures]
    by_period: list[GroupFigures] = field(default_factory=list)
    period: str = "month"


@dataclass
class Scope:
    """The areas a ledger covers (one now; its descendants once areas nest) and their clock."""

    slug: str
    name: str
    area_ids: list[int]
    tz: ZoneInfo


def scope_of(s: Session, slug: str) -> Scope:
    """The ledger's scope for an area's slug: the area and every area below it (a district's ledger
    covers its streets' and communities' findings); NotFound listing the areas."""
    area = get_area(s, slug)
    return Scope(area.slug, area.name, subtree_ids(s, area.id), ZoneInfo(area.timezone))


def day_range(scope: Scope, date_from: str | None, date_to: str | None) -> tuple[int, int] | None:
    """Epoch seconds from the start of `date_from` to the end of `date_to` on the area's clock."""
    if not date_from and not date_to:
        return None
    start = parse_day(date_from, "from") if date_from else date(2000, 1, 1)
    end = parse_day(date_to, "to") if date_to else date(9000, 1, 1)
    if end < start:
        raise InvalidInput.of(
            "the period ends ({to}) before it starts ({start})",
            to=end.isoformat(),
            start=start.isoformat(),
        )
    return int(day_bounds(start, scope.tz)[0]), int(day_bounds(end, scope.tz)[1])


def _conditions(
    s: Session, scope: Scope, filt: FindingFilter, *, with_status: bool
) -> list[ColumnElement[bool]]:
    """SQL conditions for the filter on Finding (and Cell, outer-joined as the current cell)."""
    where: list[ColumnElement[bool]] = [Finding.area_id.in_(scope.area_ids)]
    bounds = day_range(scope, filt.date_from, filt.date_to)
    if bounds:
        where += [Finding.found_at_s >= bounds[0], Finding.found_at_s < bounds[1]]
    if filt.category:
        where.append(Finding.category_id == resolve_category(s, filt.category).id)
    if filt.cell:
        cell = checked_text(filt.cell, "cell", max_len=80, multiline=False)
        where.append(or_(Finding.cell_code == cell, Cell.code == cell))
    if filt.responsible:
        who = checked_text(filt.responsible, "responsible", max_len=MAX_PERSON, multiline=False)
        pattern = "%" + who.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(Finding.person.like(pattern, escape="\\"), Finding.unit.like(pattern, escape="\\"))
        )
    if with_status and filt.status:
        if filt.status not in STATUS_FILTERS:
            raise InvalidInput.of(
                "status {status!r}: use one of {statuses}",
                status=filt.status[:20],
                statuses=", ".join(STATUS_FILTERS),
            )
        if filt.status == "overdue":
            today = datetime.now(UTC).astimezone(scope.tz).date().isoformat()
            where += [Finding.status == "open", Finding.deadline < today]
        else:
            where.append(Finding.status == filt.status)
    return where


def list_findings(
    engine: Engine,
    slug: str,
    filt: FindingFilter | None = None,
    *,
    viewer: Actor,
    page: int = 1,
    per_page: int = 50,
) -> FindingPage:
    """One page of an area's findings, newest first, with the figures of all that match the filter
    (every status). A warden sees only findings of cells it holds or in its charge."""
    filt = filt or FindingFilter()
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be 1 to {MAX_PER_PAGE}, got {per_page}")
    if not 1 <= page <= 10**6:
        raise InvalidInput(f"page must be 1 to 1,000,000, got {page}")
    with reading(engine) as s:
        scope = scope_of(s, slug)
        every = _conditions(s, scope, filt, with_status=False)
        listed = _conditions(s, scope, filt, with_status=True)
        if viewer.role == "warden":
            mine = _warden_condition(s, viewer)
            every, listed = [*every, mine], [*listed, mine]
        base = select(Finding.id).outerjoin(Cell, Cell.id == Finding.cell_id)
        total = s.execute(
            select(func.count()).select_from(base.where(and_(*listed)).subquery())
        ).scalar_one()
        ids = (
            s.execute(
                base.where(and_(*listed))
                .order_by(Finding.found_at_s.desc(), Finding.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
            .scalars()
            .all()
        )
        items = finding_views(s, list(ids))
        today = datetime.fromtimestamp(now_s(), scope.tz).date().isoformat()
        figs = _figures(_sums(s, every, today, cells=True)[0])
    return FindingPage(scope.slug, int(total), page, per_page, items, figs)


def _warden_condition(s: Session, viewer: Actor) -> ColumnElement[bool]:
    """Findings in the warden's cells (of active plans) or in its charge."""
    from gridmgr.db.models import Assignment, GridPlan, Warden

    wid = s.execute(select(Warden.id).where(Warden.name == viewer.warden)).scalar()
    if wid is None:
        raise Forbidden("this login is not linked to a warden; ask a manager")
    held = (
        select(Assignment.cell_id)
        .join(Cell, Cell.id == Assignment.cell_id)
        .join(GridPlan, GridPlan.id == Cell.plan_id)
        .where(Assignment.warden_id == wid, GridPlan.active)
    )
    return or_(
        Finding.cell_id.in_(held),
        Finding.person_warden_id == wid,
        Finding.person == viewer.warden,
        Finding.found_by_warden_id == wid,
    )


def _columns(rows: Sequence[Sequence[object]], n: int) -> list[np.ndarray]:
    if not rows:
        return [np.zeros(0, dtype=object) for _ in range(n)]
    return [np.asarray(c, dtype=object) for c in zip(*rows, strict=True)]


def now_s() -> int:
    """Now, in epoch seconds."""
    return int(datetime.now(UTC).timestamp())


# --- the ledger's figures --------------------------------------------------------------------------


def ledger(
    engine: Engine,
    slug: str,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    period: str = "month",
    at: datetime | None = None,
) -> Ledger:
    """The figures of the findings found in the period (default all), as of `at` (default now):
    totals, by category, by cell (the cell each lies in now, else the code recorded) and by period
    (day, week or month of finding). Vectorised over every finding."""
    if period not in PERIODS:
        raise InvalidInput.of(
            "period {period!r}: use one of {periods}",
            period=period[:20],
            periods=", ".join(PERIODS),
        )
    at_s = now_s() if at is None else int(at.timestamp())
    with reading(engine) as s:
        scope = scope_of(s, slug)
        bounds = day_range(scope, date_from, date_to)
        # overdue at `at`: open, and its deadline day is before `at`'s day on the area's clock
        today = datetime.fromtimestamp(at_s, scope.tz).date().isoformat()
        where: list[ColumnElement[bool]] = [Finding.area_id.in_(scope.area_ids)]
        if bounds:
            where += [Finding.found_at_s >= bounds[0], Finding.found_at_s < bounds[1]]
        coded = _coded(s, where, today)
        # findings lie in cells of the active plans (re-grids move them): those codes first
        code_of = dict(
            s.execute(
                select(Cell.id, Cell.code)
                .join(GridPlan, GridPlan.id == Cell.plan_id)
                .where(GridPlan.area_id.in_(scope.area_ids), GridPlan.active)
            ).all()
        )
        elsewhere = sorted({int(c) for c in np.unique(coded[:, 6]) if c > 0} - code_of.keys())
        if elsewhere:
            code_of |= dict(
                s.execute(select(Cell.id, Cell.code).where(Cell.id.in_(elsewhere))).all()
            )
        code_of |= {
            -int(fid): code
            for fid, code in s.execute(
                select(Finding.id, Finding.cell_code).where(*where, Finding.cell_id.is_(None))
            ).all()
        }
        categories = s.execute(
            select(
                FindingCategory.id,
                FindingCategory.key,
                FindingCategory.name_en,
                FindingCategory.name_zh,
            ).order_by(FindingCategory.position, FindingCategory.id)
        ).all()
    # the seven counts of `_sums` per finding (0/1), grouped with numpy by category, cell and day
    counted = coded[:, 2] == 0
    status, mode = coded[:, 0], coded[:, 1]
    counts = np.column_stack(
        [
            counted,
            counted & (mode == 0),
            counted & (mode == 1),
            counted & (status == 2),
            counted & (status == 0),
            counted & (status == 1),
            counted & (coded[:, 3] == 1),
        ]
    ).astype(np.int64)
    total = _figures(counts.sum(axis=0))
    by_cat = _by_key(coded[:, 5], counts)
    by_category = [
        _group(key, by_cat.get(int(cid), [0] * 7), name_en=en, name_zh=zh)
        for cid, key, en, zh in categories
    ]
    cell_ids, cell_sums = _summed(coded[:, 6], counts)
    by_cell = _merged([str(code_of.get(k, k)) for k in cell_ids.tolist()], cell_sums)
    day_ids, day_sums = _summed(_local_days(coded[:, 4], scope.tz).astype(np.int64), counts)
    by_period = _merged([_period_of(d, period) for d in day_ids.tolist()], day_sums)
    return Ledger(
        area=scope.slug,
        name=scope.name,
        date_from=date_from,
        date_to=date_to,
        at=datetime.fromtimestamp(at_s, scope.tz).isoformat(),
        figures=total,
        by_category=by_category,
        by_cell=by_cell,
        by_period=by_period,
        period=period,
    )


def _group(key: str, v: Sequence[int] | Ints, **names: str) -> GroupFigures:
    """A group's figures: found, rectified, open and overdue of the counts `_sums` gives."""
    found, rectified, is_open, overdue = int(v[0]), int(v[3]), int(v[4]), int(v[6])
    return GroupFigures(key, found, rectified, is_open, overdue, rate_of(rectified, found), **names)


def _merged(keys: list[str], sums: Ints) -> list[GroupFigures]:
    """Groups whose keys show the same (two cells of one code, the days of one month), added up, in
    key order; groups with nothing found left out. `sums`: one row of `_sums`' counts per key."""
    if not keys:
        return []
    labels, inverse = np.unique(np.array(keys, dtype=object), return_inverse=True)
    added = np.zeros((len(labels), sums.shape[1]), dtype=np.int64)
    np.add.at(added, inverse, sums)
    return [
        _group(str(label), row)
        for label, row in zip(labels.tolist(), added.tolist(), strict=True)
        if row[0]
    ]


def _sums(
    s: Session,
    where: Sequence[ColumnElement[bool]],
    today: str,
    key: ColumnElement[Any] | None = None,
    *,
    cells: bool = False,
) -> Sequence[Row[Any]]:
    """The figures' counts of the findings matching `where`, added up by the database (per `key`
    when given): key, found, fixed on the spot, with a deadline, rectified, open, fixed, overdue on
    `today` (the rules of `rules.rectification`: recorded in error counts nowhere, rectified is
    closed as rectified). `cells` joins each finding's current cell, for conditions on it."""
    counted = or_(Finding.closed_as.is_(None), Finding.closed_as != "error")

    def n(*conditions: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((and_(counted, *conditions), 1), else_=0)), 0)

    columns = [
        n(),
        n(Finding.mode == "on_spot"),
        n(Finding.mode == "deadline"),
        n(Finding.status == "closed"),
        n(Finding.status == "open"),
        n(Finding.status == "fixed"),
        n(Finding.status == "open", Finding.deadline < literal(today)),
    ]
    query = select(*([key] if key is not None else []), *columns).select_from(Finding)
    if cells:
        query = query.outerjoin(Cell, Cell.id == Finding.cell_id)
    query = query.where(*where)
    if key is not None:
        query = query.group_by(key)
    return s.execute(query).all()


def _figures(row: Sequence[int]) -> Figures:
    found, on_spot, with_deadline, rectified, is_open, fixed, overdue = (int(v) for v in row)
    return Figures(found, on_spot, with_deadline, rectified, is_open, fixed, overdue,
                   rate_of(rectified, found))  # fmt: skip


def _coded(s: Session, where: Sequence[ColumnElement[bool]], today: str) -> Ints:
    """The findings matching `where` as integer rows: status (0 open, 1 fixed, 2 closed), mode (0 on
    the spot, 1 deadline), recorded in error (0/1), overdue on `today` (0/1), found_at_s,
    category_id, and their cell's id (-finding id without one); read as the driver gives them."""
    query = select(
        case((Finding.status == "open", 0), (Finding.status == "fixed", 1), else_=2),
        case((Finding.mode == "on_spot", 0), else_=1),
        case((Finding.closed_as == "error", 1), else_=0),
        case((and_(Finding.status == "open", Finding.deadline < literal(today)), 1), else_=0),
        Finding.found_at_s,
        Finding.category_id,
        func.coalesce(Finding.cell_id, -Finding.id),
    ).where(*where)
    rows = raw_rows(s, query)  # its only parameters: area ids, seconds and a day the code made
    return np.array(rows, dtype=np.int64).reshape(-1, 7)


def _summed(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, Ints]:
    """The distinct integer keys, sorted, and the counts' columns added up per key (a row each)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros((0, counts.shape[1]), dtype=np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.column_stack(
        [np.bincount(inverse, weights=c, minlength=len(uniq)) for c in counts.T]
    ).astype(np.int64)
    return uniq, sums


def _by_key(keys: np.ndarray, counts: np.ndarray) -> dict[int, np.ndarray]:
    """The counts' columns added up per distinct integer key."""
    uniq, sums = _summed(keys, counts)
    return {int(u): sums[k] for k, u in enumerate(uniq)}


def _local_days(epoch_s: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Each moment's day on the area's clock, as datetime64[D], vectorised."""
    if not len(epoch_s):
        return np.zeros(0, dtype="datetime64[D]")
    local = pd.DatetimeIndex(pd.to_datetime(epoch_s, unit="s", utc=True)).tz_convert(tz)
    return local.tz_localize(None).values.astype("datetime64[D]")


def _period_of(day: int, period: str) -> str:
    """A day (days since 1970) as its day (YYYY-MM-DD), ISO week (its Monday) or month (YYYY-MM)."""
    d = np.datetime64(day, "D")
    if period == "month":
        return str(d.astype("datetime64[M]"))
    if period == "week":
        return str(d - np.timedelta64((day + 3) % 7, "D"))
    return str(d)


def figures_by_area(
    s: Session, area_ids: Sequence[int], at_s: int, tz: ZoneInfo
) -> dict[int, Figures]:
    """The ledger's figures (every finding, as of `at_s` on the clock `tz`) of each of the areas, in
    one query grouped by area: what a roll-up reports per leaf. Areas without findings are left out."""
    if not area_ids:
        return {}
    today = datetime.fromtimestamp(at_s, tz).date().isoformat()
    where = [Finding.area_id.in_([int(i) for i in area_ids])]
    return {
        int(row[0]): _figures(row[1:]) for row in _sums(s, where, today, Finding.area_id.expression)
    }
