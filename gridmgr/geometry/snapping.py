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
    joined_m: float  # the connectors' total length in metres


def joined_network(
    lines: GeoArray, boundary: BaseGeometry, *, snap: float, grid: float
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
    if len(connectors) == 0:
        return JoinedNetwork(noded, 0, 0.0)
    # no precision grid here: it would move the area's boundary, and the blocks would then
    # overlap or leave gaps along it (connectors overshoot their target, so they node onto it)
    joined = shapely.union_all(np.concatenate([edges, connectors]))
    return JoinedNetwork(joined, len(connectors), float(shapely.length(connectors).sum()))


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
    xy = shapely.get_coordinates(short).reshape(-1, 2, 2)
    step = xy[:, 1] - xy[:, 0]
    reach = step * (1.0 + grid / np.linalg.norm(step, axis=1))[:, None]
    lines = shapely.linestrings(np.stack([xy[:, 0], xy[:, 0] + reach], axis=1))
    return np.asarray(lines, dtype=object)
