"""A re-grid's dry run with its cells: the report `grid(dry_run=True)` gives, plus the new cells coded as
the commit will code them, so a planner sees on a map what would change before writing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
from sqlalchemy import Engine

from gridmgr.geometry.blocks import DEFAULT_SNAP_M
from gridmgr.services.plans import check_unchanged, grid

__all__ = ["check_unchanged", "preview_grid"]


def preview_grid(
    engine: Engine,
    slug: str,
    *,
    count: int | None = None,
    cell_size: float | None = None,
    from_file: str | Path | None = None,
    shape: str = "square",
    split_by: str | Path | None = None,
    crs: str = "wgs84",
    min_fraction: float = 0.35,
    snap: float = DEFAULT_SNAP_M,
    split_where: str | None = None,
    weight: str | Path | None = None,
    target_weight: float | None = None,
) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """The dry-run report of `grid` with the same options, and the new cells (code, area_m2, wardens,
    change: kept/gained/lost/changed/new, and weight when weighed) that a commit with them would
    write; nothing is written.

    The report's ``area_version`` is the area's version the preview was made on; `check_unchanged`
    with it, or `grid(..., expect_version=)`, makes sure the commit writes what the preview showed.
    """
    return grid(
        engine, slug, count=count, cell_size=cell_size, from_file=from_file, shape=shape,
        split_by=split_by, crs=crs, min_fraction=min_fraction, snap=snap, split_where=split_where,
        weight=weight, target_weight=target_weight, dry_run=True, with_cells=True, actor="preview",
    )  # fmt: skip
