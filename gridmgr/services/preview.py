"""A re-grid's dry run with its cells: the report `grid(dry_run=True)` gives, plus the new cells coded as
the commit will code them, so a planner sees on a map what would change before writing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from sqlalchemy import Engine

from gridmgr import regrid
from gridmgr.errors import Conflict
from gridmgr.geo import Limits, read_lines
from gridmgr.gridding import cells_from_area
from gridmgr.projection import metric_crs, to_metric
from gridmgr.services.plans import _commit_plan, _Current, _current, _imported_cells


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
) -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """The dry-run report of `grid` with the same options, and the new cells (code, area_m2, wardens,
    change: kept/gained/lost/changed/new) that a commit with them would write; nothing is written.

    The report's ``area_version`` is the area's version the preview was made on; `check_unchanged`
    with it before committing makes sure the commit writes what the preview showed.
    """
    limits = Limits.from_env()
    cur = _current(engine, slug)
    if from_file is not None:
        cells = _imported_cells(from_file, cur.geometry, crs, limits)
        mode, params = "import", {"file": str(from_file)}
    else:
        lines = read_lines(split_by, crs=crs, limits=limits) if split_by else None
        cells = cells_from_area(
            cur.geometry, count=count, cell_size=cell_size, shape=shape, split_by=lines,
            min_fraction=min_fraction, max_cells=limits.max_cells,
        )  # fmt: skip
        mode = "count" if count is not None else "cell_size"
        params = {"count": count, "cell_size": cell_size, "shape": shape}
    cells = cells[["area_m2", "geometry"]].reset_index(drop=True)
    mig = _migration(cur, cells)
    codes, seqs = _codes_as_committed(cur, mig, len(cells))
    cells.insert(0, "code", codes)
    report = _commit_plan(engine, cur, cells, seqs, mode, params, dry_run=True, actor="preview")
    report["area_version"] = cur.version
    staff = np.zeros(len(cells), np.int64)
    for k, _warden, _role in mig.posts if mig else []:
        staff[k] += 1
    cells["wardens"] = staff
    change = np.array(["new"] * len(cells), dtype=object)
    if mig:
        change[[c is not None for c in mig.kept_code]] = "kept"
        change[mig.lost] = "lost"
        change[mig.gained] = "gained"
        change[sorted(set(mig.gained) & set(mig.lost))] = "changed"
    cells["change"] = change
    return report, cells


def _migration(cur: _Current, cells: gpd.GeoDataFrame) -> regrid.Migration | None:
    if not len(cur.cells):
        return None
    crs_m = metric_crs(cur.geometry)
    return regrid.migrate(
        to_metric(np.asarray(cur.cells.geometry.values), crs_m),
        list(cur.cells["code"]),
        cur.posts,
        cur.scheduled,
        to_metric(np.asarray(cells.geometry.values), crs_m),
    )


def _codes_as_committed(
    cur: _Current, mig: regrid.Migration | None, n: int
) -> tuple[list[str], np.ndarray]:
    """Codes as a commit gives them: a barely changed cell keeps its code, others get unused numbers."""
    kept = mig.kept_code if mig else [None] * n
    fresh = [k for k, c in enumerate(kept) if c is None]
    width = max(3, len(str(cur.next_seq + len(fresh))))
    old_seq = dict(zip(cur.cells["code"], cur.cells["seq"], strict=True)) if len(cur.cells) else {}
    codes: list[str] = [c or "" for c in kept]
    seqs = np.zeros(n, np.int64)
    for k, c in enumerate(kept):
        if c is not None:
            seqs[k] = old_seq[c]
    for i, k in enumerate(fresh):
        seqs[k] = cur.next_seq + i
        codes[k] = f"{cur.prefix}{cur.next_seq + i:0{width}d}"
    return codes, seqs


def check_unchanged(engine: Engine, slug: str, version: int) -> None:
    """Conflict when the area was re-gridded since a preview made on its `version`."""
    if _current(engine, slug).version != version:
        raise Conflict(
            f"the plan of {slug!r} changed since this preview (someone committed or restored one); "
            "nothing was written — look at the new plan and preview again"
        )
