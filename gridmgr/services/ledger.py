"""The rectification ledger (整改台账): findings listed with filters and pages, the figures reported upward
(found, fixed on the spot, with a deadline, rectified, open, overdue, the rate) by category, by cell
and by period, and the ledger's rows for XLSX, CSV and GeoPackage exports.

Every function takes one area by slug and works on a list of area ids, so that a parent area's
ledger can cover its descendants once areas nest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Cell, Finding, FindingCategory
from gridmgr.db.queries import get_area
from gridmgr.db.store import raw_rows, reading
from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.files.ledger import (
    FORMATS,
    FindingPoints,
    LedgerRow,
    ledger_csv_bytes,
    write_findings_gpkg,
    write_ledger_csv,
    write_ledger_xlsx,
)
from gridmgr.rules.rectification import (
    MAX_PERSON,
    Figures,
    checked_text,
    deadline_ends,
    figures,
    parse_day,
    rate_of,
)
from gridmgr.rules.schedule import day_bounds
from gridmgr.services.categories import resolve_category
from gridmgr.services.findings import Actor, FindingView, finding_views

STATUS_FILTERS = ("open", "overdue", "fixed", "closed")
PERIODS = ("day", "week", "month")
MAX_PER_PAGE = 1000
MAP_FINDINGS_MAX = 5000  # findings on the coverage map (the newest of those shown)


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
class _Scope:
    """The areas a ledger covers (one now; its descendants once areas nest) and their clock."""

    slug: str
    name: str
    area_ids: list[int]
    tz: ZoneInfo


def _scope(s: Session, slug: str) -> _Scope:
    area = get_area(s, slug)
    return _Scope(area.slug, area.name, [area.id], ZoneInfo(area.timezone))


def _day_range(scope: _Scope, date_from: str | None, date_to: str | None) -> tuple[int, int] | None:
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


def _conditions(s: Session, scope: _Scope, filt: FindingFilter, *, with_status: bool) -> list:
    """SQL conditions for the filter on Finding (and Cell, outer-joined as the current cell)."""
    where = [Finding.area_id.in_(scope.area_ids)]
    bounds = _day_range(scope, filt.date_from, filt.date_to)
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
        scope = _scope(s, slug)
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
        rows = s.execute(
            select(Finding.status, Finding.mode, Finding.closed_as, Finding.deadline)
            .outerjoin(Cell, Cell.id == Finding.cell_id)
            .where(and_(*every))
        ).all()
    status, mode, closed_as, deadline = _columns(rows, 4)
    figs = figures(status, mode, closed_as, deadline_ends(deadline, scope.tz), _now_s())
    return FindingPage(scope.slug, int(total), page, per_page, items, figs)


def _warden_condition(s: Session, viewer: Actor):
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


def _now_s() -> int:
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
    at_s = _now_s() if at is None else int(at.timestamp())
    with reading(engine) as s:
        scope = _scope(s, slug)
        bounds = _day_range(scope, date_from, date_to)
        # numbers the code made only: read as the driver gives them (raw_rows)
        query = (
            select(
                Finding.status,
                Finding.mode,
                Finding.closed_as,
                Finding.deadline,
                Finding.found_at_s,
                Finding.category_id,
                func.coalesce(Cell.code, Finding.cell_code),
            )
            .outerjoin(Cell, Cell.id == Finding.cell_id)
            .where(Finding.area_id.in_(scope.area_ids))
        )
        if bounds:
            query = query.where(Finding.found_at_s >= bounds[0], Finding.found_at_s < bounds[1])
        rows = raw_rows(s, query)
        categories = s.execute(
            select(
                FindingCategory.id,
                FindingCategory.key,
                FindingCategory.name_en,
                FindingCategory.name_zh,
            ).order_by(FindingCategory.position, FindingCategory.id)
        ).all()
    status, mode, closed_as, deadline, found_s, category, cell = _columns(rows, 7)
    ends = deadline_ends(deadline, scope.tz)
    total = figures(status, mode, closed_as, ends, at_s)
    counted = closed_as != "error"
    rectified = counted & (status == "closed")
    is_open = counted & (status == "open")
    overdue = is_open & (ends <= at_s)

    def grouped(keys: np.ndarray) -> dict[object, tuple[int, int, int, int]]:
        if not len(keys):
            return {}
        uniq, inverse = np.unique(keys.astype(str), return_inverse=True)
        sums = [
            np.bincount(inverse, weights=m.astype(float), minlength=len(uniq)).astype(int)
            for m in (counted, rectified, is_open, overdue)
        ]
        return {u: tuple(int(x[k]) for x in sums) for k, u in enumerate(uniq)}

    by_cat = grouped(category)
    by_category = [
        GroupFigures(key, *_with_rate(by_cat.get(str(cid), (0, 0, 0, 0))), name_en=en, name_zh=zh)
        for cid, key, en, zh in categories
    ]
    by_cell = [
        GroupFigures(str(code), *_with_rate(v))
        for code, v in sorted(grouped(cell).items(), key=lambda kv: str(kv[0]))
        if v[0]
    ]
    periods = _period_keys(np.asarray(found_s, dtype=np.int64), scope.tz, period)
    by_period = [
        GroupFigures(str(k), *_with_rate(v)) for k, v in sorted(grouped(periods).items()) if v[0]
    ]
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


def _with_rate(v: tuple[int, int, int, int]) -> tuple[int, int, int, int, float | None]:
    found, rectified, is_open, overdue = v
    return found, rectified, is_open, overdue, rate_of(rectified, found)


def _period_keys(epoch_s: np.ndarray, tz: ZoneInfo, period: str) -> np.ndarray:
    """Each moment's local day (YYYY-MM-DD), ISO week (its Monday) or month (YYYY-MM), vectorised."""
    if not len(epoch_s):
        return np.zeros(0, dtype=object)
    local = pd.DatetimeIndex(pd.to_datetime(epoch_s, unit="s", utc=True)).tz_convert(tz)
    days = local.tz_localize(None).values.astype("datetime64[D]")
    if period == "month":
        return days.astype("datetime64[M]").astype(str)
    if period == "week":
        monday = days - ((days.astype(np.int64) + 3) % 7).astype("timedelta64[D]")
        return monday.astype(str)
    return days.astype(str)


# --- exports ---------------------------------------------------------------------------------------

MODE_ZH = {"on_spot": "立行立改", "deadline": "限期整改"}
STATUS_ZH = {"open": "整改中", "overdue": "已逾期", "fixed": "待核实", "closed": "已整改"}
ERROR_ZH = "误报"


def _ledger_rows(engine: Engine, scope: _Scope, bounds: tuple[int, int] | None) -> list[tuple]:
    with reading(engine) as s:
        query = (
            select(
                Finding.cell_code,
                FindingCategory.name_zh,
                Finding.text,
                Finding.found_at_s,
                Finding.found_by,
                Finding.mode,
                Finding.unit,
                Finding.person,
                Finding.deadline,
                Finding.note,
                Finding.status,
                Finding.closed_as,
                Finding.fixed_at_s,
                Finding.closed_at_s,
            )
            .join(FindingCategory, FindingCategory.id == Finding.category_id)
            .where(Finding.area_id.in_(scope.area_ids))
            .order_by(Finding.found_at_s, Finding.id)
        )
        if bounds:
            query = query.where(Finding.found_at_s >= bounds[0], Finding.found_at_s < bounds[1])
        return raw_rows(s, query)  # the statement holds only numbers the code made


def ledger_lines(
    engine: Engine, slug: str, *, date_from: str | None = None, date_to: str | None = None
) -> Iterator[LedgerRow]:
    """The ledger's lines in the order found, every field in the words the sheet shows (Chinese)."""
    with reading(engine) as s:
        scope = _scope(s, slug)
        bounds = _day_range(scope, date_from, date_to)
    rows = _ledger_rows(engine, scope, bounds)
    tz = scope.tz
    now = _now_s()
    ends = deadline_ends(np.asarray([r[8] for r in rows], dtype=object), tz)
    found = _local_texts(np.asarray([r[3] for r in rows], dtype=np.int64), tz)
    for k, r in enumerate(rows):
        (code, category, text, _f, by, mode, unit, person, deadline, note, status, closed_as,
         fixed_s, closed_s) = r  # fmt: skip
        shown = "overdue" if status == "open" and ends[k] <= now else status
        yield LedgerRow(
            seq=k + 1,
            cell=code,
            category=category,
            text=text,
            found_at=found[k],
            found_by=by,
            mode=MODE_ZH.get(mode, mode),
            unit=unit or "",
            person=person or "",
            deadline=deadline or "",
            progress=_progress(mode, status, closed_as, note, fixed_s, closed_s, tz),
            status=ERROR_ZH if closed_as == "error" else STATUS_ZH.get(shown, shown),
        )


def _local_texts(epoch_s: np.ndarray, tz: ZoneInfo) -> list[str]:
    """Moments as 'YYYY-MM-DD HH:MM' on the area's clock, vectorised."""
    if not len(epoch_s):
        return []
    local = pd.DatetimeIndex(pd.to_datetime(epoch_s, unit="s", utc=True)).tz_convert(tz)
    minutes = local.tz_localize(None).values.astype("datetime64[m]").astype(str)
    return [t.replace("T", " ") for t in minutes.tolist()]


def _progress(
    mode: str,
    status: str,
    closed_as: str | None,
    note: str | None,
    fixed_s: int | None,
    closed_s: int | None,
    tz: ZoneInfo,
) -> str:
    """整改情况: what was done and when, in a few words."""
    said = f"：{note}" if note else ""
    if closed_as == "error":
        return f"经核实为误报{said}"
    if mode == "on_spot" and status == "closed":
        return f"已立行立改{said}"
    if status == "closed":
        when = _day_text(closed_s, tz)
        return f"已整改，{when}核实销号{said}"
    if status == "fixed":
        return f"已报整改完成（{_day_text(fixed_s, tz)}），待核实{said}"
    return f"正在整改{said}"


def _day_text(epoch: int | None, tz: ZoneInfo) -> str:
    return "" if epoch is None else datetime.fromtimestamp(int(epoch), tz).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Export:
    """A written export: the file (or bytes for a download), its kind and the rows in it."""

    kind: str
    rows: int
    path: Path | None = None
    data: bytes | None = None


def export_ledger(
    engine: Engine,
    slug: str,
    out: str | Path | None,
    *,
    kind: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Export:
    """The ledger as XLSX or CSV (by `kind`, else the file's suffix), into `out`, or as bytes when
    `out` is None (a download)."""
    kind = kind or (Path(out).suffix.lower().lstrip(".") if out is not None else None)
    if kind not in FORMATS:
        raise InvalidInput.of(
            "write the ledger as .xlsx or .csv; {name!r} is neither",
            name=str(out) if out is not None else str(kind),
        )
    lines = ledger_lines(engine, slug, date_from=date_from, date_to=date_to)
    if kind == "csv":
        if out is None:
            return Export("csv", 0, data=ledger_csv_bytes(lines))
        path = Path(out)
        try:
            with path.open("w", encoding="utf-8", newline="") as f:
                n = write_ledger_csv(lines, f)
        except OSError as exc:
            raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
        return Export("csv", n, path=path)
    summary = ledger(engine, slug, date_from=date_from, date_to=date_to)
    facts = _summary_facts(summary)
    cats = [
        (c.name_zh or c.key, c.found, c.rectified, c.rate) for c in summary.by_category if c.found
    ]
    if out is None:
        import io

        buffer = io.BytesIO()
        n = write_ledger_xlsx(lines, facts, cats, buffer)
        return Export("xlsx", n, data=buffer.getvalue())
    n = write_ledger_xlsx(lines, facts, cats, out)
    return Export("xlsx", n, path=Path(out))


def _summary_facts(summary: Ledger) -> list[tuple[str, object]]:
    f = summary.figures
    period = f"{summary.date_from or '—'} 至 {summary.date_to or '—'}"
    return [
        ("区域", summary.name),
        ("统计区间", period),
        ("统计时间", summary.at[:16].replace("T", " ")),
        ("发现问题", f.found),
        ("立行立改", f.fixed_on_spot),
        ("限期整改", f.with_deadline),
        ("已整改", f.rectified),
        ("整改中", f.open),
        ("待核实", f.fixed),
        ("已逾期", f.overdue),
        ("整改率", f.rate if f.rate is not None else "—"),
    ]


def export_findings_gpkg(
    engine: Engine,
    slug: str,
    out: str | Path,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
) -> Export:
    """The findings as GeoPackage points: each at its point, else at its cell's inside point."""
    points = finding_points(engine, slug, date_from=date_from, date_to=date_to)
    n = write_findings_gpkg(points, out)
    return Export("gpkg", n, path=Path(out))


def finding_points(
    engine: Engine, slug: str, *, date_from: str | None = None, date_to: str | None = None
) -> FindingPoints:
    """The ledger's findings with a position each (their point, else the cell's inside point)."""
    with reading(engine) as s:
        scope = _scope(s, slug)
        bounds = _day_range(scope, date_from, date_to)
        query = (
            select(
                Finding.id,
                Finding.cell_code,
                FindingCategory.key,
                Finding.text,
                Finding.found_at_s,
                Finding.status,
                Finding.mode,
                Finding.deadline,
                Finding.person,
                Finding.lon,
                Finding.lat,
                Cell.geometry,
            )
            .join(FindingCategory, FindingCategory.id == Finding.category_id)
            .outerjoin(Cell, Cell.id == Finding.cell_id)
            .where(Finding.area_id.in_(scope.area_ids))
            .order_by(Finding.found_at_s, Finding.id)
        )
        if bounds:
            query = query.where(Finding.found_at_s >= bounds[0], Finding.found_at_s < bounds[1])
        rows = s.execute(query).all()
    n = len(rows)
    lon = np.array([np.nan if r.lon is None else r.lon for r in rows], dtype=float)
    lat = np.array([np.nan if r.lat is None else r.lat for r in rows], dtype=float)
    missing = np.isnan(lon)
    if missing.any():
        shapes = shapely.from_wkb(np.array([rows[k].geometry for k in np.flatnonzero(missing)]))
        inside = shapely.point_on_surface(shapes)
        lon[missing], lat[missing] = shapely.get_x(inside), shapely.get_y(inside)
    found = _local_texts(np.asarray([r.found_at_s for r in rows], dtype=np.int64), scope.tz)
    return FindingPoints(
        lon=lon,
        lat=lat,
        located=["cell" if m else "point" for m in missing],
        columns={
            "finding": [int(r.id) for r in rows],
            "cell": [r.cell_code for r in rows],
            "category": [r.key for r in rows],
            "text": [r.text for r in rows],
            "found_at": found,
            "status": [r.status for r in rows],
            "mode": [r.mode for r in rows],
            "deadline": [r.deadline for r in rows],
            "person": [r.person for r in rows],
        }
        if n
        else {k: [] for k in ("finding", "cell", "category", "text", "found_at", "status")},
    )


# --- the coverage map's findings layer -------------------------------------------------------------


@dataclass(frozen=True)
class MapFindings:
    """What the coverage map shows of findings: markers (id, status as shown, lon, lat) of the open,
    fixed and recently closed ones, the cells with open findings, and counts by status."""

    ids: list[int]
    shown: list[str]  # open | overdue | fixed | closed
    lon: list[float]
    lat: list[float]
    cells_open: list[str]  # codes of the active plan's cells holding an open finding
    counts: dict[str, int]
    total: int  # markers there would be without MAP_FINDINGS_MAX


def map_findings(engine: Engine, slug: str, *, closed_days: int = 30) -> MapFindings:
    """The findings layer of an area's coverage map: every open and fixed finding and those closed
    in the last `closed_days` days (closed as rectified), the newest MAP_FINDINGS_MAX of them, each
    at its point or its cell's inside point."""
    now = _now_s()
    with reading(engine) as s:
        scope = _scope(s, slug)
        since = now - closed_days * 86400
        rows = s.execute(
            select(
                Finding.id,
                Finding.status,
                Finding.deadline,
                Finding.lon,
                Finding.lat,
                Finding.cell_id,
                Cell.code,
            )
            .outerjoin(Cell, Cell.id == Finding.cell_id)
            .where(
                Finding.area_id.in_(scope.area_ids),
                or_(
                    Finding.status.in_(("open", "fixed")),
                    and_(Finding.closed_as == "rectified", Finding.closed_at_s >= since),
                ),
            )
            .order_by(Finding.found_at_s.desc(), Finding.id.desc())
        ).all()
        total = len(rows)
        fixed_n = sum(1 for r in rows if r.status == "fixed")
        ends = deadline_ends(np.asarray([r.deadline for r in rows], dtype=object), scope.tz)
        states = [
            "overdue" if r.status == "open" and ends[k] <= now else r.status
            for k, r in enumerate(rows)
        ]
        cells_open = sorted({r.code for r in rows if r.status == "open" and r.code})
        open_n = sum(1 for r in rows if r.status == "open")
        overdue_n = states.count("overdue")
        rows, states = rows[:MAP_FINDINGS_MAX], states[:MAP_FINDINGS_MAX]
        need = sorted({r.cell_id for r in rows if r.lon is None and r.cell_id is not None})
        inside: dict[int, tuple[float, float]] = {}
        if need:
            got = s.execute(select(Cell.id, Cell.geometry).where(Cell.id.in_(need))).all()
            pts = shapely.point_on_surface(shapely.from_wkb(np.array([g for _, g in got])))
            inside = {
                int(i): (float(x), float(y))
                for (i, _), x, y in zip(got, shapely.get_x(pts), shapely.get_y(pts), strict=True)
            }
    ids, shown, lon, lat = [], [], [], []
    for r, state in zip(rows, states, strict=True):
        where = (r.lon, r.lat) if r.lon is not None else inside.get(r.cell_id)
        if where is None:
            continue
        ids.append(int(r.id))
        shown.append(state)
        lon.append(round(float(where[0]), 7))
        lat.append(round(float(where[1]), 7))
    counts = {
        "open": open_n,
        "overdue": overdue_n,
        "fixed": fixed_n,
        "closed_recently": total - open_n - fixed_n,
    }
    return MapFindings(ids, shown, lon, lat, cells_open, counts, total)
