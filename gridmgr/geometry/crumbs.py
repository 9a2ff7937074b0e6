"""Crumbs of land between lines (the strip between two carriageways, a traffic island, an interchange
loop) joined to a neighbouring block across the shortest shared line, with the metres of line crossed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints
from gridmgr.geometry.shapes import flatten

# a shared edge counts as one to cross when it is at least this share of the crumb's outline (and
# at least `min_edge` long): a corner touching a block, or a connector's few centimetres, is no
# edge to join across, and a crumb hanging on it would be one piece only by a thread
EDGE_SHARE = 0.05


@dataclass(frozen=True)
class JoinedCrumbs:
    """Blocks with their crumbs joined, and which lines now run inside a block, for how long."""

    blocks: GeoArray
    crumbs_joined: int
    crossed_m: dict[str | None, float]  # metres of line crossed by line name (None: unnamed)
    # for each block, the index of the face it grew from (its own ground; the crumbs it took in
    # lie around that face, across a line)
    kept: Ints


def join_crumbs(
    faces: GeoArray,
    crumb: Bools,
    *,
    lines: GeoArray | None = None,
    names: Sequence[str | None] | None = None,
    min_edge: float = 0.0,
) -> JoinedCrumbs:
    """Join every crumb to the neighbouring block it shares the shortest real edge with.

    A crumb prefers a block that is no crumb itself; failing that, a larger crumb (so chains
    end, and a cluster of crumbs, an interchange, joins up into one block). Among those it
    crosses the shortest shared line that is a real edge (`EDGE_SHARE` of its outline and at
    least `min_edge` metres); with no such edge, the longest edge it has. A crumb touching no
    block (an island) stays as it is.

    Parameters
    ----------
    faces
        The blocks (metric polygons) the lines cut the area into.
    crumb
        Which blocks are crumbs (too small, or too thin, to be cells of their own).
    lines, names
        The lines the blocks were cut along (metric) and a name for each (None where it has
        none): what is crossed is told by the nearest line's name.
    min_edge
        The shortest shared edge (metres) a crumb is joined across while it has a longer one.

    Returns
    -------
    JoinedCrumbs
        The blocks left (each crumb inside the block it joined) and the lines crossed.
    """
    faces = np.asarray(faces, dtype=object)
    crumbs = np.flatnonzero(crumb)
    if len(crumbs) == 0 or len(faces) < 2:
        return JoinedCrumbs(faces, 0, {}, np.arange(len(faces)))
    tree = shapely.STRtree(faces)
    src, nb = tree.query(faces[crumbs], predicate="intersects")
    src = crumbs[src]
    keep = nb != src
    src, nb = src[keep], nb[keep]
    shared_lines = shapely.intersection(shapely.boundary(faces[src]), shapely.boundary(faces[nb]))
    shared = shapely.length(shared_lines)
    target = _targets(faces, crumb, src, nb, shared, min_edge)

    # follow chains to their root: each step goes to a non-crumb or a strictly larger crumb
    root = np.arange(len(faces))
    root[crumbs] = np.where(target[crumbs] >= 0, target[crumbs], crumbs)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    moved = root != np.arange(len(faces))
    if not moved.any():
        return JoinedCrumbs(faces, 0, {}, np.arange(len(faces)))
    # the shared lines actually crossed: each crumb's with the block it joined
    used = target[src] == nb
    crossed = _crossed_by_name(shared_lines[used], lines, names)
    out = faces.copy()
    for r in np.unique(root[moved]):
        out[r] = shapely.union_all(np.concatenate([[faces[r]], faces[moved & (root == r)]]))
    return JoinedCrumbs(out[~moved], int(moved.sum()), crossed, np.flatnonzero(~moved))


def _targets(
    faces: GeoArray, crumb: Bools, src: Ints, nb: Ints, shared: Floats, min_edge: float
) -> Ints:
    """The block each crumb joins (-1: none), from its neighbour pairs and their shared lengths."""
    area = shapely.area(faces)
    perimeter = shapely.length(faces)
    bigger = (area[nb] > area[src]) | ((area[nb] == area[src]) & (nb > src))
    allowed = (~crumb[nb] | bigger) & (shared > 0)
    real = allowed & (shared >= np.maximum(EDGE_SHARE * perimeter[src], min_edge))
    # rank: a real edge to a non-crumb, a real edge to a larger crumb, then any edge at all;
    # within a rank the shortest real edge, or the longest of the others
    rank = np.where(real & ~crumb[nb], 0, np.where(real, 1, np.where(~crumb[nb], 2, 3)))
    length_key = np.where(real, shared, -shared)
    target = np.full(len(faces), -1, np.int64)
    ok = np.flatnonzero(allowed)
    if len(ok) == 0:
        return target
    order = ok[np.lexsort((length_key[ok], rank[ok], src[ok]))]
    first = np.r_[True, src[order][1:] != src[order][:-1]]
    target[src[order[first]]] = nb[order[first]]
    return target


def _crossed_by_name(
    shared_lines: GeoArray, lines: GeoArray | None, names: Sequence[str | None] | None
) -> dict[str | None, float]:
    """Metres of the shared lines, summed by the name of the input line each piece lies on."""
    pieces = flatten(shared_lines)
    pieces = pieces[(shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)]
    if len(pieces) == 0:
        return {}
    length = shapely.length(pieces)
    if lines is None or names is None or len(lines) == 0:
        return {None: float(length.sum())}
    middle = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    piece, nearest = shapely.STRtree(lines).query_nearest(middle, all_matches=False)
    crossed: dict[str | None, float] = {}
    for name, metres in zip((names[k] for k in nearest), length[piece], strict=True):
        crossed[name] = crossed.get(name, 0.0) + float(metres)
    return crossed
