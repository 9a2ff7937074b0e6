"""Carrying staff, schedules and codes from an old plan's cells to a new plan's (pure geometry)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints

KEEP_CODE_IOU = 0.9


@dataclass
class Migration:
    """What a new plan inherits from the old one, cell by new cell (indices into the new cells)."""

    kept_code: list[str | None]  # the old code a near-identical new cell keeps, else None
    posts: list[tuple[int, int, str]]  # (new cell, warden id, role)
    schedule_from: Ints  # old cell whose schedule each new cell takes, -1 for none
    main_old: Ints  # old cell covering most of each new cell, -1 for none
    gained: list[int] = field(
        default_factory=list
    )  # new cells with wardens their main old cell lacked
    lost: list[int] = field(
        default_factory=list
    )  # new cells without wardens their main old cell had
    # new cell overlapping each old cell most, -1 for none (where an old cell's findings go)
    main_new: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def overlaps(old: GeoArray, new: GeoArray) -> pd.DataFrame:
    """Every (new, old) pair of metric cells that share area, with the shared m²."""
    new_i, old_j = shapely.STRtree(old).query(new, predicate="intersects")
    shared = shared_area(new[new_i], old[old_j])
    keep = shared > 0
    return pd.DataFrame({"new": new_i[keep], "old": old_j[keep], "shared": shared[keep]})


def shared_area(a: GeoArray, b: GeoArray) -> Floats:
    """Area shared by each pair; two axis-aligned rectangles (lattice cells) by arithmetic, others by overlay."""
    out = np.empty(len(a))
    both = _is_rectangle(a) & _is_rectangle(b)
    ba, bb = shapely.bounds(a[both]), shapely.bounds(b[both])
    w = np.minimum(ba[:, 2], bb[:, 2]) - np.maximum(ba[:, 0], bb[:, 0])
    h = np.minimum(ba[:, 3], bb[:, 3]) - np.maximum(ba[:, 1], bb[:, 1])
    out[both] = np.maximum(w, 0) * np.maximum(h, 0)
    out[~both] = shapely.area(shapely.intersection(a[~both], b[~both]))
    return out


def _is_rectangle(geoms: GeoArray) -> Bools:
    """Polygons that fill their bounding box (lattice squares), to within a hair."""
    b = shapely.bounds(geoms)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    simple: Bools = (shapely.get_num_coordinates(geoms) == 5) & (shapely.get_type_id(geoms) == 3)
    return simple & np.isclose(shapely.area(geoms), box_area, rtol=1e-9, atol=0)


def migrate(
    old: GeoArray,
    old_codes: list[str],
    old_posts: list[list[tuple[int, str]]],
    old_scheduled: Bools,
    new: GeoArray,
) -> Migration:
    """Move every post and schedule of the old cells onto the new ones.

    Each old cell's wardens go to the new cell that overlaps it most, so nobody loses a post;
    a new cell still unstaffed then takes the wardens of the staffed old cell that covers most
    of it, so no staffed ground goes unstaffed. Schedules follow the old cell that covers most
    of each new cell; a new cell with IoU >= 0.9 to an old one keeps its code.

    Parameters
    ----------
    old, new
        Cell polygons in one metric CRS.
    old_posts
        For each old cell, its (warden id, role) pairs.
    old_scheduled
        For each old cell, whether it has a schedule.
    """
    n_new = len(new)
    pairs = overlaps(old, new)
    main_old = np.full(n_new, -1, np.int64)
    kept_code: list[str | None] = [None] * n_new
    if len(pairs):
        best = pairs.loc[pairs.groupby("new")["shared"].idxmax()]
        main_old[best["new"].to_numpy()] = best["old"].to_numpy()
        union = shapely.area(new[best["new"].to_numpy()]) + shapely.area(
            old[best["old"].to_numpy()]
        )
        iou = best["shared"].to_numpy() / (union - best["shared"].to_numpy())
        for k, j in zip(
            best["new"].to_numpy()[iou >= KEEP_CODE_IOU],
            best["old"].to_numpy()[iou >= KEEP_CODE_IOU],
            strict=True,
        ):
            kept_code[int(k)] = old_codes[int(j)]

    posts: dict[int, dict[int, str]] = {}
    main_new = np.full(len(old), -1, np.int64)
    staffed_old = np.array([len(p) > 0 for p in old_posts], dtype=bool)
    if len(pairs):
        # every old post moves to the new cell that overlaps its old cell most
        to = pairs.loc[pairs.groupby("old")["shared"].idxmax()]
        main_new[to["old"].to_numpy()] = to["new"].to_numpy()
        for j, k in zip(to["old"].to_numpy(), to["new"].to_numpy(), strict=True):
            for warden, role in old_posts[int(j)]:
                posts.setdefault(int(k), {}).setdefault(warden, role)
        # unstaffed new cells take the staff of the staffed old cell covering most of them
        staffed = pairs[staffed_old[pairs["old"].to_numpy()]]
        if len(staffed):
            cover = staffed.loc[staffed.groupby("new")["shared"].idxmax()]
            for k, j in zip(cover["new"].to_numpy(), cover["old"].to_numpy(), strict=True):
                if int(k) not in posts:
                    posts[int(k)] = dict(old_posts[int(j)])

    schedule_from = np.where((main_old >= 0) & old_scheduled[np.maximum(main_old, 0)], main_old, -1)
    flat = [(k, w, r) for k, ws in sorted(posts.items()) for w, r in ws.items()]
    gained, lost = [], []
    for k in range(n_new):
        before = {w for w, _ in old_posts[main_old[k]]} if main_old[k] >= 0 else set()
        after = set(posts.get(k, {}))
        if after - before:
            gained.append(k)
        if before - after:
            lost.append(k)
    return Migration(kept_code, flat, schedule_from, main_old, gained, lost, main_new)


def finding_cells(
    old_cell: np.ndarray, points: np.ndarray, new: np.ndarray, main_new: np.ndarray
) -> np.ndarray:
    """The new cell each finding moves to: the one containing its point, else (no point, or a point
    outside every new cell) the new cell overlapping its old cell most; -1 where neither exists.

    Parameters
    ----------
    old_cell
        Each finding's old cell (index into the old cells), -1 for none.
    points
        Each finding's point in the metric CRS of `new`, or None.
    new
        The new cells (metric).
    main_new
        For each old cell, the new cell overlapping it most (`Migration.main_new`).
    """
    old_cell = np.asarray(old_cell, np.int64)
    out = np.where(old_cell >= 0, main_new[np.maximum(old_cell, 0)] if len(main_new) else -1, -1)
    has = np.array([p is not None for p in points], dtype=bool)
    if has.any() and len(new):
        where = np.flatnonzero(has)
        pt_i, cell_k = shapely.STRtree(new).query(points[where], predicate="intersects")
        first = np.unique(pt_i, return_index=True)[1]  # a point on a shared edge: one of its cells
        out[where[pt_i[first]]] = cell_k[first]
    return out.astype(np.int64)
