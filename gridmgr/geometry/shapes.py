"""Small geometry helpers shared by reading, gridding and writing: unpacking collections, keeping
polygons, telling an area from a flat polygon, and the last check of cells before they are written."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.errors import InvalidInput, Phrase
from gridmgr.geometry.arrays import Bools, GeoArray, GeometryOrArray

POLYGONAL = (3, 6)  # Polygon, MultiPolygon
# the grid cells are written on (7 decimals of a degree, about 1 cm): a polygon that vanishes on it
# has no area, even where rounding of its decimals left GEOS an area a hair above zero
FLAT_DEGREES = 1e-7
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


TINY = 1e-100  # a coordinate smaller than this (degrees or metres) is zero


def without_tiny_coordinates(geoms: GeometryOrArray) -> GeometryOrArray:
    """The geometries with every coordinate under TINY in size set to zero: nothing on the ground,
    but GEOS raises floating-point flags on such numbers (1e-249, or subnormal 2e-313, the sine of
    a multiple of pi), which numpy turns into warnings."""
    out: GeometryOrArray = shapely.transform(geoms, lambda xy: np.where(np.abs(xy) < TINY, 0.0, xy))  # type: ignore[type-var]
    return out


def has_area(geoms: BaseGeometry | GeoArray, grid: float) -> Bools:
    """For each polygon, whether it keeps some area on a grid of `grid` units (False: its corners lie
    on one line or repeat, or it is nowhere wider than about `grid`), so "no area" means the same
    whatever rounding of the floats made the area a hair above zero."""
    geoms = np.asarray(geoms, dtype=object)
    area, length = shapely.area(geoms), shapely.length(geoms)
    # the points within r of a closed curve of length P cover at most 2rP + πr²; a polygon with more
    # area than twice that at r = 2·grid (room for several rings) holds a disc wider than the grid,
    # which snapping keeps; only the rare thinner ones are snapped to find out
    sure = area > 8.0 * grid * length + 13.0 * grid * grid
    out = sure.copy()
    thin = np.flatnonzero(~sure & (area > 0))
    if len(thin):
        # GEOS may raise a floating-point flag on a coordinate a hair off zero (1e-249), with the
        # right answer: numpy would turn the flag into a warning
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            snapped = shapely.set_precision(geoms[thin], grid)
        out[thin] = shapely.area(snapped) > 0
    return np.asarray(out, dtype=bool)


def check_cells(
    geoms: GeoArray,
    codes: Sequence[str] | npt.NDArray[np.object_],
    *,
    where: str = "",
    known_valid: Bools | None = None,
) -> None:
    """Refuse cells about to be stored or written when one is empty, not a polygon, without area or
    not valid: the last guard before a cell leaves gridmgr, so no degenerate area can end up as an
    empty or broken cell whatever path it took.

    Parameters
    ----------
    geoms
        The cells' geometries, in any CRS.
    codes
        Their codes (any sequence: only the faulty one is read), to name the first faulty cell.
    where
        What the message starts with (a file's name and ": "), or nothing.
    known_valid
        True where a cell is valid by construction (whole lattice cells, GEOS's rounded output), to
        spare the cost of checking it again; the other checks still apply to it.

    Raises
    ------
    InvalidInput
        Naming the first faulty cell and what is wrong with it.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return
    shaped = np.isin(shapely.get_type_id(geoms), POLYGONAL)  # a missing geometry is no polygon
    empty = shaped & shapely.is_empty(geoms)
    polygons = geoms.copy()
    polygons[~shaped] = None
    flat = shaped & ~empty & ~(shapely.area(polygons) > 0)
    check = ~(known_valid if known_valid is not None else np.zeros(len(geoms), bool))
    check &= shaped & ~empty & ~flat
    invalid = np.zeros(len(geoms), bool)
    invalid[check] = ~shapely.is_valid(geoms[check])
    bad = ~shaped | empty | flat | invalid
    if not bad.any():
        return
    k = int(np.argmax(bad))
    if not shaped[k]:
        fault = Phrase("not a polygon")
    elif empty[k]:
        fault = Phrase("empty")
    elif flat[k]:
        fault = Phrase("without area")
    else:
        fault = Phrase.of("not valid ({reason})", reason=shapely.is_valid_reason(geoms[k]))
    raise InvalidInput.of(
        "{where}cell {code} came out {fault}, so nothing was written; the area (or the cell as "
        "drawn) is degenerate there: fix it in a GIS (QGIS: Fix geometries) and try again",
        where=where,
        code=codes[k],
        fault=fault,
    )
