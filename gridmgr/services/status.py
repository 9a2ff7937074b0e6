"""The coverage report: ground, staffing and round status of an area's plan at any moment, and a day's summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import Engine, select

from gridmgr.coverage import ground_from, ground_of, pieces_to_geojson
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.models import Assignment, Cell, GridPlan, Round, Schedule, Warden
from gridmgr.schedule import Rhythm, cell_status
from gridmgr.services._common import get_area
from gridmgr.store import gaps_and_overlaps_in_db, is_postgres, load_cells, reading

WORST_SHOWN = 10


def parse_moment(text: str | datetime | None, tz: ZoneInfo) -> datetime:
    """An aware moment from ISO text (no offset: the area's local time), a datetime, or None for now."""
    if text is None:
        return datetime.now(UTC)
    if isinstance(text, datetime):
        moment = text
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(
                f"{text!r} is not an ISO time such as 2026-11-24T10:00 or 2026-11-24T10:00+08:00"
            ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _aware(value: datetime) -> datetime:
    return (
        value if value.tzinfo else value.replace(tzinfo=UTC)
    )  # SQLite hands back UTC without an offset


def coverage_report(
    engine: Engine,
    slug: str,
    *,
    at: str | datetime | None = None,
    day: date | None = None,
    with_cells: bool = False,
) -> dict[str, Any]:
    """Everything that leaves ground unmanaged at a moment (default now), as DESIGN.md's JSON.

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
        plan = _plan_at(s, area.id, None if at is None else moment, slug)
        cells = load_cells(s, plan.id)
        ids = cells["id"].to_numpy()
        pos = {int(c): k for k, c in enumerate(ids)}
        posts = s.execute(
            select(Assignment.cell_id, Warden.name, Assignment.role)
            .join(Warden, Warden.id == Assignment.warden_id)
            .join(Cell, Cell.id == Assignment.cell_id)
            .where(Cell.plan_id == plan.id)
        ).all()
        rhythms: list[Rhythm | None] = [None] * len(ids)
        for cell_id, times, extra, before, after in s.execute(
            select(
                Schedule.cell_id,
                Schedule.times,
                Schedule.extra,
                Schedule.window_before_min,
                Schedule.window_after_min,
            )
            .join(Cell, Cell.id == Schedule.cell_id)
            .where(Cell.plan_id == plan.id)
        ):
            rhythms[pos[cell_id]] = Rhythm(tuple(times.split(",")), extra, before, after)
        target_day = day or moment.astimezone(tz).date()
        since = datetime.combine(
            target_day - timedelta(days=2), datetime.min.time(), tz
        ).timestamp()
        rounds = s.execute(
            select(Round.cell_id, Round.at_s).where(
                Round.cell_id.in_(select(Cell.id).where(Cell.plan_id == plan.id)),
                Round.at_s >= int(since),
                Round.at_s <= int(moment.timestamp()),
            )
        ).all()
        geometry = shapely.from_wkb(area.geometry)
        in_db = gaps_and_overlaps_in_db(s, area.id, plan.id) if is_postgres(engine) else None

    ground = (
        ground_from(geometry, *in_db)
        if in_db
        else ground_of(geometry, np.asarray(cells.geometry.values))
    )
    log_cell = np.fromiter((pos[c] for c, _ in rounds), np.int64, len(rounds))
    log_t = np.fromiter((t for _, t in rounds), float, len(rounds))
    now = cell_status(rhythms, log_cell, log_t, moment.timestamp(), tz)
    codes = np.asarray(cells["code"], dtype=object)
    staffed = np.zeros(len(ids), bool)
    wardens_of: dict[int, list[tuple[str, str]]] = {}
    for cell_id, name, role in posts:
        staffed[pos[cell_id]] = True
        wardens_of.setdefault(pos[cell_id], []).append((name, role))

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
        "wardens": _warden_load(wardens_of, cells["area_m2"].to_numpy(), now),
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


def _plan_at(s, area_id: int, moment: datetime | None, slug: str) -> GridPlan:
    """The active plan now, or the newest plan created by a given moment."""
    plans = (
        s.execute(select(GridPlan).where(GridPlan.area_id == area_id).order_by(GridPlan.version))
        .scalars()
        .all()
    )
    if not plans:
        raise InvalidInput(
            f"area {slug!r} has no cells yet; grid it first (gridmgr grid {slug} --count N)"
        )
    if moment is None:
        return next(p for p in plans if p.active)
    earlier = [p for p in plans if _aware(p.created_at) <= moment]
    if not earlier:
        raise NotFound(
            f"area {slug!r} had no grid plan at {moment.isoformat()}; its first dates from {_aware(plans[0].created_at).isoformat()}"
        )
    return earlier[-1]


def _iso(epoch: float, tz: ZoneInfo) -> str | None:
    return None if np.isnan(epoch) else datetime.fromtimestamp(epoch, tz).isoformat()


def _warden_load(
    wardens_of: dict[int, list[tuple[str, str]]], area_m2: np.ndarray, now
) -> list[dict[str, Any]]:
    """Per warden: cells held, their m², rounds expected today and still to do."""
    load: dict[str, dict[str, Any]] = {}
    for k, people in wardens_of.items():
        left = max(int(now.expected[k] - now.done[k] - now.late[k] - now.extra_done[k]), 0)
        for name, _role in people:
            w = load.setdefault(
                name,
                {"warden": name, "cells": 0, "area_m2": 0.0, "rounds_today": 0, "rounds_left": 0},
            )
            w["cells"] += 1
            w["area_m2"] += float(area_m2[k])
            w["rounds_today"] += int(now.expected[k])
            w["rounds_left"] += left
    rows = sorted(load.values(), key=lambda w: (-w["rounds_left"], w["warden"]))
    for w in rows:
        w["area_m2"] = round(w["area_m2"], 1)
    return rows


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
