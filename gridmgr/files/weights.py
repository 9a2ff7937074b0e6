"""Reading the workload cells are balanced by (`--weight FILE[:FIELD]`): points with a count each, or
polygons whose figure is spread over their area, in WGS84."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.files.areas import Limits, check_vertices
from gridmgr.files.geojson import RawFeature, features_from_json
from gridmgr.files.sources import read_file
from gridmgr.geometry.datum import parse_datum, to_wgs84
from gridmgr.geometry.shapes import flatten
from gridmgr.geometry.weighted import Weights


def split_weight_spec(spec: str) -> tuple[str, str | None]:
    """``FILE[:FIELD]`` into the file and the field (None: each point or polygon weighs 1). A
    path that exists as given is a file even with a colon in its name."""
    if os.path.exists(spec) or ":" not in spec:
        return spec, None
    path, field = spec.rsplit(":", 1)
    if not field or "/" in field or "\\" in field:
        return spec, None
    return path, field


def read_weights(
    spec: str | os.PathLike, *, crs: str = "wgs84", limits: Limits | None = None
) -> Weights:
    """The weight in a file: each point's FIELD (default 1), or each polygon's FIELD spread over it.

    Parameters
    ----------
    spec
        ``FILE[:FIELD]``: a GeoJSON, GeoPackage or (zipped) Shapefile of Points/MultiPoints
        (households, entrances, buildings) or Polygons/MultiPolygons (population, visitors a
        day), and the numeric property to read. A MultiPoint's figure is shared by its points, a
        MultiPolygon's by its parts in proportion to their area.
    crs, limits
        As for `files.areas.read_area`.

    Raises
    ------
    InvalidInput
        The file cannot be read or holds neither points nor polygons; FIELD is not a property of
        the file (the message lists those it has); a feature's FIELD is missing, not a number, or
        negative (the message names the feature).
    """
    limits = limits or Limits()
    path, field = split_weight_spec(str(spec))
    features, _notes = read_file(path, limits.max_file_bytes, prefer="Point")
    check_vertices(features, path, limits.max_vertices, what="polygon")
    return _weights(features, field, path, crs)


def weights_from_geojson(
    obj: object, *, field: str | None = None, crs: str = "wgs84", source: str = "weight"
) -> Weights:
    """The weight in parsed GeoJSON (an API request body's ``"weight"``), as `read_weights` reads
    a file; `source` names it in messages."""
    features = features_from_json(obj, source)
    check_vertices(features, source, Limits.from_env().max_vertices, what="polygon")
    return _weights(features, field, source, crs)


def _weights(features: list[RawFeature], field: str | None, source: str, crs: str) -> Weights:
    datum = parse_datum(crs)
    if field is not None:
        fields = sorted({key for raw in features for key in raw.properties})
        if field not in fields:
            raise InvalidInput.of(
                "{source}: no field {field!r} to weigh by; the features' fields are: {fields}",
                source=source,
                field=field,
                fields=", ".join(fields) or "none",
            )
    geoms: list[shapely.Geometry] = []
    values: list[float] = []
    for raw in features:
        parts = _weighable_parts(raw)
        if len(parts) == 0:
            continue
        value = 1.0 if field is None else _figure(raw, field, source)
        if shapely.get_type_id(parts[0]) == 0:
            share = np.full(len(parts), value / len(parts))
        else:
            area = shapely.area(parts)
            share = value * area / area.sum() if area.sum() > 0 else np.zeros(len(parts))
        geoms.extend(parts)
        values.extend(share.tolist())
    if not geoms:
        raise InvalidInput.of(
            "{source}: no points or polygons to weigh by; give households, entrances or buildings "
            "as Points, or population figures as Polygons",
            source=source,
        )
    wgs = to_wgs84(np.array(geoms, dtype=object), datum)
    return Weights(np.asarray(wgs, dtype=object), np.array(values, dtype=float))


def _weighable_parts(raw: RawFeature) -> np.ndarray:
    """The feature's points, or else its polygons (lines weigh nothing)."""
    if raw.geometry is None or raw.geometry.is_empty:
        return np.zeros(0, object)
    parts = flatten(raw.geometry)
    parts = parts[~shapely.is_empty(parts)]
    kinds = shapely.get_type_id(parts)
    points = parts[kinds == 0]
    if len(points):
        return points
    polygons = parts[kinds == 3]
    return polygons[shapely.area(polygons) > 0]


def _figure(raw: RawFeature, field: str, source: str) -> float:
    value = raw.properties.get(field)
    number: float | None
    if isinstance(value, bool) or value is None:
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0:
        raise InvalidInput.of(
            "{source}: {feature}: {field} is {value!r}, not a weight; give a number of 0 or more",
            source=source,
            feature=raw.label(),
            field=field,
            value=value,
        )
    return number


def weight_source_name(spec: str | os.PathLike) -> str:
    """The weight file's name as a plan records it (the path and field as given)."""
    path, field = split_weight_spec(str(spec))
    return f"{Path(path)}:{field}" if field else str(Path(path))
