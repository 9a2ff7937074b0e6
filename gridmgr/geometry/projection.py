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
    return crs_of_epsg(int(metric_epsg(np.asarray([geometry], dtype=object))[0]))


def metric_epsg(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
    """The EPSG code of `metric_crs` for each geometry of an array, vectorised."""
    bounds = shapely.bounds(geometries).reshape(-1, 4)
    lon = (bounds[:, 0] + bounds[:, 2]) / 2.0
    lat = (bounds[:, 1] + bounds[:, 3]) / 2.0
    zone = np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60).astype(np.int64)
    utm = np.where(lat >= 0, 32600, 32700) + zone
    return np.where(lat > 84.0, 32661, np.where(lat < -80.0, 32761, utm)).astype(np.int64)


@lru_cache(maxsize=256)
def crs_of_epsg(code: int) -> CRS:
    """The CRS of an EPSG code, made once per code (making one parses pyproj's database)."""
    return CRS.from_epsg(code)


def _transformer(source: CRS, target: CRS) -> Transformer:
    # keyed by the CRSs' definitions: hashing a pyproj CRS writes its whole WKT, which cost more
    # than moving a small area's coordinates (0.4 s of a city's roll-up)
    return _transformer_of(source.srs, target.srs)


@lru_cache(maxsize=64)
def _transformer_of(source: str, target: str) -> Transformer:
    return Transformer.from_crs(
        CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True
    )


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
