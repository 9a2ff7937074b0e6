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
from gridmgr.rules.schedule import NOT_EXPECTED, ROUND_STATES, cell_status, day_bounds

# the states of the rounds a warden is shown: a round not expected (before the schedule) is left out
ROUND_STATUSES = tuple(s for s in ROUND_STATES if s != ROUND_STATES[NOT_EXPECTED])


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
    status_of: dict[int, tuple[Any, ...]] = {}
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
            rows = now.rounds.of_cell(k)
            rows = rows[now.rounds.of_day[rows] & (now.rounds.state[rows] != NOT_EXPECTED)]
            fixed = [
                (now.rounds.at[r], now.rounds.opens[r], now.rounds.closes[r], now.rounds.state[r])
                for r in rows
            ]
            status_of[c] = (now.status[k], now.extra_done[k], now.next_round[k], fixed)
    cells = []
    for cell_id, code, area_m2, wkb, role, slug, name, tz_name in posts:
        tz = ZoneInfo(tz_name)
        t = moments[tz_name].timestamp()
        own = [x for x in by_cell.get(int(cell_id), []) if x[0] <= t]
        rhythm = sched.get(cell_id)
        status, extra_done, next_round, fixed = status_of[int(cell_id)]
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
                "rounds": [
                    {
                        "time": datetime.fromtimestamp(at_s, tz).strftime("%H:%M"),
                        "at": _iso(at_s, tz),
                        "window": {"opens": _iso(opens, tz), "closes": _iso(closes, tz)},
                        "status": ROUND_STATES[state],
                    }
                    for at_s, opens, closes, state in fixed
                ],
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


def _iso(epoch: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(epoch), tz).isoformat()
