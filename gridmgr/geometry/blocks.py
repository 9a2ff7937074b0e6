"""An area cut along lines into blocks: the lines noded with their loose ends joined (`snapping`),
polygonised with the area's boundary, and the crumbs between them joined to a neighbour (`crumbs`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import GeoArray
from gridmgr.geometry.crumbs import join_crumbs
from gridmgr.geometry.noding import WELD_M, welded
from gridmgr.geometry.shapes import has_area
from gridmgr.geometry.snapping import joined_network

LINE_SNAP_M = 0.05  # lines closer than this (5 cm) are one line when splitting along them
MIN_CELL_M2 = 1.0  # no cell, and no block, is smaller than this
DEFAULT_SNAP_M = 1.0  # loose ends within this of a line are joined to it
_MAX_ROUNDS = 8  # rounds of joining crumbs (each at least halves the crumbs left in a cluster)


@dataclass(frozen=True)
class Blocks:
    """The blocks an area is cut into along lines, and what it took to get them."""

    blocks: GeoArray  # metric polygons, each gridded on its own
    idle_m: float  # metres of line inside the area that divide nothing (dead ends)
    ends_joined: int  # loose ends joined to a line within the snapping distance
    joined_m: float  # the total length of those joins
    crumbs_joined: int  # blocks too small for a cell that joined a neighbour across a line
    crossed_m: dict[str | None, float] = field(default_factory=dict)  # line name: metres crossed
    # lines inside a block (dead ends, loops, the outlines of crumbs it took in): they divide no
    # block but may still cut across a cell, which gridding by size then cuts along them too
    inner_lines: GeoArray = field(default_factory=lambda: np.zeros(0, object))
    # each block's own ground: the block without the crumbs it took in across a line (the block
    # itself where it took none); a cell may hold the crumbs' ground across the line, never its
    # own ground on both sides of one (`lattice_sides`). Empty: every block is its own ground.
    own: GeoArray = field(default_factory=lambda: np.zeros(0, object))
    # the inner lines that bound faces of the network (crumbs' outlines, connectors to a hole's tip,
    # lines from the boundary to a hole), without dead ends: the lines `lattice_sides` cuts along
    inner_faced: GeoArray = field(default_factory=lambda: np.zeros(0, object))


def blocks_from_lines(
    region: BaseGeometry,
    lines: GeoArray,
    names: Sequence[str | None] | None = None,
    *,
    snap: float = DEFAULT_SNAP_M,
    crumb_m2: float = MIN_CELL_M2,
) -> Blocks:
    """Cut a metric area along metric lines into blocks no line divides, crumbs joined.

    Parameters
    ----------
    region
        The area (metric Polygon or MultiPolygon).
    lines
        LineStrings (polygons count by their outlines), metric, anywhere near the area.
    names
        A name per line (None where it has none), for saying which lines crumbs crossed.
    snap
        Loose ends within this many metres of another line are joined to it first, so roads
        that stop short of a junction still divide the land.
    crumb_m2
        Blocks smaller than this (and any under MIN_CELL_M2, or nowhere wider than about twice
        LINE_SNAP_M: a line drawn along the boundary or along another line) join the
        neighbouring block across the shortest shared line (`crumbs.join_crumbs`).

    Returns
    -------
    Blocks
        The blocks (the whole region as one block when the lines cut nothing) and the figures.
    """
    lines = np.asarray(lines, dtype=object)
    is_poly = np.isin(shapely.get_type_id(lines), [3, 6])
    lines = np.where(is_poly, shapely.boundary(lines), lines)
    # clip to a margin around the area, not to the area itself: a line clipped exactly at the
    # boundary may end a hair short of it and then divide nothing
    xmin, ymin, xmax, ymax = region.bounds
    margin = 0.01 * max(xmax - xmin, ymax - ymin) + 1.0 + snap
    near = shapely.clip_by_rect(lines, xmin - margin, ymin - margin, xmax + margin, ymax + margin)
    keep = ~shapely.is_empty(near)
    near = near[keep]
    kept_names = [n for n, k in zip(names, keep, strict=True) if k] if names is not None else None
    boundary = shapely.boundary(region)
    joined = joined_network(near, boundary, snap=snap, grid=LINE_SNAP_M, region=region)
    polygons, cuts, dangles, _invalid = shapely.polygonize_full([joined.network])
    faces = shapely.get_parts(polygons)
    shapely.prepare(region)
    faces = faces[shapely.contains(region, shapely.point_on_surface(faces))]
    idle = float(shapely.length(shapely.intersection(shapely.union_all([dangles, cuts]), region)))
    if len(faces) == 0:
        whole = np.array([region], dtype=object)
        inner = _inside(shapely.get_parts(joined.network), whole)
        return Blocks(whole, idle, joined.ends_joined, joined.joined_m, 0, {}, inner)
    blocks, own, joins, crossed = _joined_crumbs(faces, crumb_m2, near, kept_names, 2.0 * snap)
    inner = _inside(shapely.get_parts(joined.network), blocks)
    return Blocks(
        blocks,
        idle,
        joined.ends_joined,
        joined.joined_m,
        joins,
        crossed,
        inner,
        own,
        _faced(inner, dangles),
    )


def _joined_crumbs(
    faces: GeoArray,
    crumb_m2: float,
    lines: GeoArray,
    names: Sequence[str | None] | None,
    min_edge: float,
) -> tuple[GeoArray, GeoArray, int, dict[str | None, float]]:
    """Crumbs joined in rounds until none is left that has a neighbour: a cluster of crumbs (a
    dense street grid, an interchange) that joined up into a block still under `crumb_m2` joins
    on in the next round. Returns the blocks, each block's own ground (the face it grew from),
    the crumbs joined and the metres crossed by name."""
    joins = 0
    crossed: dict[str | None, float] = {}
    own = faces.copy()
    for _ in range(_MAX_ROUNDS):
        areas = shapely.area(faces)
        crumb = (areas < max(crumb_m2, MIN_CELL_M2)) | ~has_area(faces, 2.0 * LINE_SNAP_M)
        merged = join_crumbs(faces, crumb, lines=lines, names=names, min_edge=min_edge)
        if merged.crumbs_joined == 0:
            break
        faces = merged.blocks
        own = own[merged.kept]
        joins += merged.crumbs_joined
        for name, metres in merged.crossed_m.items():
            crossed[name] = crossed.get(name, 0.0) + metres
    # welded together, so a block and its own ground share their vertices bit for bit
    both = welded(shapely.orient_polygons(np.concatenate([faces, own])), tolerance=WELD_M)
    return both[: len(faces)], both[len(faces) :], joins, crossed


def _inside(edges: GeoArray, blocks: GeoArray) -> GeoArray:
    """The edges that run inside a block (their middle in its interior, not on its outline)."""
    middle = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    hit, _ = shapely.STRtree(blocks).query(middle, predicate="within")
    inner: GeoArray = edges[np.unique(hit)]
    return inner


def _faced(edges: GeoArray, dangles: BaseGeometry) -> GeoArray:
    """The edges that are no dead end (their middle not on one of the network's dangles)."""
    if len(edges) == 0 or shapely.is_empty(dangles):
        return edges
    middle = shapely.line_interpolate_point(edges, 0.5, normalized=True)
    dead = shapely.dwithin(middle, dangles, 1e-9)
    faced: GeoArray = edges[~dead]
    return faced
