"""The rectification ledger as files: its lines in the sheet's words (Chinese), XLSX and CSV (through
`files.ledger`), and the findings as GeoPackage points."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, Select, select

from gridmgr.db.models import Area, Cell, Finding, FindingCategory
from gridmgr.db.store import driver_row_chunks, reading
from gridmgr.errors import InvalidInput
from gridmgr.files.ledger import (
    FORMATS,
    FindingPoints,
    LedgerRow,
    ledger_csv_bytes,
    write_findings_gpkg,
    write_ledger_csv,
    write_ledger_xlsx,
)
from gridmgr.rules.rectification import deadline_ends
from gridmgr.services.ledger import Ledger, Scope, day_range, ledger, now_s, scope_of

MODE_ZH = {"on_spot": "立行立改", "deadline": "限期整改"}
STATUS_ZH = {"open": "整改中", "overdue": "已逾期", "fixed": "待核实", "closed": "已整改"}
ERROR_ZH = "误报"


LEDGER_CHUNK = 5_000  # ledger lines read from the database at a time


def _ledger_query(scope: Scope, bounds: tuple[int, int] | None) -> Select[*tuple[Any, ...]]:
    """The ledger's findings in the order found, with the fields its lines show."""
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
    return query


def ledger_lines(
    engine: Engine, slug: str, *, date_from: str | None = None, date_to: str | None = None
) -> Iterator[LedgerRow]:
    """The ledger's lines in the order found, every field in the words the sheet shows (Chinese).

    Streamed: the findings are read LEDGER_CHUNK at a time as the lines are taken (one read
    transaction throughout), so writing 100,000 of them holds one chunk in memory, not all."""
    with reading(engine) as s:
        scope = scope_of(s, slug)
        bounds = day_range(scope, date_from, date_to)
        tz = scope.tz
        now = now_s()
        seq = 0
        for rows in driver_row_chunks(s, _ledger_query(scope, bounds), LEDGER_CHUNK):
            ends = deadline_ends(np.asarray([r[8] for r in rows], dtype=object), tz)
            found = _local_texts(np.asarray([r[3] for r in rows], dtype=np.int64), tz)
            for k, r in enumerate(rows):
                (code, category, text, _f, by, mode, unit, person, deadline, note, status,
                 closed_as, fixed_s, closed_s) = r  # fmt: skip
                shown = "overdue" if status == "open" and ends[k] <= now else status
                seq += 1
                yield LedgerRow(
                    seq=seq,
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
    facts = _summary_facts(summary) + _leader_facts(engine, slug)
    cats = [
        (c.name_zh or c.key, c.found, c.rectified, c.rate) for c in summary.by_category if c.found
    ]
    if out is None:
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


def _leader_facts(engine: Engine, slug: str) -> list[tuple[str, object]]:
    """The chain of responsibility on the summary sheet: the area's leader and deputy, then the
    leader of every area below it that has one (the units answerable for their findings)."""
    with reading(engine) as s:
        top = scope_of(s, slug)
        rows = s.execute(
            select(
                Area.id, Area.name, Area.leader, Area.leader_phone, Area.deputy, Area.deputy_phone
            ).where(Area.id.in_(top.area_ids))
        ).all()
    by_id = {r[0]: r for r in rows}
    facts: list[tuple[str, object]] = []

    def person(name: str | None, phone: str | None) -> str:
        return f"{name} {phone}" if phone else str(name)

    _, _, leader, leader_phone, deputy, deputy_phone = by_id[top.area_ids[0]]
    if leader:
        facts.append(("负责人", person(leader, leader_phone)))
    if deputy:
        facts.append(("副职", person(deputy, deputy_phone)))
    for area_id in top.area_ids[1:]:
        _, name, leader, leader_phone, _, _ = by_id[area_id]
        if leader:
            facts.append((f"责任单位：{name}", person(leader, leader_phone)))
    return facts


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
        scope = scope_of(s, slug)
        bounds = day_range(scope, date_from, date_to)
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
        shapes = shapely.from_wkb(
            np.array([rows[int(k)].geometry for k in np.flatnonzero(missing)])
        )
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
