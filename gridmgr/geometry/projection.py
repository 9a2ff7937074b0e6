"""Choosing the metric CRS an area is worked in, and moving geometries between it and WGS84."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

WGS84 = CRS.from_epsg(4326)


def metric_crs(geometry: shapely.Geometry) -> CRS:
    """The UTM zone of the geometry's centre (polar stereographic beyond UTM's reach), in metres.

    UTM keeps the cell lattice on a fixed origin per zone, so the same cell size gives the
    same cells again when an area is re-gridded.
    """
    xmin, ymin, xmax, ymax = shapely.bounds(geometry)
    lon = (xmin + xmax) / 2.0
    lat = (ymin + ymax) / 2.0
    if lat > 84.0:
        return CRS.from_epsg(32661)
    if lat < -80.0:
        return CRS.from_epsg(32761)
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@lru_cache(maxsize=64)
def _transformer(source: CRS, target: CRS) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def transform_xy(
    x: np.ndarray, y: np.ndarray, source: CRS, target: CRS
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates from one CRS into another, vectorised."""
    tx, ty = _transformer(source, target).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(tx, float), np.asarray(ty, float)


def _transform_geometries(geoms, source: CRS, target: CRS):
    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = transform_xy(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def to_metric(geoms, crs: CRS):
    """WGS84 geometries (one or an array) in the given metric CRS."""
    return _transform_geometries(geoms, WGS84, crs)


def to_wgs84(geoms, crs: CRS):
    """Geometries (one or an array) in the metric CRS back in WGS84 lon/lat."""
    return _transform_geometries(geoms, crs, WGS84)
