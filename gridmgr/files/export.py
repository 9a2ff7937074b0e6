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
from gridmgr.geometry.noding import add_shared_vertices
from gridmgr.geometry.projection import WGS84
from gridmgr.geometry.shapes import check_cells

DECIMALS = 7  # about 1 cm: RFC 7946 advises no more than needed
FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def rounded(geoms: np.ndarray, *, decimals: int = DECIMALS, node: bool = True) -> np.ndarray:
    """Polygons with coordinates on a 10^-decimals grid, valid, still sharing their edges."""
    geoms = np.asarray(geoms, dtype=object)
    if node:
        geoms = add_shared_vertices(geoms, tolerance=1e-9)
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
    # a cell that rounding would empty is refused rather than written as [[]]; GEOS rounds to valid
    # shapes, so only emptiness and area are left to check
    codes = cells["code"].to_numpy() if "code" in cells else cells.index.to_numpy()
    check_cells(geoms, codes, where=f"{path}: ", known_valid=np.ones(len(geoms), bool))
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
    floats = props.select_dtypes(np.floating).columns
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
