"""Cells that hold their block's ground on one side of every line inside it: a cell may hold
pieces of the ground that meet only through a crumb taken in across a line (the strip between two
carriageways, with a hole's tip poking into it) or through a neck a line passing a hole's tip cuts;
the smaller pieces leave for the neighbouring cell they share ground with, never across a line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely

from gridmgr.geometry.arrays import Bools, GeoArray, Ints
from gridmgr.geometry.lattice import Lattice, cell_polygons, pack
from gridmgr.geometry.shapes import has_area

PIECE_M2 = 1e-4  # own ground smaller than this (or nowhere wider than PIECE_M) is a rounding hair
PIECE_M = 1e-3
JOIN_M = 1e-6  # a piece's corner this near a cell's edge is on it
SHARED_M = 1e-3  # a piece joins a neighbour only along an edge longer than this


@dataclass(frozen=True)
class SidedParts:
    """Clipped cells (metric) with their lattice indices and blocks, and the whole cells kept."""

    geometry: GeoArray
    i: Ints
    j: Ints
    block: Ints
    keep_inner: Bools  # False where a whole cell took in a piece and is now among the parts


@dataclass(frozen=True)
class _Moving:
    """A piece of a cell's own ground (with the crumbs beside it) that leaves its cell."""

    group: shapely.Geometry  # what moves: the piece and the crumb ground next to it
    piece: shapely.Geometry  # the own ground alone, which must meet its new cell's own ground
    origin: int  # the part it came from (it returns there when no neighbour takes it)


def own_ground_together(
    lattice: Lattice,
    min_area: float,
    own: GeoArray,
    parts: SidedParts,
    lines: GeoArray,
    inner_i: Ints,
    inner_j: Ints,
    inner_block: Ints,
) -> SidedParts:
    """Every clipped cell with its block's own ground in one piece, crumbs aside.

    A cell that a line inside the blocks runs through (a crumb's outline, a connector from a
    hole's tip to a line, a line from the boundary to a hole) is cut along the `lines` into faces;
    each face of the block's own ground (`own`: the block without the crumbs it took in) is a
    piece, with the crumb ground beside it. The largest piece stays; another as large as
    `min_area` becomes a cell of its own (same lattice index); a smaller one joins the
    neighbouring cell of the block (clipped, or whole from `inner_*`) whose own ground it shares
    the longest edge with, or stays when none does.
    """
    geometry = parts.geometry
    if len(geometry) == 0 or len(lines) == 0:
        return parts
    # only a cell a line runs through (not along its edge) can hold ground on both sides of it
    tree = shapely.STRtree(lines)
    hit, line = tree.query(geometry, predicate="intersects")
    through = shapely.relate_pattern(lines[line], geometry[hit], "T********")
    hit, line = hit[through], line[through]
    if len(hit) == 0:
        return parts
    # a line along the own ground's outline parts it from a crumb: the cell's own ground is then
    # in two pieces only if it is so without the crumb; any other line (a connector from a hole's
    # tip, a line from the boundary to a hole) through the own ground may part it from itself
    middle = shapely.line_interpolate_point(lines[line], 0.5, normalized=True)
    outline = shapely.dwithin(middle, shapely.boundary(own)[parts.block[hit]], JOIN_M)
    crumbed = np.unique(hit[outline])
    _, which = _own_pieces(geometry[crumbed], own[parts.block[crumbed]])
    twice = crumbed[np.bincount(which, minlength=len(crumbed)) > 1]
    inside = ~outline
    inside[inside] = shapely.contains(own[parts.block[hit[inside]]], middle[inside])
    wanted = np.isin(hit, np.union1d(twice, hit[inside]))
    hit, line = hit[wanted], line[wanted]
    if len(hit) == 0:
        return parts
    # each cell's lines in one geometry, clipped a metre around it (a road may be kilometres long)
    xmin, ymin, xmax, ymax = shapely.bounds(geometry[hit]).T
    around = shapely.box(xmin - 1.0, ymin - 1.0, xmax + 1.0, ymax + 1.0)
    pieces, pair = shapely.get_parts(shapely.intersection(lines[line], around), return_index=True)
    is_line = shapely.get_type_id(pieces) == 1
    split, slot = np.unique(hit[pair[is_line]], return_inverse=True)
    local = shapely.multilinestrings(pieces[is_line], indices=slot)

    geometry = geometry.copy()
    extra: list[shapely.Geometry] = []
    extra_of: list[int] = []
    moving: list[_Moving] = []
    for k, near in zip(split, local, strict=True):  # the cells a line runs through
        sides = _sides(geometry[k], near, own[parts.block[k]])
        if sides is None:
            continue
        groups, mine = sides
        big = shapely.area(mine[1:]) >= min_area
        for g in np.flatnonzero(big) + 1:
            extra.append(groups[g])
            extra_of.append(int(k))
        for g in np.flatnonzero(~big) + 1:
            moving.append(_Moving(groups[g], mine[g], int(k)))
        geometry[k] = groups[0]

    owner = np.concatenate([np.arange(len(geometry)), np.array(extra_of, np.int64)])
    geometry = np.concatenate([geometry, np.array(extra, dtype=object)])
    i, j, block = parts.i[owner], parts.j[owner], parts.block[owner]
    keep_inner = parts.keep_inner.copy()
    into_part, into_inner = _destinations(
        lattice, moving, geometry, block, own, inner_i, inner_j, inner_block, keep_inner
    )
    for p, groups in into_part.items():
        geometry[p] = _joined(geometry[p], groups)
    new = sorted(into_inner)
    if new:
        whole = cell_polygons(lattice, inner_i[new], inner_j[new])
        joined = [_joined(w, into_inner[k]) for w, k in zip(whole, new, strict=True)]
        keep_inner[new] = False
        geometry = np.concatenate([geometry, np.array(joined, dtype=object)])
        i = np.concatenate([i, inner_i[new]])
        j = np.concatenate([j, inner_j[new]])
        block = np.concatenate([block, inner_block[new]])
    return SidedParts(geometry, i, j, block, keep_inner)


def _joined(cell: shapely.Geometry, groups: list[shapely.Geometry]) -> shapely.Geometry:
    """A cell with the pieces that join it, their corners a hair apart made one first: the cell
    takes the pieces' corners on or near its edges, then the pieces take the cell's (a corner
    where a line meets the cell's edge lies a hair off that edge as the cell has it, and the
    union would keep them apart by that hair)."""
    pieces = shapely.union_all(groups)
    cell = shapely.snap(cell, pieces, JOIN_M)
    return shapely.union_all([cell, shapely.snap(pieces, cell, JOIN_M)])


def _own_pieces(cells: GeoArray, own: GeoArray) -> tuple[GeoArray, Ints]:
    """The pieces of own ground in each cell (no rounding hairs), with the cell each lies in."""
    pieces, which = shapely.get_parts(shapely.intersection(cells, own), return_index=True)
    real = (shapely.get_type_id(pieces) == 3) & (shapely.area(pieces) >= PIECE_M2)
    real[real] = has_area(pieces[real], PIECE_M)
    kept: GeoArray = pieces[real]
    return kept, which[real]


def _sides(
    cell: shapely.Geometry, lines: shapely.Geometry, own: shapely.Geometry
) -> tuple[list[shapely.Geometry], GeoArray] | None:
    """The cell cut along the lines into groups, one per piece of own ground (largest first),
    each with the crumb ground beside it, and those pieces; None when it holds one piece only.
    The cell's faces share their edges exactly, so the groups tile the cell without a hair."""
    outline = shapely.boundary(cell)
    # lines reaching past the cell, not clipped to it: a clipped end lies a hair off a slanted
    # edge and would not be noded onto it; they end on the blocks' corners, which welding may
    # have moved by a hair
    network = shapely.union_all([outline, shapely.snap(lines, outline, JOIN_M)])
    faces = shapely.get_parts(shapely.polygonize([network]))
    faces = faces[shapely.contains_properly(cell, shapely.point_on_surface(faces))]
    # each face of own ground is a piece: within the cell they meet only along lines
    owned = shapely.area(shapely.intersection(faces, own)) > 0.5 * shapely.area(faces)
    real = owned & (shapely.area(faces) >= PIECE_M2)
    real[real] = has_area(faces[real], PIECE_M)
    if real.sum() < 2:
        return None
    mine = faces[real]
    mine = mine[np.argsort(-shapely.area(mine))]
    groups = list(mine)
    left = faces[~real]
    while len(left):  # crumb ground joins the group it shares most outline with, in rings
        shared = shapely.length(
            shapely.intersection(
                shapely.boundary(left[:, None]),
                shapely.boundary(np.array(groups, dtype=object)[None, :]),
            )
        )
        touching = shared.max(axis=1) > 0
        if not touching.any():  # cut off from every group (a corner touch): the nearest one
            shared = -shapely.distance(left[:, None], np.array(groups, dtype=object)[None, :])
            touching[:] = True
        best = shared.argmax(axis=1)
        for g in np.unique(best[touching]):
            groups[g] = shapely.union_all([groups[g], *left[touching & (best == g)]])
        left = left[~touching]
    return groups, mine


def _destinations(
    lattice: Lattice,
    moving: list[_Moving],
    geometry: GeoArray,
    block: Ints,
    own: GeoArray,
    inner_i: Ints,
    inner_j: Ints,
    inner_block: Ints,
    keep_inner: Bools,
) -> tuple[dict[int, list[shapely.Geometry]], dict[int, list[shapely.Geometry]]]:
    """Where each moving piece goes: the clipped or whole cell of its block whose own ground it
    shares the longest edge with (its own cell again when none does)."""
    into_part: dict[int, list[shapely.Geometry]] = defaultdict(list)
    into_inner: dict[int, list[shapely.Geometry]] = defaultdict(list)
    tree = shapely.STRtree(geometry)
    inner_keys = pack(inner_i, inner_j)
    inner_order = np.argsort(inner_keys)
    inner_sorted = inner_keys[inner_order]
    for m in moving:  # rare: a few pieces in a whole area
        b = int(block[m.origin])
        near = tree.query(m.piece, predicate="dwithin", distance=JOIN_M)  # an ulp apart too
        near = near[(block[near] == b) & (near != m.origin)]
        ground = shapely.intersection(geometry[near], own[b])
        whole = _whole_cells_near(lattice, m.piece, inner_sorted, inner_order)
        whole = whole[(inner_block[whole] == b) & keep_inner[whole]]
        candidates = np.concatenate(
            [ground, cell_polygons(lattice, inner_i[whole], inner_j[whole])]
        )
        # edges on one lattice line are a hair apart where a line crosses it (the corner there is
        # computed): measure the piece's outline within a hair of each candidate's
        near_edges = shapely.buffer(shapely.boundary(candidates), JOIN_M, cap_style="flat")
        shared = shapely.length(shapely.intersection(shapely.boundary(m.piece), near_edges))
        if len(shared) == 0 or shared.max() <= SHARED_M:
            into_part[m.origin].append(m.group)
            continue
        best = int(shared.argmax())
        if best < len(near):
            into_part[int(near[best])].append(m.group)
        else:
            into_inner[int(whole[best - len(near)])].append(m.group)
    return into_part, into_inner


def _whole_cells_near(
    lattice: Lattice, piece: shapely.Geometry, inner_sorted: Ints, inner_order: Ints
) -> Ints:
    """The whole cells (indices into the inner cells) around a piece's bounding box."""
    if len(inner_sorted) == 0:
        return np.zeros(0, np.int64)
    i0, i1, j0, j1 = lattice.index_range(*shapely.bounds(piece))
    gi, gj = np.meshgrid(np.arange(i0, i1 + 1), np.arange(j0, j1 + 1))
    keys = pack(gi.ravel(), gj.ravel())
    pos = np.minimum(np.searchsorted(inner_sorted, keys), len(inner_sorted) - 1)
    found: Ints = inner_order[pos[inner_sorted[pos] == keys]]
    return found
