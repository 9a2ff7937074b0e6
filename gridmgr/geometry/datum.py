"""GCJ-02 and BD-09, the datums of Chinese web maps, to and from WGS84, accurate both ways."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.geometry.arrays import Bools, Floats, GeometryOrArray

# a change of datum on lon/lat arrays
Conversion: TypeAlias = Callable[[npt.ArrayLike, npt.ArrayLike], tuple[Floats, Floats]]

DATUMS = ("wgs84", "gcj02", "bd09")
_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "wgs84",  # Tianditu's datum: within centimetres of WGS84
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}

# the published GCJ-02 obfuscation works on the Krasovsky 1940 ellipsoid
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10  # about 0.01 mm
_MAX_ITERATIONS = 30


def parse_datum(name: str) -> str:
    """The canonical datum name for what a user typed ('GCJ-02', 'baidu', 'EPSG:4326', ...)."""
    key = str(name).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise InvalidInput(f"unknown coordinate datum {name!r}: use one of {', '.join(DATUMS)}")


def _outside_china(lon: Floats, lat: Floats) -> Bools:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _shift(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """The GCJ-02 offset in degrees at WGS84 positions (the published series)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    common = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat = d_lat + common
    d_lon = d_lon + common
    d_lat = d_lat + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon = d_lon + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat = (
        d_lat
        + (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        d_lon
        + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * math.pi)
    return d_lon, d_lat


def _arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """WGS84 to GCJ-02; positions outside China are left as they are (so is GCJ-02 there)."""
    lon, lat = _arrays(lon, lat)
    d_lon, d_lat = _shift(lon, lat)
    out = _outside_china(lon, lat)
    return np.where(out, lon, lon + d_lon), np.where(out, lat, lat + d_lat)


def _invert(forward: Conversion, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """Invert a near-identity forward transform by fixed-point iteration, to about 0.01 mm."""
    lon, lat = _arrays(lon, lat)
    x, y = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if (
            max(float(np.max(np.abs(dx), initial=0.0)), float(np.max(np.abs(dy), initial=0.0)))
            < _TOLERANCE_DEG
        ):
            break
    return x, y


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """GCJ-02 to WGS84 by exact inversion of the forward shift (sub-millimetre, not the usual ~1 m)."""
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """GCJ-02 to Baidu's BD-09."""
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """BD-09 to GCJ-02 by exact inversion of the forward formula."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """WGS84 to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Floats, Floats]:
    """BD-09 to WGS84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84: dict[str, Conversion] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84: dict[str, Conversion] = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _apply(geom: GeometryOrArray, fn: Conversion) -> GeometryOrArray:
    def on_coords(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = fn(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    # shapely gives back the kind it is given; its stubs say so for one geometry, not for an array
    return shapely.transform(geom, on_coords)  # type: ignore[type-var]


def to_wgs84(geom: GeometryOrArray, datum: str) -> GeometryOrArray:
    """A shapely geometry (or array of them) given in `datum`, converted to WGS84."""
    datum = parse_datum(datum)
    return geom if datum == "wgs84" else _apply(geom, _TO_WGS84[datum])


def from_wgs84(geom: GeometryOrArray, datum: str) -> GeometryOrArray:
    """A WGS84 shapely geometry (or array of them) converted to `datum` for maps that use it."""
    datum = parse_datum(datum)
    return geom if datum == "wgs84" else _apply(geom, _FROM_WGS84[datum])
