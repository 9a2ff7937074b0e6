"""Cells of a given size: a fixed lattice clipped to blocks of an area, with slivers merged, not dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import shapely
from pyproj import CRS
from shapely import GeometryType

from gridmgr.geometry.arrays import Bools, Floats, GeoArray, Ints
from gridmgr.geometry.lattice import Lattice, cell_polygons, pack, unpack
from gridmgr.geometry.lattice_sides import SidedParts, own_ground_together
from gridmgr.geometry.projection import WGS84, to_wgs84, transform_xy

TILE = 16  # cells per tile side when clipping the area down before clipping boundary cells


@dataclass(frozen=True)
class LatticeCells:
    """Cells in WGS84 with their metric areas, lattice indices (for codes) and block numbers."""

    geometry: GeoArray
    area_m2: Floats
    i: Ints
    j: Ints
    tiebreak: Floats  # orders several cells that share one lattice index (west to east)
    block: Ints
    whole: Bools  # True where the cell is a full lattice cell, untouched by any boundary
    perimeter_m: Floats


def lattice_cells(
    blocks: GeoArray,
    lattice: Lattice,
    *,
    min_fraction: float,
    crs: CRS,
    lines: GeoArray | None = None,
    own: GeoArray | None = None,
    faced: GeoArray | None = None,
) -> LatticeCells:
    """Clip the lattice to the blocks (metric polygons that never share a cell) and merge slivers.

    Cells that the blocks' boundaries do not touch are kept whole and built straight in WGS84
    from the lattice corners; only boundary cells are intersected, each against the part of its
    block inside a small tile rather than the whole block. A cell that `lines` (metric lines
    inside the blocks: dead ends, loops) cut into two or more parts of at least `min_fraction` of a
    cell is cut along them too (`split_along_lines`), and a smaller piece of a block's `own`
    ground (the block without the crumbs it took in across a line; default the block) that the
    lines (`faced` of them when given: those that bound a face, no dead ends) cut off in a cell
    goes to a neighbouring cell (`lattice_sides.own_ground_together`).
    """
    blocks = np.asarray(blocks, dtype=object)
    lines = np.zeros(0, object) if lines is None else np.asarray(lines, dtype=object)
    boundary_keys = _boundary_candidates(np.concatenate([shapely.boundary(blocks), lines]), lattice)
    inner_i, inner_j, inner_block = _inner_cells(blocks, lattice, boundary_keys)
    part_geom, part_i, part_j, part_block = _clip_boundary_cells(blocks, lattice, boundary_keys)
    part_area: Floats = shapely.area(part_geom)

    # again while it merges something: a sliver joined to a sliver can still be one (a 401 m²
    # triangle in 400 m² squares, each piece under half a cell, two of them still 199 m²)
    keep_inner = np.ones(len(inner_i), bool)
    pieces = len(part_geom) + len(inner_i)
    while True:
        still = np.flatnonzero(keep_inner)
        kept, part_geom, part_area, part_i, part_j, part_block = _merge_slivers(
            lattice,
            min_fraction,
            inner_i[still],
            inner_j[still],
            inner_block[still],
            part_geom,
            part_area,
            part_i,
            part_j,
            part_block,
        )
        keep_inner[still[~kept]] = False
        if len(part_geom) + int(keep_inner.sum()) == pieces:
            break
        pieces = len(part_geom) + int(keep_inner.sum())
    if len(lines):  # after merging: the cells as they are, cut where a line divides one
        part_geom, owner = split_along_lines(part_geom, lines, min_fraction * lattice.full_area)
        part_i, part_j, part_block = part_i[owner], part_j[owner], part_block[owner]
        part_area = shapely.area(part_geom)
    if len(lines):  # then each cell's own ground in one piece, crumbs aside
        sided = own_ground_together(
            lattice,
            min_fraction * lattice.full_area,
            blocks if own is None or len(own) == 0 else np.asarray(own, dtype=object),
            SidedParts(part_geom, part_i, part_j, part_block, keep_inner),
            lines if faced is None else np.asarray(faced, dtype=object),
            inner_i,
            inner_j,
            inner_block,
        )
        part_geom, part_i, part_j, part_block = sided.geometry, sided.i, sided.j, sided.block
        keep_inner = sided.keep_inner
        part_area = shapely.area(part_geom)

    inner_i, inner_j, inner_block = (
        inner_i[keep_inner],
        inner_j[keep_inner],
        inner_block[keep_inner],
    )
    whole = _whole_cells_wgs84(lattice, inner_i, inner_j, crs)
    clipped = to_wgs84(part_geom, crs) if len(part_geom) else part_geom
    tiebreak = np.concatenate(
        [np.zeros(len(inner_i)), shapely.bounds(part_geom)[:, 0] if len(part_geom) else np.zeros(0)]
    )
    return LatticeCells(
        geometry=np.concatenate([whole, clipped]),
        area_m2=np.concatenate([np.full(len(inner_i), lattice.full_area), part_area]),
        i=np.concatenate([inner_i, part_i]),
        j=np.concatenate([inner_j, part_j]),
        tiebreak=tiebreak,
        block=np.concatenate([inner_block, part_block]),
        whole=np.concatenate([np.ones(len(inner_i), bool), np.zeros(len(part_geom), bool)]),
        perimeter_m=np.concatenate(
            [np.full(len(inner_i), lattice.full_perimeter), shapely.length(part_geom)]
        ),
    )


def _boundary_candidates(outlines: GeoArray, lattice: Lattice) -> Ints:
    """Sorted keys of every cell the lines (block boundaries) may pass through (a superset, never
    missing one)."""
    lines = shapely.segmentize(outlines, lattice.reach)
    xy, line_of = shapely.get_coordinates(lines, return_index=True)
    if lattice.shape == "square":
        # a segment no longer than a cell passes only through cells of its bounding box (2 x 2 at most)
        same = line_of[1:] == line_of[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        i0, j0 = lattice.cell_of(np.minimum(a[:, 0], b[:, 0]), np.minimum(a[:, 1], b[:, 1]))
        i1, j1 = lattice.cell_of(np.maximum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1]))
        keys = [
            pack(i0 + di, j0 + dj)[(i0 + di <= i1) & (j0 + dj <= j1)]
            for di in (0, 1)
            for dj in (0, 1)
        ]
        return np.unique(np.concatenate(keys))
    # each point of a boundary lies within `reach` of a vertex, so within the vertex's cell or a neighbour
    ci, cj = lattice.cell_of(xy[:, 0], xy[:, 1])
    ui, uj = unpack(np.unique(pack(ci, cj)))
    ni, nj = lattice.neighbours(ui, uj, with_self=True)
    return np.unique(pack(ni.ravel(), nj.ravel()))


def _inner_cells(
    blocks: GeoArray, lattice: Lattice, boundary_keys: Ints
) -> tuple[Ints, Ints, Ints]:
    """Cells whose centre lies inside a block and which no boundary touches, by scanning rows."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(blocks)
    _, _, j0, j1 = lattice.index_range(xmin, ymin, xmax, ymax)
    rows = np.arange(j0, j1 + 1, dtype=np.int64)
    _, cy = lattice.centres(np.zeros_like(rows), rows)
    pad = 2.0 * lattice.size
    ends = np.stack(
        [
            np.column_stack([np.full(len(rows), xmin - pad), cy]),
            np.column_stack([np.full(len(rows), xmax + pad), cy]),
        ],
        axis=1,
    )
    # one line per row (the stubs cannot tell from the coordinates' shape that this is an array)
    scan = cast(GeoArray, shapely.linestrings(ends))
    tree = shapely.STRtree(blocks)
    row_idx, block_idx = tree.query(scan, predicate="intersects")
    hits = shapely.intersection(scan[row_idx], blocks[block_idx])
    parts, owner = shapely.get_parts(hits, return_index=True)
    is_line = shapely.get_type_id(parts) == GeometryType.LINESTRING
    parts, owner = parts[is_line], owner[is_line]
    bx = shapely.bounds(parts)
    rj = rows[row_idx[owner]]
    rb = block_idx[owner]
    shift = 0.5 * (rj & 1) if lattice.shape == "hex" else 0.5
    step = lattice.size if lattice.shape == "square" else np.sqrt(3.0) * lattice.side
    # cells whose centre x lies within [x0, x1] on this row
    first = np.ceil(bx[:, 0] / step - shift).astype(np.int64)
    last = np.floor(bx[:, 2] / step - shift).astype(np.int64)
    n = np.maximum(last - first + 1, 0)
    total = int(n.sum())
    seg = np.repeat(np.arange(len(n)), n)
    offsets = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    ci = first[seg] + offsets
    cj = rj[seg]
    cb = rb[seg]
    keys = pack(ci, cj)
    inner = ~_isin_sorted(keys, boundary_keys)
    return ci[inner], cj[inner], cb[inner]


def split_along_lines(parts: GeoArray, lines: GeoArray, min_area: float) -> tuple[GeoArray, Ints]:
    """Parts cut along the lines where those cut one into two or more pieces of at least
    `min_area`; smaller pieces stay with the big piece beside them. Returns the parts and, for
    each, the index of the part it came from."""
    owner = np.arange(len(parts))
    if len(parts) == 0 or len(lines) == 0:
        return parts, owner
    tree = shapely.STRtree(lines)
    hit, line = tree.query(parts, predicate="intersects")
    if len(hit) == 0:
        return parts, owner
    out: list[GeoArray] = []
    came_from: list[Ints] = []
    split = np.zeros(len(parts), bool)
    for k in np.unique(hit):  # the few parts a line inside a block crosses
        pieces = _cut(parts[k], lines[line[hit == k]], min_area)
        if len(pieces) > 1:
            split[k] = True
            out.append(pieces)
            came_from.append(np.full(len(pieces), k))
    if not split.any():
        return parts, owner
    return (
        np.concatenate([parts[~split], *out]),
        np.concatenate([owner[~split], *came_from]),
    )


def _cut(part: shapely.Geometry, lines: GeoArray, min_area: float) -> GeoArray:
    """The part cut along lines into its pieces of at least `min_area`, each with the smaller
    pieces beside it (one piece, the part itself, when fewer than two are that large)."""
    local = shapely.intersection(shapely.union_all(lines), part)
    network = shapely.union_all([shapely.boundary(part), local])
    faces = shapely.get_parts(shapely.polygonize([network]))
    faces = faces[shapely.contains_properly(part, shapely.point_on_surface(faces))]
    area = shapely.area(faces)
    big = area >= min_area
    if big.sum() < 2:
        return np.array([part], dtype=object)
    groups = faces[big].copy()
    left = faces[~big]
    while len(left):  # small pieces join the group beside them they share most edge with
        shared = shapely.length(
            shapely.intersection(shapely.boundary(left[:, None]), shapely.boundary(groups[None, :]))
        )
        touching = shared.max(axis=1) > 0
        if not touching.any():  # cut off from every group (a corner touch): the nearest one
            shared = -shapely.distance(left[:, None], groups[None, :])
            touching[:] = True
        best = shared.argmax(axis=1)
        for g in np.unique(best[touching]):
            groups[g] = shapely.union_all([groups[g], *left[touching & (best == g)]])
        left = left[~touching]
    return groups


def _isin_sorted(values: Ints, sorted_keys: Ints) -> Bools:
    if len(sorted_keys) == 0:
        return np.zeros(len(values), bool)
    pos = np.searchsorted(sorted_keys, values)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    found: Bools = sorted_keys[pos] == values
    return found


def _clip_boundary_cells(
    blocks: GeoArray, lattice: Lattice, keys: Ints
) -> tuple[GeoArray, Ints, Ints, Ints]:
    """Boundary cells intersected with their blocks, one row per connected part."""
    empty = np.zeros(0, np.int64)
    if len(keys) == 0:
        return np.zeros(0, object), empty, empty, empty
    ci, cj = unpack(keys)
    ti, tj = np.floor_divide(ci, TILE), np.floor_divide(cj, TILE)
    tkeys, tile_of = np.unique(pack(ti, tj), return_inverse=True)
    bxmin, bymin, bxmax, bymax = lattice.bounds(ci, cj)
    n_tiles = len(tkeys)
    tb = np.empty((n_tiles, 4))
    tb[:, 0] = np.full(n_tiles, np.inf)
    tb[:, 1] = np.full(n_tiles, np.inf)
    tb[:, 2] = np.full(n_tiles, -np.inf)
    tb[:, 3] = np.full(n_tiles, -np.inf)
    np.minimum.at(tb[:, 0], tile_of, bxmin)
    np.minimum.at(tb[:, 1], tile_of, bymin)
    np.maximum.at(tb[:, 2], tile_of, bxmax)
    np.maximum.at(tb[:, 3], tile_of, bymax)
    tiles = shapely.box(tb[:, 0], tb[:, 1], tb[:, 2], tb[:, 3])
    tree = shapely.STRtree(blocks)
    p_tile, p_block = tree.query(tiles, predicate="intersects")
    pieces = shapely.intersection(tiles[p_tile], blocks[p_block])
    order = np.argsort(p_tile, kind="stable")
    p_tile, p_block, pieces = p_tile[order], p_block[order], pieces[order]
    start = np.searchsorted(p_tile, tile_of, side="left")
    stop = np.searchsorted(p_tile, tile_of, side="right")
    n = stop - start
    cell_idx = np.repeat(np.arange(len(ci)), n)
    piece_idx = np.repeat(start, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    cells = cell_polygons(lattice, ci, cj)
    clipped = shapely.intersection(cells[cell_idx], pieces[piece_idx])
    parts, owner = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == GeometryType.POLYGON) & (shapely.area(parts) > 0.0)
    parts, owner = parts[keep], owner[keep]
    return parts, ci[cell_idx[owner]], cj[cell_idx[owner]], p_block[piece_idx[owner]]


def _merge_slivers(
    lattice: Lattice,
    min_fraction: float,
    inner_i: Ints,
    inner_j: Ints,
    inner_block: Ints,
    part_geom: GeoArray,
    part_area: Floats,
    part_i: Ints,
    part_j: Ints,
    part_block: Ints,
) -> tuple[Bools, GeoArray, Floats, Ints, Ints, Ints]:
    """Merge every part under `min_fraction` of a cell into the neighbour it shares the longest edge with.

    Only boundary parts can be slivers, and they merge only within their own block. A sliver
    prefers a full-sized neighbour; failing that, a larger sliver (so chains end); a sliver that
    touches no cell of its block joins the nearest one. Returns the inner cells still whole and
    the boundary parts after merging.
    """
    n_inner = len(inner_i)
    keep_inner = np.ones(n_inner, bool)
    sliver = part_area < min_fraction * lattice.full_area
    if not sliver.any():
        return keep_inner, part_geom, part_area, part_i, part_j, part_block

    n_parts = len(part_geom)
    inner_keys = pack(inner_i, inner_j)
    inner_order = np.argsort(inner_keys)
    inner_sorted = inner_keys[inner_order]
    part_keys = pack(part_i, part_j)
    part_order = np.argsort(part_keys, kind="stable")
    part_sorted = part_keys[part_order]

    s_idx = np.flatnonzero(sliver)
    # candidate neighbours: edge-neighbouring lattice cells and the other parts of the same cell
    ni, nj = lattice.edge_neighbours(part_i[s_idx], part_j[s_idx])
    ni = np.concatenate([ni, part_i[s_idx, None]], axis=1)
    nj = np.concatenate([nj, part_j[s_idx, None]], axis=1)
    nkeys = pack(ni, nj)
    src = np.repeat(s_idx, nkeys.shape[1])
    flat = nkeys.ravel()

    # inner neighbours (ids n_parts + k)
    pos = np.minimum(np.searchsorted(inner_sorted, flat), max(len(inner_sorted) - 1, 0))
    hit = (inner_sorted[pos] == flat) if len(inner_sorted) else np.zeros(len(flat), bool)
    inner_src = src[hit]
    inner_tgt = inner_order[pos[hit]]
    same = inner_block[inner_tgt] == part_block[inner_src]
    inner_src, inner_tgt = inner_src[same], inner_tgt[same]

    # part neighbours (several parts can share one key)
    lo = np.searchsorted(part_sorted, flat, side="left")
    hi = np.searchsorted(part_sorted, flat, side="right")
    cnt = hi - lo
    psrc = np.repeat(src, cnt)
    ptgt = part_order[
        np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ]
    ok = (ptgt != psrc) & (part_block[ptgt] == part_block[psrc])
    psrc, ptgt = psrc[ok], ptgt[ok]

    inner_geom = cell_polygons(lattice, inner_i[inner_tgt], inner_j[inner_tgt])
    src_all = np.concatenate([inner_src, psrc])
    tgt_all = np.concatenate([inner_tgt + n_parts, ptgt])
    tgt_geom = np.concatenate([inner_geom, part_geom[ptgt]])
    shared = shapely.length(
        shapely.intersection(shapely.boundary(part_geom[src_all]), shapely.boundary(tgt_geom))
    )
    tgt_is_full = np.concatenate([np.ones(len(inner_src), bool), ~sliver[ptgt]])
    tgt_area = np.concatenate([np.full(len(inner_src), lattice.full_area), part_area[ptgt]])
    bigger = (tgt_area > part_area[src_all]) | (
        (tgt_area == part_area[src_all]) & (tgt_all > src_all)
    )
    eps = 1e-9 * lattice.size
    score = np.where(tgt_is_full, 1e30 + shared, np.where(bigger, shared, -np.inf))
    score[shared <= eps] = -np.inf

    # best target per sliver
    target = np.full(n_parts, -1, np.int64)
    if len(src_all):
        order = np.lexsort((score, src_all))
        last = np.r_[src_all[order][1:] != src_all[order][:-1], True]
        best = order[last]
        good = np.isfinite(score[best])
        target[src_all[best[good]]] = tgt_all[best[good]]

    # slivers touching nothing in their block join the nearest cell of the block
    lonely = s_idx[target[s_idx] < 0]
    if len(lonely):
        candidates = np.flatnonzero(~sliver)
        if len(candidates):
            for s in lonely:  # rare: islands and detached bits only
                same_block = candidates[part_block[candidates] == part_block[s]]
                if len(same_block) == 0:
                    continue
                # GEOS warns (divide by zero) on a degenerate bit; such a distance counts as far
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = shapely.distance(part_geom[s], part_geom[same_block])
                d = np.where(np.isfinite(d), d, np.inf)
                target[s] = same_block[int(np.argmin(d))]

    # follow chains (each step goes to a strictly larger part, so they end)
    root = np.arange(n_parts + n_inner)
    root[:n_parts] = np.where(target >= 0, target, np.arange(n_parts))
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    merged_into = root[:n_parts]
    moved = merged_into != np.arange(n_parts)
    if not moved.any():
        return keep_inner, part_geom, part_area, part_i, part_j, part_block

    groups = np.unique(merged_into[moved])
    new_geom, new_i, new_j, new_block = [], [], [], []
    for g in groups:
        members = part_geom[moved & (merged_into == g)]
        if g >= n_parts:
            k = g - n_parts
            base = cell_polygons(lattice, inner_i[k : k + 1], inner_j[k : k + 1])[0]
            keep_inner[k] = False
            gi, gj, gb = inner_i[k], inner_j[k], inner_block[k]
        else:
            base = part_geom[g]
            gi, gj, gb = part_i[g], part_j[g], part_block[g]
        new_geom.append(shapely.union_all(np.concatenate([[base], members])))
        new_i.append(gi)
        new_j.append(gj)
        new_block.append(gb)

    stay = ~moved & ~np.isin(np.arange(n_parts), groups)
    geom = np.concatenate([part_geom[stay], np.array(new_geom, dtype=object)])
    return (
        keep_inner,
        geom,
        shapely.area(geom),
        np.concatenate([part_i[stay], np.array(new_i, np.int64)]),
        np.concatenate([part_j[stay], np.array(new_j, np.int64)]),
        np.concatenate([part_block[stay], np.array(new_block, np.int64)]),
    )


def _whole_cells_wgs84(lattice: Lattice, i: Ints, j: Ints, crs: CRS) -> GeoArray:
    """Whole cells as WGS84 polygons, each lattice corner projected once and shared by its cells."""
    if len(i) == 0:
        return np.zeros(0, object)
    kx, ky = lattice.corner_keys(i, j)
    # number the corners in use through a dense grid over their key range: no sort needed
    x0, y0 = int(kx.min()), int(ky.min())
    nx = int(kx.max()) - x0 + 1
    flat = (ky - y0) * nx + (kx - x0)
    used = np.zeros(int(flat.max()) + 1, bool)
    used[flat.ravel()] = True
    ids = np.flatnonzero(used)
    rank = np.empty(len(used), np.int64)
    rank[ids] = np.arange(len(ids))
    mx, my = lattice.corner_xy(ids % nx + x0, ids // nx + y0)
    lonlat = np.column_stack(transform_xy(mx, my, crs, WGS84))
    k = kx.shape[1]
    idx = np.empty((len(i), k + 1), np.int64)
    idx[:, :k] = rank[flat]
    idx[:, k] = idx[:, 0]
    coords = lonlat[idx.ravel()]
    n = len(i)
    ring_offsets = np.arange(0, n * (k + 1) + 1, k + 1)
    poly_offsets = np.arange(n + 1)
    return shapely.from_ragged_array(GeometryType.POLYGON, coords, (ring_offsets, poly_offsets))
