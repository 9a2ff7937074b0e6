"""Web map tiles (the z/x/y of Web Mercator, EPSG:3857): a tile's bounds, and WGS84 shapes moved into
a tile's own integer grid (extent 4096, y down) and cut to it with a buffer, as ST_AsMVTGeom does."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from gridmgr.errors import NotFound

EXTENT = 4096  # units across a tile, as ST_AsMVT and Mapbox Vector Tiles use by default
BUFFER = 64  # units kept past each edge, so neighbouring tiles' outlines meet without seams
MAX_ZOOM = 24
_HALF = 20037508.342789244  # half the width of the Web Mercator world, in metres
_MAX_LAT = 85.0511287798066


@dataclass(frozen=True)
class Tile:
    """A tile of the Web Mercator pyramid: zoom z, column x (from the west), row y (from the north)."""

    z: int
    x: int
    y: int

    def mercator_bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the tile in EPSG:3857 metres."""
        size = 2 * _HALF / (1 << self.z)
        west = -_HALF + self.x * size
        north = _HALF - self.y * size
        return west, north - size, west + size, north

    def lonlat_bounds(self, buffer: int = BUFFER) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees of the tile grown by `buffer` units each side."""
        west, south, east, north = self.mercator_bounds()
        pad = (east - west) * buffer / EXTENT
        lon0, lat0 = mercator_to_lonlat(west - pad, south - pad)
        lon1, lat1 = mercator_to_lonlat(east + pad, north + pad)
        return lon0, lat0, lon1, lat1


def tile_of(z: int, x: int, y: int) -> Tile:
    """The tile z/x/y, or NotFound naming the part out of range (zoom 0 to 24, x and y 0 to 2^z - 1)."""
    if not 0 <= z <= MAX_ZOOM:
        raise NotFound.of(
            "tile zoom {z} is out of range; use a zoom from 0 to {top}", z=z, top=MAX_ZOOM
        )
    last = (1 << z) - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise NotFound.of(
                "tile {name} {value} is out of range at zoom {z}; use a {name} from 0 to {last}",
                name=name, value=value, z=z, last=last,
            )  # fmt: skip
    return Tile(z, x, y)


def mercator_to_lonlat(mx: float, my: float) -> tuple[float, float]:
    """EPSG:3857 metres to WGS84 degrees (latitudes past the Mercator limit are clamped to it)."""
    lon = max(-180.0, min(180.0, math.degrees(mx / _HALF * math.pi)))
    lat = math.degrees(2 * math.atan(math.exp(my / _HALF * math.pi)) - math.pi / 2)
    return lon, max(-_MAX_LAT, min(_MAX_LAT, lat))


def _to_tile(xy: npt.NDArray[np.float64], tile: Tile) -> npt.NDArray[np.float64]:
    """WGS84 coordinates (n, 2) to the tile's units: x east from its west edge, y south from its top."""
    west, _, east, north = tile.mercator_bounds()
    scale = EXTENT / (east - west)
    lat = np.clip(xy[:, 1], -_MAX_LAT, _MAX_LAT)
    mx = np.radians(xy[:, 0]) * (_HALF / math.pi)
    my = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * (_HALF / math.pi)
    return np.column_stack(((mx - west) * scale, (north - my) * scale))


def shapes_in_tile(
    shapes: npt.NDArray[np.object_], tile: Tile, buffer: int = BUFFER
) -> npt.NDArray[np.object_]:
    """WGS84 polygons in the tile's integer grid (y down), cut to the tile grown by `buffer` units,
    vertices on whole units, valid, each exterior ring counter-clockwise in these numbers (clockwise
    on the screen, as MVT wants) and holes the other way; a shape that does not meet the tile or
    collapses to no area at this zoom becomes None. Array operations for all the shapes at once."""
    moved = shapely.transform(shapes, lambda xy: _to_tile(xy, tile))
    cut = shapely.clip_by_rect(moved, -buffer, -buffer, EXTENT + buffer, EXTENT + buffer)
    snapped = shapely.transform(cut, np.rint)
    broken = np.flatnonzero(~shapely.is_valid(snapped) & ~shapely.is_empty(snapped))
    if len(broken):  # rounding pinched a few: snap-round those properly (slow, so only those)
        snapped[broken] = shapely.set_precision(cut[broken], 1.0)
    keep = np.isin(shapely.get_type_id(snapped), (3, 6)) & (shapely.area(snapped) > 0)
    out = np.full(len(shapes), None, dtype=object)
    # normalize turns exterior rings clockwise in these numbers and holes the other way; reversed
    out[keep] = shapely.reverse(shapely.normalize(snapped[keep]))
    return out
