"""The API's JSON: the services' typed results turned into the objects docs/api.md describes.

Plain functions of plain data (no Flask), so `gridmgr ... --json` prints exactly what the API answers.
Numbers are rounded here, not in the services: m² to 0.01 (0.1 for a cell or a warden's load), the
coverage ratio to 6 decimals; times are ISO 8601 on the area's clock.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely

from gridmgr.geometry.coverage import pieces_to_geojson
from gridmgr.services.areas import AreaInfo
from gridmgr.services.coverage import CoverageReport


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
                }
                for c in report.day.cells
            ],
        }
    return out
