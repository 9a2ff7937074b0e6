"""Joining the loose ends of a line network before it is polygonised: real road data stops a metre
short of the road it meets (junctions not noded), and such a road divides nothing until it is joined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints


@dataclass(frozen=True)
class JoinedNetwork:
    """A noded line network with its loose ends joined, and how much joining it took."""

    network: BaseGeometry  # a MultiLineString noded at every crossing, connectors included
    ends_joined: int  # dangling ends that were joined to a line within the tolerance
    joined_m: float  # the connectors' total length in metres (to ends and to vertices)
    # the area's boundary vertices (a hole's tip) joined to a line passing within the tolerance
    vertices_joined: int = 0


def joined_network(
    lines: GeoArray,
    boundary: BaseGeometry,
    *,
    snap: float,
    grid: float,
    region: BaseGeometry | None = None,
) -> JoinedNetwork:
    """The lines and the area's boundary noded into one network, each dangling end joined to the
    nearest line within `snap` metres.

    Parameters
    ----------
    lines
        Metric LineStrings (clipped near the area; outlines of polygons as lines).
    boundary
        The area's boundary (metric); an end that stops short of it is joined to it too.
    snap
        Ends within this distance of another line (or of its end) are joined to its nearest point
        by a short connector; 0 joins nothing. An end is never joined to its own edge or to the
        edges that meet it (an overshoot past a junction is left as a harmless stub).
    grid
        Coordinates are kept on this grid (metres) so lines drawn twice a hair apart become one.
    region
        The area itself (metric polygon), when given: each reflex vertex of its boundary (where
        the ground wraps around a corner, such as a hole's tip) that a line passes within `snap`
        metres of, through the area, is joined to that line, so the neck of ground between them
        is cut and the line divides there.

    Returns
    -------
    JoinedNetwork
        The network ready for polygonising, and the number and length of the connectors.
    """
    if len(lines) == 0:
        return JoinedNetwork(boundary, 0, 0.0)
    # lines drawn twice a hair apart would leave sliver blocks of no area: snap them together
    # (noded first, so lines that met still meet after snapping)
    snapped = shapely.set_precision(shapely.union_all(lines), grid)
    near = shapely.get_parts(shapely.snap(snapped, boundary, grid))
    noded = shapely.union_all(np.concatenate([[boundary], near]))
    if snap <= 0:
        return JoinedNetwork(noded, 0, 0.0)
    edges = shapely.get_parts(noded)
    connectors = _connectors(edges, snap=snap, grid=grid)
    tips = (
        _vertex_connectors(near, region, snap=snap, grid=grid)
        if region is not None
        else np.zeros(0, object)
    )
    if len(connectors) == 0 and len(tips) == 0:
        return JoinedNetwork(noded, 0, 0.0)
    # no precision grid here: it would move the area's boundary, and the blocks would then
    # overlap or leave gaps along it (connectors overshoot their target, so they node onto it)
    joined = shapely.union_all(np.concatenate([edges, connectors, tips]))
    joined_m = float(shapely.length(connectors).sum() + shapely.length(tips).sum())
    return JoinedNetwork(joined, len(connectors), joined_m, len(tips))


def reflex_vertices(region: BaseGeometry) -> Floats:
    """The vertices of a polygon's rings where its interior angle exceeds 180° (an (n, 2) array)."""
    rings = shapely.get_rings(shapely.get_parts(shapely.orient_polygons(region)))
    if len(rings) == 0:
        return np.zeros((0, 2))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    # a ring repeats its first vertex last: drop it, then each vertex's neighbours in its ring
    last = np.r_[ring[1:] != ring[:-1], True]
    xy, ring = xy[~last], ring[~last]
    counts = np.bincount(ring, minlength=len(rings))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(xy)) - starts[ring]
    n = counts[ring]
    before = xy[starts[ring] + (pos - 1) % n]
    after = xy[starts[ring] + (pos + 1) % n]
    # oriented, the interior lies left of every ring (shell counter-clockwise, holes clockwise):
    # a right turn is a reflex vertex
    a, b = xy - before, after - xy
    turn = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    reflex: Floats = xy[turn < 0]
    return reflex


def _vertex_connectors(
    lines: GeoArray, region: BaseGeometry, *, snap: float, grid: float
) -> GeoArray:
    """Short lines from each reflex vertex of the area to the nearest line within `snap` that
    passes it through the area (not touching it), overshooting that line by one grid step."""
    corners = reflex_vertices(region)
    if len(corners) == 0 or len(lines) == 0:
        return np.zeros(0, object)
    points = np.asarray(shapely.points(corners), dtype=object)
    k, other = shapely.STRtree(lines).query(points, predicate="dwithin", distance=snap)
    if len(k) == 0:
        return np.zeros(0, object)
    gap: Floats = shapely.distance(points[k], lines[other])
    order = np.lexsort((gap, k))
    k, other, gap = k[order], other[order], gap[order]
    best = np.r_[True, k[1:] != k[:-1]] & (gap > 0.0)
    k, other = k[best], other[best]
    short: GeoArray = shapely.shortest_line(points[k], lines[other])
    # only where the ground between the vertex and the line is the area's (not a hole, not outside)
    shapely.prepare(region)
    inside = shapely.contains(region, shapely.line_interpolate_point(short, 0.5, normalized=True))
    short = short[inside]
    if len(short) == 0:
        return np.zeros(0, object)
    return _overshoot(short, grid)


def _overshoot(short: GeoArray, grid: float) -> GeoArray:
    """Two-point lines lengthened at their far end by `grid`, so they cross what they reach."""
    xy = shapely.get_coordinates(short).reshape(-1, 2, 2)
    step = xy[:, 1] - xy[:, 0]
    reach = step * (1.0 + grid / np.linalg.norm(step, axis=1))[:, None]
    lines = shapely.linestrings(np.stack([xy[:, 0], xy[:, 0] + reach], axis=1))
    return np.asarray(lines, dtype=object)


def _connectors(edges: GeoArray, *, snap: float, grid: float) -> GeoArray:
    """Short lines from each dangling end to the nearest point of another edge within `snap`."""
    first = shapely.get_coordinates(shapely.get_point(edges, 0))
    last = shapely.get_coordinates(shapely.get_point(edges, -1))
    ends = np.concatenate([first, last])
    # nodes: edge ends on the same grid point are one node
    keys = np.round(ends / grid).astype(np.int64)
    _, node, degree = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    node = node.ravel()
    n = len(edges)
    start_node, end_node = node[:n], node[n:]
    dangling: Bools = degree[node] == 1
    closed = start_node == end_node  # a loop's one end is no dangle
    dangling &= ~np.concatenate([closed, closed])
    which = np.flatnonzero(dangling)
    if len(which) == 0:
        return np.zeros(0, object)
    own: Ints = which % n
    points = np.asarray(shapely.points(ends[which]), dtype=object)
    tree = shapely.STRtree(edges)
    k, other = tree.query(points, predicate="dwithin", distance=snap)
    # not the end's own edge, nor an edge meeting it at its other end
    mine = own[k]
    touching = (
        (other == mine)
        | (start_node[other] == start_node[mine])
        | (start_node[other] == end_node[mine])
        | (end_node[other] == start_node[mine])
        | (end_node[other] == end_node[mine])
    )
    k, other = k[~touching], other[~touching]
    if len(k) == 0:
        return np.zeros(0, object)
    gap: Floats = shapely.distance(points[k], edges[other])
    # the nearest edge for each end
    order = np.lexsort((gap, k))
    k, other, gap = k[order], other[order], gap[order]
    best = np.r_[True, k[1:] != k[:-1]]
    k, other, gap = k[best], other[best], gap[best]
    wide = gap > 0.0  # an end a hair off a line's middle still needs its connector
    short: GeoArray = shapely.shortest_line(points[k[wide]], edges[other[wide]])
    # overshoot the target edge by one grid step, so the connector crosses it and is noded onto it
    # however the nearest point rounds (the stub left beyond divides nothing)
    return _overshoot(short, grid)
