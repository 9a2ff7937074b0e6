"""Cells dissolved by status for a map tile at a low zoom, where a cell is only a few pixels: one
(multi)polygon per status in the tile's units, simplified to the tile's pixel, instead of one feature
per cell (what the coverage map draws of a big plan before it is zoomed in)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gridmgr.geometry.tiles import EXTENT, Tile, mercator_to_lonlat, shapes_in_tile

TILE_PX = 256  # a tile's size on the screen, in CSS pixels (Leaflet's default)
PIXEL = (
    EXTENT // TILE_PX
)  # tile units in one screen pixel: no outline moves further when simplified
CELL_MIN_PX = 4.0  # below this width on the screen cells are drawn dissolved by status
_AREA_RTOL = 1e-7  # how far a coverage union's area may stray from its cells' sum (float noise)


@dataclass(frozen=True)
class DissolvedTile:
    """A tile's cells dissolved by status: per status (sorted) its shape in the tile's units (valid,
    MVT ring order, None when nothing of it shows in the tile) and how many cells it holds."""

    statuses: tuple[str, ...]
    shapes: npt.NDArray[np.object_]
    counts: tuple[int, ...]


def metres_per_pixel(z: int, lat: float) -> float:
    """Ground metres in one screen pixel of a zoom-`z` tile at latitude `lat` (Web Mercator)."""
    west, _, east, _ = Tile(z, 0, 0).mercator_bounds()
    return (east - west) / TILE_PX * math.cos(math.radians(lat))


def cells_zoom(cell_m: float, lat: float) -> int:
    """The lowest zoom at which a cell `cell_m` metres wide is at least CELL_MIN_PX pixels on the
    screen at latitude `lat`: tiles below it carry cells dissolved by status, from it on single cells."""
    if cell_m <= 0:
        return 0
    ratio = CELL_MIN_PX * metres_per_pixel(0, lat) / cell_m
    return max(0, math.ceil(math.log2(ratio) - 1e-9)) if ratio > 1 else 0


def tile_latitude(tile: Tile) -> float:
    """The latitude of the tile's middle, in degrees."""
    west, south, east, north = tile.mercator_bounds()
    return mercator_to_lonlat((west + east) / 2, (south + north) / 2)[1]


def dissolve_in_tile(
    shapes: npt.NDArray[np.object_], status: npt.NDArray[np.object_], tile: Tile
) -> DissolvedTile:
    """WGS84 cells (`shapes`) merged per `status` into one shape each, moved into the tile's units,
    cut to it with its buffer and simplified to one pixel (see `shapes_in_tile` for the units).

    Cells that tile the ground without overlaps (a plan's cells) merge by their shared edges (a
    coverage union, fast); if a status's cells overlap or their edges do not match, the result is
    checked by its area and made again by a full union. Each status is simplified on its own, so
    where two meet their outlines may part or cross by up to a pixel."""
    keys = np.asarray(status, dtype=str)
    statuses, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    unions = np.empty(len(statuses), dtype=object)
    for k in range(len(statuses)):
        unions[k] = _union(shapes[inverse == k])
    moved = shapes_in_tile(unions, tile)
    return DissolvedTile(
        tuple(str(s) for s in statuses),
        _simplified(moved),
        tuple(int(n) for n in counts),
    )


def _union(cells: npt.NDArray[np.object_]) -> shapely.Geometry:
    """The union of `cells`: their coverage union when that is sound (valid, with the cells' area)."""
    cells = cells[~shapely.is_empty(cells)]
    try:
        merged = shapely.coverage_union_all(cells)
    except shapely.errors.GEOSException:  # edges that do not meet vertex to vertex
        return shapely.union_all(cells)
    whole = float(shapely.area(cells).sum())
    if shapely.is_valid(merged) and abs(shapely.area(merged) - whole) <= _AREA_RTOL * whole:
        return merged
    return shapely.union_all(cells)


def _simplified(moved: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Shapes in the tile's units simplified to a pixel, oriented for MVT again: Douglas-Peucker
    keeping each valid, with half a pixel's tolerance (keeping shapes valid lets it stray up to a
    third past its tolerance), so no outline moves more than a pixel; the vertices kept are whole
    units still."""
    out = np.full(len(moved), None, dtype=object)
    shown = np.flatnonzero(moved != None)  # noqa: E711  # an object array's elementwise test
    if not len(shown):
        return out
    parts = moved[shown]
    simple = shapely.simplify(parts, PIXEL / 2, preserve_topology=True)
    simple = np.where(shapely.is_valid(simple) & (shapely.area(simple) > 0), simple, parts)
    out[shown] = shapely.reverse(shapely.normalize(simple))
    return out
