"""Where ground is unmanaged: land no cell covers and land two cells both claim (pure geometry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from gridmgr.geometry.arrays import GeoArray
from gridmgr.geometry.projection import crs_of_epsg, metric_crs, metric_epsg, to_metric, to_wgs84

SLIVER_M2 = 1.0  # gaps and overlaps under this are rounding, not news
HAIR_M = 0.01  # seams thinner than 2 cm are rounding too


@dataclass(frozen=True)
class Ground:
    """Covered area and the gap and overlap polygons (WGS84) with their m²."""

    area_m2: float
    covered_m2: float
    gaps: list[tuple[BaseGeometry, float]]
    overlaps: list[tuple[BaseGeometry, float]]

    @property
    def coverage_ratio(self) -> float:
        """Share of the area that some cell covers."""
        return self.covered_m2 / self.area_m2 if self.area_m2 else 0.0


def ground_of(area: BaseGeometry, cells: GeoArray) -> Ground:
    """Measure an area's coverage by cells (WGS84), in the area's metric CRS; slivers under 1 m² are ignored."""
    gaps, overlaps = gaps_and_overlaps(area, cells)
    return ground_from(area, gaps, overlaps)


def gaps_and_overlaps(area: BaseGeometry, cells: GeoArray) -> tuple[BaseGeometry, BaseGeometry]:
    """The land of the area no cell covers and the land two cells share (WGS84), before sliver removal.

    A plan is fixed once written, so this is worked out once per plan and stored with it.
    """
    crs = metric_crs(area)
    region = to_metric(area, crs)
    m = to_metric(np.asarray(cells, dtype=object), crs) if len(cells) else np.zeros(0, object)
    shared: BaseGeometry = shapely.Polygon()
    if len(m) and shapely.coverage_is_valid(m):
        # cells that meet edge to edge (what gridding writes) cannot overlap: the fast union serves
        union = shapely.coverage_union_all(m)
    else:
        union = shapely.union_all(m) if len(m) else shapely.Polygon()
        if len(m) > 1:
            a, b = shapely.STRtree(m).query(m, predicate="overlaps")
            keep = a < b
            if keep.any():
                shared = shapely.union_all(shapely.intersection(m[a[keep]], m[b[keep]]))
    gaps = shapely.difference(region, union)
    return to_wgs84(gaps, crs), to_wgs84(shared, crs)


def ground_from(area: BaseGeometry, gaps: BaseGeometry, overlaps: BaseGeometry) -> Ground:
    """The same figures from gap and overlap geometry (WGS84) that a spatial database worked out."""
    crs = metric_crs(area)
    region = to_metric(area, crs)
    return _ground(
        region, to_metric(gaps, crs), shapely.intersection(to_metric(overlaps, crs), region), crs
    )


def ground_areas(
    areas: npt.NDArray[np.object_], gaps: npt.NDArray[np.object_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each area's m² and covered m² (its m² less its gaps'), as `ground_from` measures them, for
    many areas at once: one projection per metric CRS, no gap or overlap pieces (a roll-up's
    figures need only the two sums)."""
    area_m2 = np.zeros(len(areas))
    gap_m2 = np.zeros(len(areas))
    codes = metric_epsg(areas)
    for code in np.unique(codes):
        crs, at = crs_of_epsg(int(code)), codes == code
        area_m2[at] = shapely.area(to_metric(areas[at], crs))
        gap_m2[at] = shapely.area(to_metric(gaps[at], crs))
    return area_m2, area_m2 - gap_m2


def _ground(region: BaseGeometry, gaps: BaseGeometry, overlaps: BaseGeometry, crs: CRS) -> Ground:
    gap_pieces = _pieces(gaps, crs)
    covered = float(region.area) - float(shapely.area(gaps))
    return Ground(float(region.area), covered, gap_pieces, _pieces(overlaps, crs))


def _pieces(geom: BaseGeometry, crs: CRS) -> list[tuple[BaseGeometry, float]]:
    # open by a hair: drops the centimetre-thin seams that reprojected neighbours leave
    geom = shapely.buffer(
        shapely.buffer(geom, -HAIR_M, join_style="mitre"), HAIR_M, join_style="mitre"
    )
    parts = shapely.get_parts(geom)
    parts = parts[(shapely.get_type_id(parts) == 3)]
    areas = shapely.area(parts)
    keep = areas >= SLIVER_M2
    return list(zip(to_wgs84(parts[keep], crs), (float(x) for x in areas[keep]), strict=True))


def pieces_to_geojson(pieces: list[tuple[BaseGeometry, float]]) -> dict[str, Any]:
    """A FeatureCollection whose features carry area_m2."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"area_m2": round(a, 2)},
                "geometry": shapely.geometry.mapping(g),
            }
            for g, a in pieces
        ],
    }
