"""What the coverage map shows of findings: markers of the open, fixed and recently closed ones, the
cells holding open findings, and counts by status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from sqlalchemy import Engine, and_, case, func, literal, or_, select

from gridmgr.db.models import Cell, Finding
from gridmgr.db.store import reading
from gridmgr.services.ledger import now_s, scope_of

MAP_FINDINGS_MAX = 5000  # findings on the coverage map (the newest of those shown)


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
    (as rectified) in the last `closed_days` days, the newest MAP_FINDINGS_MAX of them as markers,
    each at its point or its cell's inside point; counts and outlined cells cover them all."""
    now = now_s()
    since = now - closed_days * 86400
    with reading(engine) as s:
        scope = scope_of(s, slug)
        today = datetime.fromtimestamp(now, scope.tz).date().isoformat()
        mine = Finding.area_id.in_(scope.area_ids)
        late = and_(Finding.status == "open", Finding.deadline < literal(today))
        shown = or_(
            Finding.status.in_(("open", "fixed")),
            and_(Finding.closed_as == "rectified", Finding.closed_at_s >= since),
        )
        open_n, overdue_n, fixed_n, total = s.execute(
            select(
                func.count().filter(Finding.status == "open"),
                func.count().filter(late),
                func.count().filter(Finding.status == "fixed"),
                func.count(),
            ).where(mine, shown)
        ).one()
        cells_open = sorted(
            s.execute(
                select(Cell.code)
                .join(Finding, Finding.cell_id == Cell.id)
                .where(mine, Finding.status == "open")
                .distinct()
            )
            .scalars()
            .all()
        )
        rows = s.execute(
            select(
                Finding.id,
                case((late, "overdue"), else_=Finding.status),
                Finding.lon,
                Finding.lat,
                Finding.cell_id,
            )
            .where(mine, shown)
            .order_by(Finding.found_at_s.desc(), Finding.id.desc())
            .limit(MAP_FINDINGS_MAX)
        ).all()
        need = sorted({r.cell_id for r in rows if r.lon is None and r.cell_id is not None})
        inside: dict[int, tuple[float, float]] = {}
        if need:
            got = s.execute(select(Cell.id, Cell.geometry).where(Cell.id.in_(need))).all()
            pts = shapely.point_on_surface(shapely.from_wkb(np.array([g for _, g in got])))
            inside = {
                int(i): (float(x), float(y))
                for (i, _), x, y in zip(got, shapely.get_x(pts), shapely.get_y(pts), strict=True)
            }
    ids, states, lon, lat = [], [], [], []
    for fid, state, x, y, cell_id in rows:
        where = (x, y) if x is not None else inside.get(cell_id)
        if where is None:
            continue
        ids.append(int(fid))
        states.append(str(state))
        lon.append(round(float(where[0]), 7))
        lat.append(round(float(where[1]), 7))
    counts = {
        "open": int(open_n),
        "overdue": int(overdue_n),
        "fixed": int(fixed_n),
        "closed_recently": int(total - open_n - fixed_n),
    }
    return MapFindings(ids, states, lon, lat, cells_open, counts, int(total))
