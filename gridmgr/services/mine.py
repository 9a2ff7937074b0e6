"""A warden's own cells, in every area, with today's rounds: what the warden page and /api/v1/me/cells show."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import Engine, func, select

from gridmgr.db.models import Area, Assignment, Cell, GridPlan, Round, Schedule, Warden
from gridmgr.db.queries import SCHEDULE_COLUMNS, rhythm_of
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.rules.clock import parse_moment
from gridmgr.rules.schedule import Rhythm, cell_status, day_bounds, windows

ROUND_STATUSES = ("done", "late", "due", "overdue", "upcoming")


def warden_cells(
    engine: Engine, warden_name: str, *, at: str | datetime | None = None
) -> dict[str, Any]:
    """The cells a warden holds in every area's active plan, each with today's rounds and status.

    Returns ``{"warden", "at", "cells": [...]}``; each cell carries ``area`` (slug), ``area_name``,
    ``timezone``, ``code``, ``role``, ``area_m2``, ``geometry`` (GeoJSON), ``schedule`` ({times, extra}
    or None), ``status`` (ok|due|overdue|unscheduled), ``rounds`` (today's fixed rounds: time, at,
    window {opens, closes}, status done|late|due|overdue|upcoming), ``extra`` ({done, expected}),
    ``logged`` (today's logs in the cell), ``last_round`` and ``next_round``. Cells come by area name,
    then code order. `at` (ISO text without offset: each area's local time) defaults to now.
    """
    with reading(engine) as s:
        warden_id = s.execute(select(Warden.id).where(Warden.name == warden_name)).scalar()
        if warden_id is None:
            raise NotFound(f"no warden named {warden_name!r}")
        posts = s.execute(
            select(
                Cell.id,
                Cell.code,
                Cell.area_m2,
                Cell.geometry,
                Assignment.role,
                Area.slug,
                Area.name,
                Area.timezone,
            )
            .join(Assignment, Assignment.cell_id == Cell.id)
            .join(GridPlan, GridPlan.id == Cell.plan_id)
            .join(Area, Area.id == GridPlan.area_id)
            .where(Assignment.warden_id == warden_id, GridPlan.active)
            .order_by(Area.name, Area.slug, Cell.seq)
        ).all()
        ids = [int(p[0]) for p in posts]
        sched = {
            int(c): rhythm_of(times, extra, before, after, since)
            for c, times, extra, before, after, since in s.execute(
                select(*SCHEDULE_COLUMNS).where(Schedule.cell_id.in_(ids))
            )
        }
        moments = {tz: parse_moment(at, ZoneInfo(tz)) for tz in {p[7] for p in posts}}
        earliest = min((m for m in moments.values()), default=datetime.now(UTC))
        latest = max((m for m in moments.values()), default=earliest)
        logs = s.execute(
            select(Round.cell_id, Round.at_s, Warden.name, Round.note)
            .outerjoin(Warden, Warden.id == Round.warden_id)
            .where(
                Round.cell_id.in_(ids),
                Round.at_s >= int((earliest - timedelta(days=2)).timestamp()),
                Round.at_s <= int(latest.timestamp()),
            )
            .order_by(Round.at_s, Round.id)
        ).all()
        last_ever = dict(
            s.execute(
                select(Round.cell_id, func.max(Round.at_s))
                .where(Round.cell_id.in_(ids), Round.at_s <= int(latest.timestamp()))
                .group_by(Round.cell_id)
            ).all()
        )
    first_tz = posts[0][7] if posts else "UTC"
    reference = moments.get(first_tz) or parse_moment(at, ZoneInfo(first_tz))
    reference = reference.astimezone(ZoneInfo(first_tz))
    by_cell: dict[int, list[tuple[int, str | None, str | None]]] = {}
    for c, a, w, n in logs:
        by_cell.setdefault(int(c), []).append((a, w, n))
    # every cell of one time zone evaluated at once by the schedule rules
    status_of: dict[int, tuple] = {}
    for tz_name, moment in moments.items():
        members = [int(p[0]) for p in posts if p[7] == tz_name]
        t = moment.timestamp()
        log_cell = [k for k, c in enumerate(members) for a, _, _ in by_cell.get(c, []) if a <= t]
        log_t = [a for c in members for a, _, _ in by_cell.get(c, []) if a <= t]
        now = cell_status(
            [sched.get(c) for c in members],
            np.asarray(log_cell, np.int64),
            np.asarray(log_t, dtype=float),
            t,
            ZoneInfo(tz_name),
        )
        for k, c in enumerate(members):
            status_of[c] = (now.status[k], now.extra_done[k], now.next_round[k])
    cells = []
    for cell_id, code, area_m2, wkb, role, slug, name, tz_name in posts:
        tz = ZoneInfo(tz_name)
        t = moments[tz_name].timestamp()
        own = [x for x in by_cell.get(int(cell_id), []) if x[0] <= t]
        rhythm = sched.get(cell_id)
        status, extra_done, next_round = status_of[int(cell_id)]
        day = moments[tz_name].astimezone(tz).date()
        d0, d1 = day_bounds(day, tz)
        last = last_ever.get(cell_id)
        cells.append(
            {
                "area": slug,
                "area_name": name,
                "timezone": tz_name,
                "code": code,
                "role": role,
                "area_m2": round(float(area_m2), 1),
                "geometry": json.loads(shapely.to_geojson(shapely.from_wkb(wkb))),
                "schedule": None
                if rhythm is None
                else {"times": list(rhythm.times), "extra": rhythm.extra},
                "status": str(status),
                "rounds": []
                if rhythm is None
                else _fixed_rounds(rhythm, [a for a, _, _ in own], t, day, tz),
                "extra": {
                    "done": int(extra_done),
                    "expected": 0 if rhythm is None else rhythm.extra,
                },
                "logged": [
                    {"at": _iso(a, tz), "warden": w, "note": n} for a, w, n in own if d0 <= a < d1
                ],
                "last_round": None if last is None else _iso(last, tz),
                "next_round": None if np.isnan(next_round) else _iso(next_round, tz),
            }
        )
    return {"warden": warden_name, "at": reference.isoformat(), "cells": cells}


def _fixed_rounds(
    rhythm: Rhythm, log_t: list[float], at: float, day, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Each of the day's fixed rounds with its window and status, by the rules of `gridmgr.rules.schedule`.

    `cell_status` gives counts per cell; a warden's page needs to know which round each log settled,
    so the same matching (on time in opening order, duplicates spent, late makes up the earliest
    closed round) is followed here for the few cells of one warden.
    """
    win = np.concatenate([windows(rhythm, day + timedelta(days=k), tz) for k in (-1, 0, 1)])
    d0, d1 = day_bounds(day, tz)
    win = win[(win[:, 2] >= d0) & (win[:, 1] < d1)]
    logs = sorted(x for x in log_t if x <= at and x >= min(win[:, 1].min(), d0))
    used = [False] * len(logs)
    done = [False] * len(win)
    late = [False] * len(win)
    for w in np.argsort(win[:, 1], kind="stable"):
        for j, x in enumerate(logs):
            if not used[j] and win[w, 1] <= x <= win[w, 2]:
                done[w] = used[j] = True
                break
    for w in range(len(win)):
        for j, x in enumerate(logs):
            if not used[j] and win[w, 1] <= x <= win[w, 2] and done[w]:
                used[j] = True
    for w in np.argsort(win[:, 2], kind="stable"):
        if done[w]:
            continue
        for j, x in enumerate(logs):
            if not used[j] and x > win[w, 2]:
                late[w] = used[j] = True
                break
    out = []
    for w in np.argsort(win[:, 0], kind="stable"):
        sched_at, opens, closes = win[w]
        if not d0 <= sched_at < d1:
            continue
        if done[w]:
            status = "done"
        elif late[w]:
            status = "late"
        elif closes < at:
            status = "overdue"
        elif opens <= at:
            status = "due"
        else:
            status = "upcoming"
        out.append(
            {
                "time": datetime.fromtimestamp(sched_at, tz).strftime("%H:%M"),
                "at": _iso(sched_at, tz),
                "window": {"opens": _iso(opens, tz), "closes": _iso(closes, tz)},
                "status": status,
            }
        )
    return out


def _iso(epoch: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(epoch), tz).isoformat()
