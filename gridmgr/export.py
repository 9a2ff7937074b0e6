"""Writing cells to GeoJSON and GeoPackage, rounded so that they still tile without gaps or overlaps."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.projection import WGS84

DECIMALS = 7  # about 1 cm: RFC 7946 advises no more than needed
FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def add_shared_vertices(geoms: np.ndarray, *, tolerance: float = 1e-10) -> np.ndarray:
    """Insert into each polygon the vertices its neighbours have on its edges (T-junctions).

    Bisection leaves a vertex of one cell in the middle of its neighbour's edge; rounding would
    move that vertex off the edge and open a hair-thin gap or overlap. With the vertex in both
    cells, rounding moves it the same way in both.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return geoms
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return geoms
    # the vertices of all neighbours of each cell, as one MultiPoint per cell
    xy, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=len(geoms))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(left, kind="stable")
    left, right = left[order], right[order]
    n_pts = counts[right]
    pick = np.repeat(starts[right], n_pts) + (
        np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    )
    pts_owner = np.repeat(left, n_pts)
    points = shapely.multipoints(shapely.points(xy[pick]), indices=pts_owner)
    targets = np.unique(left)
    out = geoms.copy()
    out[targets] = shapely.snap(geoms[targets], points[targets], tolerance)
    return out


def rounded(geoms: np.ndarray, *, decimals: int = DECIMALS, node: bool = True) -> np.ndarray:
    """Polygons with coordinates on a 10^-decimals grid, valid, still sharing their edges."""
    geoms = np.asarray(geoms, dtype=object)
    if node:
        geoms = add_shared_vertices(geoms)
    out = shapely.set_precision(geoms, math.pow(10, -decimals))
    return out


def write_cells(
    cells: gpd.GeoDataFrame, path: str | os.PathLike, *, decimals: int = DECIMALS
) -> Path:
    """Write cells to .geojson/.json or .gpkg atomically: a failed write leaves no partial file."""
    path = Path(path)
    driver = FORMATS.get(path.suffix.lower())
    if driver is None:
        raise InvalidInput(
            f"{path}: unknown output format {path.suffix!r}; use .geojson, .json or .gpkg"
        )
    if not path.parent.exists():
        raise InvalidInput(f"{path}: the folder {path.parent} does not exist")
    cells = cells.to_crs(WGS84) if cells.crs is not None and not cells.crs.equals(WGS84) else cells
    geoms = rounded(np.asarray(cells.geometry.values), decimals=decimals)
    out = cells.set_geometry(gpd.GeoSeries(geoms, index=cells.index, crs=WGS84))
    fd, tmp = tempfile.mkstemp(prefix=".gridmgr-", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        if driver == "GeoJSON":
            _write_geojson(out, Path(tmp))
        else:
            os.unlink(tmp)
            out.to_file(tmp, driver="GPKG", layer="cells", engine="pyogrio")
        os.replace(tmp, path)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot write: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _write_geojson(cells: gpd.GeoDataFrame, path: Path) -> None:
    """A FeatureCollection assembled from GEOS's and pandas' JSON, one feature per line."""
    geometry_json = shapely.to_geojson(np.asarray(cells.geometry.values))
    props = cells.drop(columns=cells.geometry.name)
    floats = props.select_dtypes("floating").columns
    props[floats] = props[floats].round(2)
    prop_json = (
        props.to_json(orient="records", lines=True, force_ascii=False).splitlines()
        if len(props)
        else []
    )
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        fh.write(
            ",\n".join(
                f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
                for p, g in zip(prop_json, geometry_json, strict=True)
            )
        )
        fh.write("\n]}\n")
