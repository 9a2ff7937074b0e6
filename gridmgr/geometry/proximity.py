"""How far a reported position lies from a cell, in metres, and whether it reads as in the cell:
within max(accuracy, MIN_RADIUS_M) of it. Also whether it only fits once read as GCJ-02 (a phone
app that reports AMap's shifted datum as if it were WGS84)."""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.datum import gcj02_to_wgs84
from gridmgr.geometry.projection import metric_crs, to_metric

MIN_RADIUS_M = 30.0  # what a phone's fix is worth at best under trees and between buildings


@dataclass(frozen=True)
class Proximity:
    """A position against a cell: metres from it (0 inside), whether that is within the fix's
    radius, and whether the position read as GCJ-02 would have been (the datum mix-up)."""

    distance_m: float
    in_cell: bool
    gcj02_shifted: bool


def radius_m(accuracy_m: float | None) -> float:
    """How far from the cell a position with this accuracy still counts as in it."""
    return max(accuracy_m or 0.0, MIN_RADIUS_M)


def proximity(cell: BaseGeometry, lon: float, lat: float, accuracy_m: float | None) -> Proximity:
    """The WGS84 position (lon, lat) against the WGS84 `cell`, measured in the cell's metric CRS."""
    crs = metric_crs(cell)
    metric_cell = to_metric(cell, crs)
    radius = radius_m(accuracy_m)
    distance = _distance(metric_cell, crs, lon, lat)
    if distance <= radius:
        return Proximity(distance, True, False)
    glon, glat = gcj02_to_wgs84(lon, lat)
    shifted = _distance(metric_cell, crs, float(glon), float(glat)) <= radius
    return Proximity(distance, False, shifted)


def _distance(metric_cell: BaseGeometry, crs: CRS, lon: float, lat: float) -> float:
    point = to_metric(shapely.Point(lon, lat), crs)
    return float(shapely.distance(metric_cell, point))
