"""The coverage report: ground, staffing and round status of an area's plan at any moment, and a day's summary."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, select

from gridmgr.db.models import Assignment, Cell, Round, Warden
from gridmgr.db.queries import get_area, plan_at, plan_schedules, rhythm_of
from gridmgr.db.store import (
    gaps_and_overlaps_in_db,
    int_rows,
    is_postgres,
    load_cells,
    raw_rows,
    reading,
)
from gridmgr.geometry.coverage import gaps_and_overlaps, ground_from, pieces_to_geojson
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import Rhythm, cell_status

WORST_SHOWN = 10


def coverage_report(
    engine: Engine,
    slug: str,
    *,
    at: str | datetime | None = None,
    day: date | None = None,
    with_cells: bool = False,
) -> dict[str, Any]:
    """Everything that leaves ground unmanaged at a moment (default now), as the API answers it (docs/api.md).

    For a past moment the plan that was active then is used, with the rounds logged up to then.
    Every scheduled cell is in exactly one of due/overdue/ok, the worst that applies.

    Parameters
    ----------
    day
        Also summarise this local day per cell: rounds expected, done, late, missed.
    with_cells
        Also give each cell's status, wardens, last and next round (for maps).
    """
    with reading(engine) as s:
        area = get_area(s, slug)
        tz = ZoneInfo(area.timezone)
        moment = parse_moment(at, tz)
        plan = plan_at(s, area.id, None if at is None else moment, slug)
        stored = plan.gaps is not None
        cells = load_cells(s, plan.id, geometry=not stored)
        ids = cells["id"].to_numpy()
        by_id = np.argsort(ids)

        def positions(cell_ids) -> np.ndarray:
            return by_id[np.searchsorted(ids, np.asarray(cell_ids, np.int64), sorter=by_id)]

        posts = raw_rows(
            s,
            select(Assignment.cell_id, Warden.name, Assignment.role)
            .join(Warden, Warden.id == Assignment.warden_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .where(Cell.plan_id == plan.id),
        )
        rhythms: list[Rhythm | None] = [None] * len(ids)
        alike: dict[tuple, Rhythm] = {}  # most cells share a few schedules: one Rhythm each
        sched = raw_rows(s, plan_schedules(plan.id))
        for k, (_, *row) in zip(positions([r[0] for r in sched]), sched, strict=True):
            key = tuple(row)
            if key not in alike:
                alike[key] = rhythm_of(*row)
            rhythms[k] = alike[key]
        target_day = day or moment.astimezone(tz).date()
        since = datetime.combine(
            target_day - timedelta(days=2), datetime.min.time(), tz
        ).timestamp()
        rounds = int_rows(
            s,
            select(Round.cell_id, Round.at_s).where(
                Round.cell_id.in_(select(Cell.id).where(Cell.plan_id == plan.id)),
                Round.at_s >= int(since),
                Round.at_s <= int(moment.timestamp()),
            ),
        )
        geometry = shapely.from_wkb(area.geometry)
        if stored:
            ground_wgs84 = (shapely.from_wkb(plan.gaps), shapely.from_wkb(plan.overlaps))
        elif is_postgres(engine):
            ground_wgs84 = gaps_and_overlaps_in_db(s, area.id, plan.id)
        else:  # a plan written before plans kept their ground
            ground_wgs84 = gaps_and_overlaps(geometry, np.asarray(cells.geometry.values))

    ground = ground_from(geometry, *ground_wgs84)  # type: ignore[arg-type]  # a stored plan has both
    log_cell = positions(rounds[:, 0])
    log_t = rounds[:, 1].astype(float)
    now = cell_status(rhythms, log_cell, log_t, moment.timestamp(), tz)
    codes = np.asarray(cells["code"], dtype=object)
    post_cell = positions([p[0] for p in posts])
    staffed = np.bincount(post_cell, minlength=len(ids)) > 0
    status = now.status
    report: dict[str, Any] = {
        "area": slug,
        "at": moment.astimezone(tz).isoformat(),
        "timezone": area.timezone,
        "plan_version": plan.version,
        "area_m2": round(ground.area_m2, 2),
        "covered_m2": round(ground.covered_m2, 2),
        "coverage_ratio": round(ground.coverage_ratio, 6),
        "gaps": pieces_to_geojson(ground.gaps),
        "overlaps": pieces_to_geojson(ground.overlaps),
        "cells_total": len(ids),
        "unstaffed": list(codes[~staffed]),
        "unscheduled": list(codes[status == "unscheduled"]),
        "due": list(codes[status == "due"]),
        "overdue": list(codes[status == "overdue"]),
        "ok": list(codes[status == "ok"]),
        "short_of_extra": list(codes[now.extra_short > 0]),
        "wardens": _warden_load(post_cell, [p[1] for p in posts], cells["area_m2"].to_numpy(), now),
        "worst": _worst(codes, now),
    }
    if day is not None:
        past = cell_status(rhythms, log_cell, log_t, moment.timestamp(), tz, day=day)
        report["day"] = {
            "date": day.isoformat(),
            "cells": [
                {"code": c, "expected": int(e), "done": int(d), "late": int(la), "missed": int(m)}
                for c, e, d, la, m, r in zip(
                    codes, past.expected, past.done, past.late, past.missed, rhythms, strict=True
                )
                if r is not None
            ],
        }
    if with_cells:
        wardens_of: dict[int, list[tuple[str, str]]] = {}
        for k, (_, name, role) in zip(post_cell, posts, strict=True):
            wardens_of.setdefault(int(k), []).append((name, role))
        report["cells"] = [
            {
                "code": str(codes[k]),
                "status": "unstaffed"
                if not staffed[k] and status[k] != "unscheduled"
                else str(status[k]),
                "round_status": str(status[k]),
                "wardens": [{"name": n, "role": r} for n, r in wardens_of.get(k, [])],
                "last_round": _iso(now.last_round[k], tz),
                "next_round": _iso(now.next_round[k], tz),
            }
            for k in range(len(ids))
        ]
    return report


def _iso(epoch: float, tz: ZoneInfo) -> str | None:
    return None if np.isnan(epoch) else datetime.fromtimestamp(epoch, tz).isoformat()


def _warden_load(
    post_cell: np.ndarray, post_name: list[str], area_m2: np.ndarray, now
) -> list[dict[str, Any]]:
    """Per warden: cells held, their m², rounds expected today and still to do."""
    if not len(post_cell):
        return []
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
    load["area_m2"] = load["area_m2"].round(1)
    return [
        {
            "warden": w,
            "cells": int(c),
            "area_m2": float(a),
            "rounds_today": int(t),
            "rounds_left": int(x),
        }
        for w, c, a, t, x in load.itertuples(index=False, name=None)
    ]


def _worst(codes: np.ndarray, now) -> list[dict[str, Any]]:
    """The cells most behind: overdue before due, then most rounds missed."""
    rank = np.select([now.status == "overdue", now.status == "due"], [2, 1], 0)
    behind = np.flatnonzero(rank > 0)
    order = behind[np.lexsort((-now.missed[behind], -rank[behind]))][:WORST_SHOWN]
    return [
        {
            "code": str(codes[k]),
            "status": str(now.status[k]),
            "missed": int(now.missed[k]),
            "extra_short": int(now.extra_short[k]),
        }
        for k in order
    ]
