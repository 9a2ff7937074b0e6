"""The API's JSON: the services' typed results turned into the objects docs/api.md describes.

Plain functions of plain data (no Flask), so `gridmgr ... --json` prints exactly what the API answers.
Numbers are rounded here, not in the services: m² to 0.01 (0.1 for a cell or a warden's load), the
coverage ratio to 6 decimals; times are ISO 8601 on the area's clock.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np
import shapely

from gridmgr.geometry.coverage import pieces_to_geojson
from gridmgr.rules.schedule import Rhythm
from gridmgr.services.areas import AreaAdded, AreaInfo, AreaSummary, Leaders
from gridmgr.services.audit import AuditEntry
from gridmgr.services.coverage import CoverageReport
from gridmgr.services.leaf_grid import LeavesGridded
from gridmgr.services.mine import WardenCells
from gridmgr.services.plans import GridReport
from gridmgr.services.posts import CellWardens
from gridmgr.services.rounds import RoundRecord
from gridmgr.web.api.checkpoints_json import gaps_to_json


def area_summary_to_json(area: AreaSummary) -> dict[str, Any]:
    """One area of `GET /areas` (and `gridmgr area list --json`)."""
    return {
        "slug": area.slug,
        "name": area.name,
        "kind": area.kind,
        "area_m2": round(area.area_m2, 1),
        "plan_version": area.plan_version,
        "cells": area.cells,
        "parent": area.parent,
        **leaders_to_json(area.leaders),
    }


def leaders_to_json(people: Leaders | None) -> dict[str, Any]:
    """An area's leader and deputy with their phones (null when not set)."""
    people = people or Leaders()
    return {
        "leader": people.leader,
        "leader_phone": people.leader_phone,
        "deputy": people.deputy,
        "deputy_phone": people.deputy_phone,
    }


def area_added_to_json(made: AreaAdded) -> dict[str, Any]:
    """The answer to `POST /areas`: the new area's slug, name, kind, m² and notes on its outline."""
    return {
        "slug": made.slug,
        "name": made.name,
        "kind": made.kind,
        "area_m2": made.area_m2,
        "warnings": list(made.warnings),
        "parent": made.parent,
    }


def grid_report_to_json(report: GridReport) -> dict[str, Any]:
    """A new plan as `POST /areas/{slug}/grid` answers and `gridmgr grid --json` prints."""
    out: dict[str, Any] = {
        "dry_run": report.dry_run,
        "mode": report.mode,
        "cells": report.cells,
        "previous_cells": report.previous_cells,
        "kept_codes": report.kept_codes,
        "staffed_cells": report.staffed_cells,
        "wardens_posted": report.wardens_posted,
        "gained_staff": list(report.gained_staff),
        "lost_staff": list(report.lost_staff),
        "quality": report.quality,
    }
    if report.gaps_and_overlaps is not None:
        out["gaps_and_overlaps"] = {
            "coverage_error": report.gaps_and_overlaps.coverage_error,
            "overlap_m2": report.gaps_and_overlaps.overlap_m2,
        }
    if report.plan_version is not None:
        out["plan_version"] = report.plan_version
    return out


def leaves_gridded_to_json(r: LeavesGridded) -> dict[str, Any]:
    """An area's leaves gridded, as `POST /areas/{slug}/grid` on an area with children answers and
    `gridmgr grid PARENT --json` prints."""
    return {
        "area": r.area,
        "dry_run": r.dry_run,
        "mode": r.mode,
        "cells": r.cells,
        "leaves": [
            {
                "slug": x.slug,
                "name": x.name,
                "code": x.code,
                "area_m2": round(x.area_m2, 1),
                "share": None if x.share is None else round(x.share, 4),
                "cells": x.cells,
                "first_code": x.first_code,
                "last_code": x.last_code,
                "plan_version": x.plan_version,
            }
            for x in r.leaves
        ],
    }


def cell_wardens_to_json(done: CellWardens) -> dict[str, Any]:
    """The answer to `PUT /areas/{slug}/cells/{code}/wardens`: the cell's wardens now."""
    return {
        "area": done.area,
        "cell": done.cell,
        "wardens": [{"name": p.name, "role": p.role} for p in done.wardens],
    }


def round_to_json(made: RoundRecord) -> dict[str, Any]:
    """A logged round as `POST …/rounds` answers it (a retry with the same key: the same object)."""
    return {
        "id": made.id,
        "area": made.area,
        "cell": made.cell,
        "warden": made.warden,
        "at": made.at.isoformat(),
        "note": made.note,
        **round_evidence_to_json(made),
    }


def round_evidence_to_json(made: RoundRecord) -> dict[str, Any]:
    """A round's evidence: when the server received it, late or backfilled, where the phone was."""
    where = made.location
    return {
        "received_at": made.received_at.isoformat() if made.received_at else None,
        "late_entry": made.late_entry,
        "backfilled": made.backfilled,
        "location": (
            {"lon": where.lon, "lat": where.lat, "accuracy_m": where.accuracy_m} if where else None
        ),
        "in_cell": made.in_cell,
        "distance_m": made.distance_m,
    }


def audit_entry_to_json(e: AuditEntry) -> dict[str, Any]:
    """One event of `GET /audit`: its time in UTC, who, what, where, and the action's details."""
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "area": e.area,
        "details": e.details,
    }


def area_to_feature(area: AreaInfo) -> dict[str, Any]:
    """An area as `GET /areas/{slug}` answers it: a GeoJSON Feature with its outline and figures."""
    return {
        "type": "Feature",
        "id": area.slug,
        "geometry": json.loads(shapely.to_geojson(area.outline)),
        "properties": {
            "slug": area.slug,
            "name": area.name,
            "kind": area.kind,
            "code": area.code_prefix,
            "timezone": area.timezone,
            "area_m2": round(area.area_m2, 1),
            "plan_version": area.plan_version,
            "cells": area.cells,
            "parent": area.parent,
            **leaders_to_json(area.leaders),
        },
    }


def report_to_json(report: CoverageReport) -> dict[str, Any]:
    """The coverage report as `GET /areas/{slug}/coverage` answers it and `gridmgr coverage --json` prints."""
    ground = report.ground
    out: dict[str, Any] = {
        "area": report.area,
        "at": report.at.isoformat(),
        "timezone": report.timezone,
        "plan_version": report.plan_version,
        "area_m2": round(ground.area_m2, 2),
        "covered_m2": round(ground.covered_m2, 2),
        "coverage_ratio": round(ground.coverage_ratio, 6),
        "gaps": pieces_to_geojson(ground.gaps),
        "overlaps": pieces_to_geojson(ground.overlaps),
        "cells_total": report.cells_total,
        "unstaffed": list(report.unstaffed),
        "unscheduled": list(report.unscheduled),
        "due": list(report.due),
        "overdue": list(report.overdue),
        "ok": list(report.ok),
        "short_of_extra": list(report.short_of_extra),
        "wardens": [
            {
                "warden": w.warden,
                "cells": w.cells,
                "area_m2": float(np.round(w.area_m2, 1)),
                "rounds_today": w.rounds_today,
                "rounds_left": w.rounds_left,
            }
            for w in report.wardens
        ],
        "worst": [
            {"code": w.code, "status": w.status, "missed": w.missed, "extra_short": w.extra_short}
            for w in report.worst
        ],
        "checkpoints": gaps_to_json(report.checkpoints),
        # rounds as evidence: today's rounds, those without a position in the cell, late entries
        "rounds_today": report.evidence.rounds_today,
        "rounds_without_proof": report.evidence.rounds_without_proof,
        "late_entries": report.evidence.late_entries,
        "unproven": list(report.unproven()),
    }
    if report.day is not None:
        out["day"] = {
            "date": report.day.date.isoformat(),
            "cells": [
                {
                    "code": c.code,
                    "expected": c.expected,
                    "done": c.done,
                    "late": c.late,
                    "missed": c.missed,
                    "rounds": c.rounds,
                    "without_proof": c.without_proof,
                }
                for c in report.day.cells
            ],
        }
    return out


def warden_cells_to_json(mine: WardenCells) -> dict[str, Any]:
    """A warden's cells as `GET /me/cells` answers: each with its geometry, schedule, status, today's
    fixed rounds (time, at, window, status), extra rounds, today's logs, last and next round."""
    return {
        "warden": mine.warden,
        "at": mine.at.isoformat(),
        "cells": [
            {
                "area": c.area,
                "area_name": c.area_name,
                "timezone": c.timezone,
                "code": c.code,
                "role": c.role,
                "area_m2": round(c.area_m2, 1),
                "geometry": json.loads(shapely.to_geojson(c.geometry)),
                "schedule": None if c.schedule is None else _schedule(c.schedule),
                "status": c.status,
                "rounds": [
                    {
                        "time": f"{r.at:%H:%M}",
                        "at": r.at.isoformat(),
                        "window": {"opens": r.opens.isoformat(), "closes": r.closes.isoformat()},
                        "status": r.status,
                    }
                    for r in c.rounds
                ],
                "extra": {"done": c.extra.done, "expected": c.extra.expected},
                "logged": [
                    {
                        "at": g.at.isoformat(),
                        "warden": g.warden,
                        "note": g.note,
                        "late_entry": g.late_entry,
                        "in_cell": g.in_cell,
                    }
                    for g in c.logged
                ],
                "last_round": _iso(c.last_round),
                "next_round": _iso(c.next_round),
            }
            for c in mine.cells
        ],
    }


def _schedule(rhythm: Rhythm) -> dict[str, Any]:
    """A schedule as the API shows it: {times, extra}."""
    return {"times": list(rhythm.times), "extra": rhythm.extra}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
