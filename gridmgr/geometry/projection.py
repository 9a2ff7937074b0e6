"""Choosing the metric CRS an area is worked in, and moving geometries between it and WGS84."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer

from gridmgr.geometry.arrays import Floats, GeometryOrArray

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
    x: npt.ArrayLike, y: npt.ArrayLike, source: CRS, target: CRS
) -> tuple[Floats, Floats]:
    """Coordinates from one CRS into another, vectorised."""
    tx, ty = _transformer(source, target).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(tx, float), np.asarray(ty, float)


def _transform_geometries(geoms: GeometryOrArray, source: CRS, target: CRS) -> GeometryOrArray:
    def fn(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transform_xy(coords[:, 0], coords[:, 1], source, target)
        return np.column_stack([x, y])

    # shapely gives back the kind it is given; its stubs say so for one geometry, not for an array
    return shapely.transform(geoms, fn)  # type: ignore[type-var]


def to_metric(geoms: GeometryOrArray, crs: CRS) -> GeometryOrArray:
    """WGS84 geometries (one or an array) in the given metric CRS."""
    return _transform_geometries(geoms, WGS84, crs)


def to_wgs84(geoms: GeometryOrArray, crs: CRS) -> GeometryOrArray:
    """Geometries (one or an array) in the metric CRS back in WGS84 lon/lat."""
    return _transform_geometries(geoms, crs, WGS84)
