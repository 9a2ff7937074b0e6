"""The daily report (日报) of an area: one row per child with the roll-up figures at the end of the
day (or now, for today), the cells most behind over the subtree, and the findings still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area, Finding, FindingCategory
from gridmgr.db.queries import get_area
from gridmgr.db.store import reading
from gridmgr.db.tree import subtree_ids
from gridmgr.errors import InvalidInput
from gridmgr.files.daily_report import DailyRow, FindingLine, WorstLine, write_daily_xlsx
from gridmgr.rules.rectification import parse_day
from gridmgr.rules.schedule import day_bounds
from gridmgr.services.rollup import Rollup, RollupRow, WorstCell, rollup_in

WORST_LISTED = 20


@dataclass(frozen=True)
class OpenFinding:
    """A finding still open (or reported fixed, awaiting a check) in the subtree."""

    id: int
    area: str
    area_name: str
    cell: str
    category: str  # its Chinese name
    category_en: str
    text: str
    found_at: datetime  # on the area's clock
    deadline: str | None
    unit: str | None
    person: str | None
    status: str  # open | fixed
    overdue: bool  # open after its deadline day, at the report's moment


@dataclass(frozen=True)
class DailyReport:
    """The daily report of an area for a day: the roll-up then, the worst cells, the open findings."""

    day: date
    rollup: Rollup
    findings: tuple[OpenFinding, ...]

    @property
    def worst(self) -> tuple[WorstCell, ...]:
        """The cells most behind over the subtree."""
        return self.rollup.worst


def daily_report(
    engine: Engine, slug: str, day: str | date | None = None, *, now: datetime | None = None
) -> DailyReport:
    """The report of `day` (YYYY-MM-DD on the area's clock, default today) as of its end, or now
    when the day is today; a day still to come is refused."""
    now = now or datetime.now(UTC)
    with reading(engine) as s:
        area = get_area(s, slug)
        tz = ZoneInfo(area.timezone)
        d = (
            day
            if isinstance(day, date)
            else parse_day(day, "the day")
            if day
            else now.astimezone(tz).date()
        )
        start, end = day_bounds(d, tz)
        if start > now.timestamp():
            raise InvalidInput.of(
                "the day {day} has not begun on the area's clock; give today or an earlier day",
                day=d.isoformat(),
            )
        moment = datetime.fromtimestamp(min(end - 1, now.timestamp()), tz)
        r = rollup_in(s, engine, slug, at=moment, worst=WORST_LISTED)
        findings = _open_findings(s, area.id, tz, d)
    return DailyReport(d, r, findings)


def _open_findings(s: Session, area_id: int, tz: ZoneInfo, day: date) -> tuple[OpenFinding, ...]:
    """The subtree's findings not yet closed, overdue ones first, then by deadline and finding."""
    ids = subtree_ids(s, area_id)
    rows = s.execute(
        select(
            Finding.id,
            Area.slug,
            Area.name,
            Finding.cell_code,
            FindingCategory.name_zh,
            FindingCategory.name_en,
            Finding.text,
            Finding.found_at_s,
            Finding.deadline,
            Finding.unit,
            Finding.person,
            Finding.status,
        )
        .join(Area, Area.id == Finding.area_id)
        .join(FindingCategory, FindingCategory.id == Finding.category_id)
        .where(Finding.area_id.in_(ids), Finding.status.in_(("open", "fixed")))
    ).all()
    today = day.isoformat()
    found = [
        OpenFinding(
            id=int(fid),
            area=str(sl),
            area_name=str(an),
            cell=str(cell),
            category=str(zh),
            category_en=str(en),
            text=str(text),
            found_at=datetime.fromtimestamp(int(at), tz),
            deadline=dl,
            unit=unit,
            person=person,
            status=str(st),
            overdue=st == "open" and dl is not None and dl < today,
        )
        for fid, sl, an, cell, zh, en, text, at, dl, unit, person, st in rows
    ]
    return tuple(sorted(found, key=lambda f: (not f.overdue, f.deadline or "9999", f.id)))


def daily_rows(report: DailyReport) -> list[DailyRow]:
    """The report's table: one row per child (the area itself when it has none), then the total."""
    r = report.rollup
    rows = [*(r.children or (r.total,))]

    def line(row: RollupRow, label: str) -> DailyRow:
        return DailyRow(
            label, row.cells, row.wardens, row.coverage_ratio, row.unstaffed, row.due, row.overdue,
            row.ok, row.rounds_expected_today, row.rounds_done_today, row.findings_open,
            row.findings_overdue, row.rectification_rate,
        )  # fmt: skip

    return [*(line(c, c.name) for c in rows), line(r.total, "合计")]


def export_daily_report(
    engine: Engine, slug: str, day: str | date | None, out: str | Path | IO[bytes]
) -> DailyReport:
    """Write the daily report as an XLSX workbook (Chinese headers); returns the report."""
    report = daily_report(engine, slug, day)
    status_zh = {"due": "待巡", "overdue": "超时"}
    worst = [
        WorstLine(w.area_name, w.code, status_zh.get(w.status, w.status), w.missed)
        for w in report.worst
    ]
    findings = [
        FindingLine(
            f.area_name,
            f.cell,
            f.category,
            f.text,
            f.found_at.strftime("%Y-%m-%d %H:%M"),
            f.unit or "",
            f.person or "",
            f.deadline or "",
            "是" if f.overdue else "否",
        )
        for f in report.findings
    ]
    title = f"{report.rollup.name} 日报 {report.day.isoformat()}"
    write_daily_xlsx(title, daily_rows(report), worst, findings, out)
    return report
