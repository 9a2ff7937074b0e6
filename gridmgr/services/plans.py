"""Grid plans: gridding, re-gridding with staff carried over, importing drawn cells, restoring."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from gridmgr.db.models import (
    Area,
    Assignment,
    Cell,
    Finding,
    GridPlan,
    Schedule,
)
from gridmgr.db.queries import (
    SCHEDULE_COLUMNS,
    active_plan,
    get_area,
    plan_schedules,
    record_audit,
)
from gridmgr.db.store import (
    bulk_insert,
    insert_cells,
    load_cells,
    reading,
    transaction,
)
from gridmgr.db.tree import children_slugs
from gridmgr.errors import Conflict, InvalidInput, NotFound
from gridmgr.files.areas import Limits, features_from_geojson, read_features, read_line_features
from gridmgr.files.weights import read_weights, weight_source_name, weights_from_geojson
from gridmgr.geometry import regrid
from gridmgr.geometry.blocks import DEFAULT_SNAP_M
from gridmgr.geometry.coverage import gaps_and_overlaps
from gridmgr.geometry.gridding import cells_from_area, quality_of
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.geometry.shapes import FLAT_DEGREES, has_area, polygonal
from gridmgr.rules.naming import area_code_prefix
from gridmgr.services.areas import AreaInfo, area_info, check_grid_size

# figures of cutting along lines that the report keeps from gridding (the rest is measured again)
_LINE_FIGURES = (
    "blocks",
    "lines_not_dividing_m",
    "ends_joined",
    "ends_joined_m",
    "crumbs_joined",
    "lines_crossed_m",
    "lines_crossed",
)

# --- plans ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnGround:
    """How far drawn cells (an import) are from covering the area exactly: they are not fixed."""

    coverage_error: float  # the share of the area's land the cells miss or cover twice
    overlap_m2: float  # land two drawn cells both cover


@dataclass(frozen=True)
class GridReport:
    """A new plan, written or (dry run) only worked out: its cells and what happens to the staff."""

    dry_run: bool
    mode: str  # count | cell_size | import | restore
    cells: int
    previous_cells: int
    kept_codes: int  # cells that kept an old cell's code (barely changed)
    staffed_cells: int
    wardens_posted: int
    gained_staff: tuple[
        str, ...
    ]  # codes of new cells whose wardens include some the old cell had not
    lost_staff: tuple[str, ...]  # codes of new cells missing some of the old cell's wardens
    quality: dict[str, Any]  # the figures of `geometry.gridding.quality_of`
    gaps_and_overlaps: DrawnGround | None = None  # drawn cells only
    plan_version: int | None = None  # the plan written; None on a dry run


@dataclass(frozen=True)
class Preview:
    """A dry run with its cells: what a commit with the same options would write."""

    area: AreaInfo
    area_version: int  # the area's version it was worked out on: a commit expecting it checks it
    report: GridReport
    # the new cells as the commit writes them: code, area_m2, geometry, wardens (how many posts),
    # change (kept, new, gained, lost, changed)
    cells: gpd.GeoDataFrame


@dataclass
class CurrentPlan:
    info: AreaInfo
    area_id: int
    version: int
    next_seq: int
    prefix: str
    geometry: BaseGeometry
    cells: gpd.GeoDataFrame  # of the active plan (may be empty)
    posts: list[list[tuple[int, str]]]
    scheduled: np.ndarray
    schedules: dict[int, dict[str, Any]]  # by position in cells


def current_plan(engine: Engine, slug: str) -> CurrentPlan:
    with reading(engine) as s:
        area = get_area(s, slug)
        _check_leaf(s, area)
        check_grid_size(slug, float(area.area_m2), Limits.from_env())
        plan = active_plan(s, area.id)
        cells = load_cells(s, plan.id) if plan else load_cells(s, -1)
        ids = cells["id"].to_numpy()
        pos = {int(c): k for k, c in enumerate(ids)}
        posts: list[list[tuple[int, str]]] = [[] for _ in ids]
        schedules: dict[int, dict[str, Any]] = {}
        if plan:
            for cell_id, warden_id, role in s.execute(
                select(Assignment.cell_id, Assignment.warden_id, Assignment.role)
                .join(Cell, Cell.id == Assignment.cell_id)
                .where(Cell.plan_id == plan.id)
                .order_by(Assignment.id)
            ):
                posts[pos[cell_id]].append((warden_id, role))
            keys = [c.key for c in SCHEDULE_COLUMNS[1:]]  # carried over whole on a re-grid
            for cell_id, *values in s.execute(plan_schedules(plan.id)):
                schedules[pos[cell_id]] = dict(zip(keys, values, strict=True))
        scheduled = np.array([k in schedules for k in range(len(ids))], dtype=bool)
        prefix = area.code_prefix or area_code_prefix(area.name, area.slug, cells["code"].tolist())
        return CurrentPlan(
            area_info(s, area),
            area.id,
            area.version,
            area.next_seq,
            prefix,
            shapely.from_wkb(area.geometry),
            cells,
            posts,
            scheduled,
            schedules,
        )


def _check_leaf(s: Session, area: Area) -> None:
    """InvalidInput when the area holds child areas: only leaves hold cells."""
    names = children_slugs(s, area.id)
    if names:
        raise InvalidInput.of(
            "area {slug!r} holds child areas ({children}); an area holds cells or child areas, not "
            "both: grid it with --count N or --cell-size M to grid all its leaf areas at once, or "
            "grid a child",
            slug=area.slug,
            children=", ".join(names[:10]),
        )


def grid(
    engine: Engine,
    slug: str,
    *,
    count: int | None = None,
    cell_size: float | None = None,
    from_file: str | Path | None = None,
    cells_geojson: object | None = None,
    shape: str = "square",
    split_by: str | Path | None = None,
    crs: str = "wgs84",
    min_fraction: float = 0.35,
    snap: float = DEFAULT_SNAP_M,
    split_where: str | None = None,
    weight: str | Path | None = None,
    weight_geojson: object | None = None,
    weight_field: str | None = None,
    target_weight: float | None = None,
    dry_run: bool = False,
    expect_version: int | None = None,
    actor: str = "cli",
) -> GridReport:
    """Make a new active plan for an area, carrying every warden post and schedule over; one transaction.

    With `dry_run` nothing is written and the same report comes back. Two re-grids of one area
    at once: the second to commit gets a Conflict and writes nothing. `cells_geojson` takes drawn
    cells as parsed GeoJSON (an API request body) the way `from_file` takes a file.
    `weight` (a ``FILE[:FIELD]``) or `weight_geojson` with `weight_field` (parsed GeoJSON, an API
    body) give the workload to balance (`cells_from_area`'s ``weight``), `target_weight` the cells'
    count from it; `snap` and `split_where` shape cutting along `split_by`.

    `expect_version` (a preview's `area_version`) makes the call a Conflict, writing nothing, unless
    the area is still at that version.
    """
    report, _cur, _new = _grid(
        engine, slug, count=count, cell_size=cell_size, from_file=from_file,
        cells_geojson=cells_geojson, shape=shape, split_by=split_by, crs=crs,
        min_fraction=min_fraction, snap=snap, split_where=split_where, weight=weight,
        weight_geojson=weight_geojson, weight_field=weight_field, target_weight=target_weight,
        dry_run=dry_run, expect_version=expect_version, actor=actor,
    )  # fmt: skip
    return report


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
) -> Preview:
    """The dry run of `grid` with the same options, with the area (read once, in the same session as
    the plan) and the new cells a commit with them would write (with their weight when weighed);
    nothing is written.

    `check_unchanged` with the preview's `area_version`, or `grid(..., expect_version=)`, makes sure
    the commit writes what the preview showed.
    """
    report, cur, new = _grid(
        engine, slug, count=count, cell_size=cell_size, from_file=from_file, shape=shape,
        split_by=split_by, crs=crs, min_fraction=min_fraction, snap=snap, split_where=split_where,
        weight=weight, target_weight=target_weight, dry_run=True, actor="preview",
    )  # fmt: skip
    return Preview(cur.info, cur.version, report, _cells_with_changes(new))


def _grid(
    engine: Engine,
    slug: str,
    *,
    count: int | None = None,
    cell_size: float | None = None,
    from_file: str | Path | None = None,
    cells_geojson: object | None = None,
    shape: str = "square",
    split_by: str | Path | None = None,
    crs: str = "wgs84",
    min_fraction: float = 0.35,
    snap: float = DEFAULT_SNAP_M,
    split_where: str | None = None,
    weight: str | Path | None = None,
    weight_geojson: object | None = None,
    weight_field: str | None = None,
    target_weight: float | None = None,
    dry_run: bool = False,
    expect_version: int | None = None,
    actor: str = "cli",
) -> tuple[GridReport, CurrentPlan, NewPlan]:
    """The new cells of any mode, numbered and staffed, and the report (written unless a dry run)."""
    limits = Limits.from_env()
    params: dict[str, Any]
    cur = current_plan(engine, slug)
    if expect_version is not None:
        _check_version(slug, cur.version, expect_version)
    if cells_geojson is not None:
        drawn = features_from_geojson(cells_geojson, crs=crs)
        cells = _clipped_cells(drawn, "request body", cur.geometry)
        mode, params = "import", {"file": None}
    elif from_file is not None:
        cells = _imported_cells(from_file, cur.geometry, crs, limits)
        mode, params = "import", {"file": str(from_file)}
    else:
        lines = (
            read_line_features(split_by, crs=crs, limits=limits, where=split_where)
            if split_by
            else None
        )
        weights = (
            weights_from_geojson(weight_geojson, field=weight_field, crs=crs, source="weight")
            if weight_geojson is not None
            else read_weights(weight, crs=crs, limits=limits)
            if weight
            else None
        )
        cells = cells_from_area(
            cur.geometry, count=count, cell_size=cell_size, shape=shape, split_by=lines,
            snap=snap, min_fraction=min_fraction, weight=weights, target_weight=target_weight,
            max_cells=limits.max_cells,
        )  # fmt: skip
        mode = "cell_size" if cell_size is not None else "count"
        params = {
            "count": count,
            "cell_size": cell_size,
            "shape": shape,
            "split_by": str(split_by) if split_by else None,
        }
        if split_by:
            params.update(snap=snap, split_where=split_where, min_fraction=min_fraction)
        if weight or weight_geojson is not None:
            name = weight_source_name(weight) if weight else f"request body:{weight_field or ''}"
            params.update(weight=name, target_weight=target_weight)
    new = new_plan(cur, cells)
    report = _commit_plan(engine, cur, new, mode, params, dry_run=dry_run, actor=actor)
    return report, cur, new


def check_unchanged(engine: Engine, slug: str, version: int) -> None:
    """Conflict when the area was re-gridded (or a plan restored) since its `version`, e.g. a preview's."""
    with reading(engine) as s:
        now = get_area(s, slug).version
    _check_version(slug, now, version)


def _check_version(slug: str, now: int, seen: int) -> None:
    if now != seen:
        raise Conflict.of(
            "the plan of {slug!r} changed since this preview (someone committed or restored one); "
            "nothing was written — look at the new plan and preview again",
            slug=slug,
        )


def _imported_cells(
    path: str | Path, area: shapely.Geometry, crs: str, limits: Limits
) -> gpd.GeoDataFrame:
    """Cells a planner drew in a file: clipped to the area, kept as drawn otherwise."""
    return _clipped_cells(read_features(path, crs=crs, limits=limits), str(path), area)


def _clipped_cells(
    drawn: gpd.GeoDataFrame, source: str, area: shapely.Geometry
) -> gpd.GeoDataFrame:
    """Drawn cells clipped to the area, kept as drawn otherwise (gaps and overlaps are reported)."""
    clipped = shapely.intersection(np.asarray(drawn.geometry.values), area)
    clipped = np.array([polygonal(g) for g in clipped], dtype=object)
    # a drawn cell that only touches the area, or overlaps it by less than a centimetre, is not in it
    keep = has_area(clipped, FLAT_DEGREES)
    if not keep.any():
        raise InvalidInput.of("{source}: none of the drawn cells overlaps the area", source=source)
    crs_m = metric_crs(area)
    out = gpd.GeoDataFrame(geometry=list(clipped[keep]), crs="EPSG:4326")
    out["area_m2"] = shapely.area(to_metric(np.asarray(out.geometry.values), crs_m))
    drawn_codes = drawn.get("code")
    out["code"] = list(drawn_codes[keep]) if drawn_codes is not None else [None] * int(keep.sum())
    return out


def restore_plan(engine: Engine, slug: str, version: int, *, actor: str = "cli") -> GridReport:
    """Make an earlier plan's cells (and codes) active again as a new version, current staff carried over."""
    cur = current_plan(engine, slug)
    with reading(engine) as s:
        plan = s.execute(
            select(GridPlan).where(
                GridPlan.area_id == cur.area_id,
                GridPlan.version == min(max(version, 0), 2**31 - 1),  # in PostgreSQL's integer
            )
        ).scalar_one_or_none()
        if plan is None:
            raise NotFound.of(
                "area {slug!r} has no plan version {version}", slug=slug, version=version
            )
        old = load_cells(s, plan.id)
    new = new_plan(cur, old[["code", "area_m2", "geometry"]], old["seq"].to_numpy())
    return _commit_plan(
        engine, cur, new, "restore", {"version": version}, dry_run=False, actor=actor
    )


@dataclass
class NewPlan:
    """New cells as a commit writes them, worked out once for both a dry run and the write."""

    cells: gpd.GeoDataFrame  # with their final codes
    seqs: np.ndarray  # each cell's number
    next_seq: int  # the area's first unused number once these cells are written
    metric: np.ndarray  # the cells in metres
    mig: regrid.Migration | None  # staff and schedules carried over (None: no plan before)


def new_plan(cur: CurrentPlan, cells: gpd.GeoDataFrame, seqs: np.ndarray | None = None) -> NewPlan:
    """Migrate staff onto the cells and number them: kept codes where barely changed, else unused numbers."""
    crs_m = metric_crs(cur.geometry)
    new_m = to_metric(np.asarray(cells.geometry.values), crs_m)
    old_m = (
        to_metric(np.asarray(cur.cells.geometry.values), crs_m)
        if len(cur.cells)
        else np.zeros(0, object)
    )
    mig = (
        regrid.migrate(old_m, list(cur.cells["code"]), cur.posts, cur.scheduled, new_m)
        if len(old_m)
        else None
    )
    cells = cells.reset_index(drop=True).copy()
    next_seq = cur.next_seq
    if seqs is None:  # given seqs (a restore) come with their codes
        kept = mig.kept_code if mig else [None] * len(cells)
        fresh = [k for k, c in enumerate(kept) if c is None]
        width = max(3, len(str(next_seq + len(fresh))))
        codes = list(kept)
        seqs = np.zeros(len(cells), np.int64)
        old_seq = (
            dict(zip(cur.cells["code"], cur.cells["seq"], strict=True)) if len(cur.cells) else {}
        )
        for k, c in enumerate(kept):
            if c is not None:
                seqs[k] = old_seq[c]
        for n, k in enumerate(fresh):
            seqs[k] = next_seq + n
            codes[k] = f"{cur.prefix}{next_seq + n:0{width}d}"
        next_seq += len(fresh)
        cells["code"] = codes
    return NewPlan(cells, seqs, next_seq, new_m, mig)


def _cells_with_changes(new: NewPlan) -> gpd.GeoDataFrame:
    """The new cells (code, area_m2, geometry) with their posts counted and what changes for each."""
    out = new.cells[["code", "area_m2", "geometry"]].copy()
    n, mig = len(out), new.mig
    out["wardens"] = np.bincount(
        np.asarray([k for k, _w, _r in mig.posts] if mig else [], np.int64), minlength=n
    )
    change = np.array(["new"] * n, dtype=object)
    if mig:
        change[[c is not None for c in mig.kept_code]] = "kept"
        change[mig.lost] = "lost"
        change[mig.gained] = "gained"
        change[sorted(set(mig.gained) & set(mig.lost))] = "changed"
    out["change"] = change
    if "weight" in new.cells:
        out["weight"] = new.cells["weight"].to_numpy()
    return out


def _commit_plan(
    engine: Engine,
    cur: CurrentPlan,
    new: NewPlan,
    mode: str,
    params: dict[str, Any],
    *,
    dry_run: bool,
    actor: str,
) -> GridReport:
    """The report on a new plan and, unless a dry run, the plan written as the area's active one."""
    report = plan_report(cur, new, mode, dry_run=dry_run)
    if dry_run:
        return report
    # worked out before the write lock is taken, in Python on both databases: the fast coverage union
    # takes under a second at 100k cells where PostGIS's ST_Union takes several
    ground = gaps_and_overlaps(cur.geometry, np.asarray(new.cells.geometry.values))
    with transaction(engine) as s:
        version = write_plan(s, cur, new, mode, params, ground, actor=actor)
    return replace(report, plan_version=version)


def plan_report(cur: CurrentPlan, new: NewPlan, mode: str, *, dry_run: bool) -> GridReport:
    """What a new plan is and does to the staff (no plan version: not written)."""
    cells, new_m, mig = new.cells, new.metric, new.mig
    quality = quality_of(cells, cur.geometry)
    made = cells.attrs.get("quality", {})
    quality.update({k: v for k, v in made.items() if k in _LINE_FIGURES})
    drawn = None
    if mode == "import":
        overlap = float(shapely.area(new_m).sum() - shapely.area(shapely.union_all(new_m)))
        drawn = DrawnGround(quality["coverage_error"], overlap)
    return GridReport(
        dry_run=dry_run,
        mode=mode,
        cells=len(cells),
        previous_cells=len(cur.cells),
        kept_codes=sum(c is not None for c in mig.kept_code) if mig else 0,
        staffed_cells=len({k for k, _, _ in mig.posts}) if mig else 0,
        wardens_posted=len({w for _, w, _ in mig.posts}) if mig else 0,
        gained_staff=tuple(str(cells["code"].iloc[k]) for k in mig.gained) if mig else (),
        lost_staff=tuple(str(cells["code"].iloc[k]) for k in mig.lost) if mig else (),
        quality=quality,
        gaps_and_overlaps=drawn,
    )


def write_plan(
    s: Session,
    cur: CurrentPlan,
    new: NewPlan,
    mode: str,
    params: dict[str, Any],
    ground: tuple[BaseGeometry, BaseGeometry],
    *,
    actor: str,
) -> int:
    """Write the new plan as the area's active one in the caller's transaction, posts, schedules and
    findings carried over; its version. `ground`: the cells' gaps and overlaps (WGS84). Conflict when
    the area changed since `cur` was read."""
    cells, seqs, next_seq, new_m, mig = new.cells, new.seqs, new.next_seq, new.metric, new.mig
    gaps, overlaps = ground
    bumped = s.execute(
        update(Area)
        .where(Area.id == cur.area_id, Area.version == cur.version)
        .values(version=Area.version + 1, next_seq=next_seq)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
    if bumped != 1:
        raise Conflict.of(
            "the area was re-gridded by someone else meanwhile; nothing was written — look at the new plan and try again"
        )
    s.execute(
        update(GridPlan)
        .where(GridPlan.area_id == cur.area_id, GridPlan.active)
        .values(active=False)
    )
    last = (
        s.execute(
            select(func.max(GridPlan.version)).where(GridPlan.area_id == cur.area_id)
        ).scalar()
        or 0
    )
    plan = GridPlan(
        area_id=cur.area_id,
        version=last + 1,
        active=True,
        mode=mode,
        params=json.dumps(params),
        created_by=actor,
    )
    s.add(plan)
    s.flush()
    ids = insert_cells(s, plan.id, cells, seqs)
    plan.gaps, plan.overlaps = shapely.to_wkb(gaps), shapely.to_wkb(overlaps)
    if mig:
        rows = [{"cell_id": int(ids[k]), "warden_id": w, "role": r} for k, w, r in mig.posts]
        if rows:
            bulk_insert(s, Assignment, rows)
        sch_rows = [
            {"cell_id": int(ids[k]), **cur.schedules[int(j)]}
            for k, j in enumerate(mig.schedule_from)
            if j >= 0
        ]
        if sch_rows:
            bulk_insert(s, Schedule, sch_rows)
    moved = _move_findings(s, cur, ids, new_m, mig) if mig else 0
    record_audit(
        s, actor, "plan.create", cur.area_id, version=plan.version, mode=mode,
        cells=len(cells), findings_moved=moved,
    )  # fmt: skip
    return int(plan.version)


def _move_findings(
    s: Session, cur: CurrentPlan, new_ids: np.ndarray, new_m: np.ndarray, mig: regrid.Migration
) -> int:
    """Move the area's findings with their ground onto the new plan's cells (their point's cell, else
    the one overlapping their old cell most), in the plan's transaction; codes as recorded stay."""
    old_ids = cur.cells["id"].to_numpy()
    position = {int(c): k for k, c in enumerate(old_ids)}
    rows = [
        r
        for r in s.execute(
            select(Finding.id, Finding.cell_id, Finding.lon, Finding.lat).where(
                Finding.area_id == cur.area_id, Finding.cell_id.is_not(None)
            )
        ).all()
        if int(r.cell_id) in position  # findings of the plan being replaced
    ]
    if not rows:
        return 0
    old_cell = np.array([position.get(int(r.cell_id), -1) for r in rows], np.int64)
    crs_m = metric_crs(cur.geometry)
    lon = np.array([np.nan if r.lon is None else r.lon for r in rows], float)
    lat = np.array([np.nan if r.lat is None else r.lat for r in rows], float)
    has = ~np.isnan(lon)
    points = np.full(len(rows), None, dtype=object)
    if has.any():
        points[has] = to_metric(shapely.points(lon[has], lat[has]), crs_m)
    target = regrid.finding_cells(old_cell, points, new_m, mig.main_new)
    moves = [
        {"fid": int(r.id), "cid": int(new_ids[k]) if k >= 0 else None}
        for r, k in zip(rows, target, strict=True)
    ]
    table = Finding.__table__
    assert isinstance(table, Table)
    s.execute(
        update(table).where(table.c.id == bindparam("fid")).values(cell_id=bindparam("cid")),
        moves,
    )
    return len(moves)
