"""The roll-up as JSON (DESIGN.md, "Areas nest"): `{"area", "at", "total": ROW, "children": [ROW...]}`."""

from __future__ import annotations

from typing import Any

from gridmgr.services.rollup import Rollup, RollupRow

ROW_FIELDS = (
    "slug",
    "name",
    "cells",
    "wardens",
    "coverage_ratio",
    "unstaffed",
    "due",
    "overdue",
    "ok",
    "rounds_expected_today",
    "rounds_done_today",
    "findings_open",
    "findings_overdue",
    "rectification_rate",
)


def row_to_json(row: RollupRow) -> dict[str, Any]:
    """One ROW: exactly the contract's fields."""
    return {name: getattr(row, name) for name in ROW_FIELDS}


def rollup_to_json(r: Rollup) -> dict[str, Any]:
    """The roll-up as the API and `gridmgr rollup --json` give it."""
    return {
        "area": r.area,
        "at": r.at.isoformat(),
        "total": row_to_json(r.total),
        "children": [row_to_json(c) for c in r.children],
    }
