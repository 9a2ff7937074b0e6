"""What the coverage map shows of findings: markers of the open, fixed and recently closed ones, the
cells holding open findings, and counts by status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from sqlalchemy import Engine, and_, case, func, literal, or_, select

from gridmgr.db.models import Cell, Finding
from gridmgr.db.store import driver_rows, reading
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
        active = Finding.status.in_(("open", "fixed"))
        # 'rectified' in the SQL text, so the partial index ix_findings_rectified_at serves it
        rectified = and_(
            Finding.closed_as == literal("rectified", literal_execute=True),
            Finding.closed_at_s >= since,
        )
        shown = or_(active, rectified)
        # counted in two parts the indexes serve (the open and fixed by status, the others
        # rectified lately by closing time): one count of `shown` reads every finding of the area
        open_n, overdue_n, fixed_n = s.execute(
            select(
                func.count().filter(Finding.status == "open"),
                func.count().filter(late),
                func.count().filter(Finding.status == "fixed"),
            ).where(mine, active)
        ).one()
        closed_n = s.execute(select(func.count()).where(mine, rectified, ~active)).scalar_one()
        total = open_n + fixed_n + closed_n
        cells_open = sorted(
            r[0]
            for r in driver_rows(
                s,
                select(Cell.code)
                .join(Finding, Finding.cell_id == Cell.id)
                .where(mine, Finding.status == "open")
                .distinct(),
            )
        )
        newest = (
            select(
                Finding.id.label("fid"),
                case((late, "overdue"), else_=Finding.status).label("state"),
                Finding.lon.label("lon"),
                Finding.lat.label("lat"),
                Finding.cell_id.label("cell_id"),
                Finding.found_at_s.label("found_at_s"),
            )
            .where(mine, shown)
            .order_by(Finding.found_at_s.desc(), Finding.id.desc())
            .limit(MAP_FINDINGS_MAX)
            .subquery()
        )
        # the markers, each without a point of its own with its cell's shape (one pass, as tuples:
        # thousands of Row objects would keep Python's garbage collector busy)
        rows = driver_rows(
            s,
            select(newest.c.fid, newest.c.state, newest.c.lon, newest.c.lat, newest.c.cell_id,
                   Cell.geometry)
            .outerjoin(Cell, and_(newest.c.lon.is_(None), Cell.id == newest.c.cell_id))
            .order_by(newest.c.found_at_s.desc(), newest.c.fid.desc()),
        )  # fmt: skip
    # the inside point of each cell holding a marker without a point of its own, once per cell
    shapes = {r[4]: r[5] for r in rows if r[2] is None and r[5] is not None}
    inside_x, inside_y = np.full(0, np.nan), np.full(0, np.nan)
    if shapes:
        pts = shapely.point_on_surface(shapely.from_wkb(np.array(list(shapes.values()), object)))
        inside_x, inside_y = shapely.get_x(pts), shapely.get_y(pts)
    cell_index = {int(i): k for k, i in enumerate(shapes)}
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    x = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
    y = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float)
    at_cell = np.array([cell_index.get(r[4], -1) if r[2] is None else -1 for r in rows], dtype=int)
    from_cell = at_cell >= 0
    x[from_cell], y[from_cell] = inside_x[at_cell[from_cell]], inside_y[at_cell[from_cell]]
    placed = ~np.isnan(x)
    ids_shown = ids[placed].tolist()
    states = [str(r[1]) for r, keep in zip(rows, placed.tolist(), strict=True) if keep]
    lon, lat = np.round(x[placed], 7).tolist(), np.round(y[placed], 7).tolist()
    counts = {
        "open": int(open_n),
        "overdue": int(overdue_n),
        "fixed": int(fixed_n),
        "closed_recently": int(total - open_n - fixed_n),
    }
    return MapFindings(ids_shown, states, lon, lat, cells_open, counts, int(total))
