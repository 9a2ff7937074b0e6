"""Small geometry helpers shared by reading and gridding: unpacking collections, keeping polygons."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import GeoArray

POLYGONAL = (3, 6)  # Polygon, MultiPolygon
LINEAR = (1, 5)  # LineString, MultiLineString


def flatten(geom: shapely.Geometry | GeoArray) -> GeoArray:
    """Every single-part piece of a geometry (or array of them), collections unpacked recursively."""
    parts = shapely.get_parts(geom)
    while np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    return parts


def polygonal(geom: shapely.Geometry | GeoArray) -> BaseGeometry:
    """The polygons of any geometry, as one Polygon or MultiPolygon (empty Polygon if none)."""
    parts = flatten(geom)
    parts = parts[shapely.get_type_id(parts) == 3]
    return shapely.union_all(parts) if len(parts) else shapely.Polygon()


def made_valid(geom: BaseGeometry) -> BaseGeometry:
    """A valid polygonal geometry covering what an invalid one meant (lines and points it collapses to dropped)."""
    return geom if geom.is_valid else polygonal(shapely.make_valid(geom))
