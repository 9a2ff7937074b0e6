"""Parsing GeoJSON text into features, checking every position, with messages that say where and what."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from gridmgr.errors import InvalidInput

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


@dataclass
class RawFeature:
    """One feature as read: its index in the file, properties, and shapely geometry (or None)."""

    index: int
    properties: dict[str, Any] = field(default_factory=dict)
    geometry: shapely.Geometry | None = None
    type_name: str = "null"

    @property
    def name(self) -> str | None:
        """The feature's name property, if it has one."""
        for key in ("name", "NAME", "Name", "名称"):
            value = self.properties.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None

    def label(self) -> str:
        """How messages refer to this feature: 'feature 3 ("Oxford Park", Polygon)'."""
        inner = f'"{self.name}", {self.type_name}' if self.name else self.type_name
        return f"feature {self.index} ({inner})"


def parse_text(text: str, source: str) -> object:
    """JSON from text, or InvalidInput naming the line and column of the first syntax error."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; "
            "check the file is GeoJSON and was saved completely"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{source}: JSON nested too deeply to be GeoJSON") from None


def _reject_constant(name: str) -> float:
    raise InvalidInput(f"{name} is not a number GeoJSON allows")


def features_from_json(obj: object, source: str) -> list[RawFeature]:
    """The features of a GeoJSON object: FeatureCollection, Feature, geometry, or a bare array of those."""
    if isinstance(obj, list):
        items = obj
    elif isinstance(obj, dict):
        kind = obj.get("type")
        if kind == "FeatureCollection":
            items = obj.get("features")
            if not isinstance(items, list):
                raise InvalidInput(f'{source}: the FeatureCollection has no "features" array')
        elif kind == "Feature" or kind in GEOMETRY_TYPES:
            items = [obj]
        elif kind is None:
            raise InvalidInput(f'{source}: not GeoJSON: the top-level object has no "type"')
        else:
            raise InvalidInput(f"{source}: not GeoJSON: unknown top-level type {kind!r}")
    else:
        raise InvalidInput(
            f"{source}: not GeoJSON: the top level is a {type(obj).__name__}, not an object or array"
        )
    if not items:
        raise InvalidInput(f"{source}: the file holds no features")
    return [_feature(item, k, source) for k, item in enumerate(items)]


def _feature(item: object, index: int, source: str) -> RawFeature:
    if not isinstance(item, dict):
        raise InvalidInput(
            f"{source}: feature {index} is a {type(item).__name__}, not a GeoJSON object"
        )
    if item.get("type") == "Feature":
        props = item.get("properties")
        props = props if isinstance(props, dict) else {}
        geometry = item.get("geometry")
    elif item.get("type") in GEOMETRY_TYPES:
        props, geometry = {}, item
    else:
        raise InvalidInput(f"{source}: feature {index} has unknown type {item.get('type')!r}")
    raw = RawFeature(index=index, properties=props)
    if geometry is None:
        return raw
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise InvalidInput(f"{source}: {raw.label()}: unknown geometry type {kind!r}")
    raw.type_name = geometry["type"]
    where = f"{source}: {raw.label()}"
    raw.geometry = geometry_from_json(geometry, where, depth=0)
    return raw


def geometry_from_json(obj: dict, where: str, *, depth: int) -> shapely.Geometry:
    """A 2-D shapely geometry from a GeoJSON geometry, refusing bad positions, open rings and strings."""
    kind = obj.get("type")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list) or depth > 8:
            raise InvalidInput(
                f'{where}: a GeometryCollection needs a "geometries" array (nested at most 8 deep)'
            )
        parts = []
        for k, m in enumerate(members):
            if not isinstance(m, dict) or m.get("type") not in GEOMETRY_TYPES:
                raise InvalidInput(
                    f"{where}: member {k} of the GeometryCollection is not a geometry"
                )
            parts.append(geometry_from_json(m, f"{where}, member {k}", depth=depth + 1))
        return shapely.GeometryCollection(parts)
    coords = obj.get("coordinates")
    if coords is None:
        raise InvalidInput(f'{where}: the {kind} has no "coordinates"')
    if kind == "Point":
        return shapely.Point(_positions([coords], where, "the point")[0])
    if kind == "MultiPoint":
        return (
            shapely.MultiPoint(_positions(_list(coords, where, kind), where, "the points"))
            if coords
            else shapely.MultiPoint()
        )
    if kind == "LineString":
        return shapely.LineString(_line(coords, where, "the line"))
    if kind == "MultiLineString":
        lines = _list(coords, where, kind)
        return shapely.MultiLineString([_line(c, where, f"line {k}") for k, c in enumerate(lines)])
    if kind == "Polygon":
        return _polygon(coords, where, "")
    polys = _list(coords, where, kind)
    return shapely.MultiPolygon([_polygon(c, where, f"polygon {k}, ") for k, c in enumerate(polys)])


def _list(value: object, where: str, what: str) -> list:
    if not isinstance(value, list):
        raise InvalidInput(
            f"{where}: the coordinates of the {what} must be an array, not {type(value).__name__}"
        )
    return value


def _line(coords: object, where: str, what: str) -> np.ndarray:
    xy = _positions(_list(coords, where, "line"), where, what)
    if len(xy) < 2:
        raise InvalidInput(f"{where}: {what} has {len(xy)} position(s); a line needs at least 2")
    return xy


def _polygon(coords: object, where: str, prefix: str) -> shapely.Polygon:
    rings = _list(coords, where, "polygon")
    if not rings:
        raise InvalidInput(f"{where}: {prefix}the polygon has no rings")
    xy_rings = []
    for k, ring in enumerate(rings):
        what = f"{prefix}ring {k}"
        xy = _positions(_list(ring, where, "ring"), where, what)
        if len(xy) < 4:
            raise InvalidInput(
                f"{where}: {what} has {len(xy)} positions; a ring needs at least 4, the last repeating the first"
            )
        if not np.array_equal(xy[0], xy[-1]):
            raise InvalidInput(
                f"{where}: {what} is not closed: it starts at {_fmt(xy[0])} and ends at {_fmt(xy[-1])}; "
                "repeat the first position at the end of the ring"
            )
        xy_rings.append(xy)
    return shapely.Polygon(xy_rings[0], xy_rings[1:])


def _fmt(xy: np.ndarray) -> str:
    return f"[{xy[0]:g}, {xy[1]:g}]"


def _positions(items: list, where: str, what: str) -> np.ndarray:
    """(n, 2) float array of lon/lat; extra dimensions (heights) are dropped, everything else refused."""
    try:
        arr = np.array(items)
    except ValueError:  # ragged: mixed 2-D and 3-D positions, or nested wrongly
        arr = None
    if arr is not None and arr.ndim == 2 and arr.shape[1] >= 2 and arr.dtype.kind in "fiu":
        xy = arr[:, :2].astype(float)
    else:
        xy = _positions_slowly(items, where, what)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            f"{where}: {what}, position {k}: {list(xy[k])} is not a finite number pair"
        )
    out = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if out.any():
        k = int(np.flatnonzero(out)[0])
        raise InvalidInput(
            f"{where}: {what}, position {k}: {_fmt(xy[k])} is outside longitude -180..180 / latitude -90..90; "
            "are longitude and latitude swapped, or is this a projected CRS such as EPSG:3857? "
            "convert it to WGS84 longitude/latitude"
        )
    return xy


def _positions_slowly(items: list, where: str, what: str) -> np.ndarray:
    """Walk the positions one by one to name the first bad one."""
    out = np.empty((len(items), 2))
    for k, pos in enumerate(items):
        if not isinstance(pos, list) or len(pos) < 2:
            raise InvalidInput(
                f"{where}: {what}, position {k}: {pos!r} is not a [longitude, latitude] pair"
            )
        for axis, value in enumerate(pos[:2]):
            if isinstance(value, bool) or not isinstance(value, int | float):
                label = "longitude" if axis == 0 else "latitude"
                kind = "a string" if isinstance(value, str) else f"a {type(value).__name__}"
                raise InvalidInput(
                    f"{where}: {what}, position {k}: the {label} {value!r} is {kind}, not a number; "
                    "write coordinates as plain numbers"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInput(
                    f"{where}: {what}, position {k}: {value!r} is not a finite number"
                )
        for value in pos[2:]:
            if isinstance(value, str):
                raise InvalidInput(
                    f"{where}: {what}, position {k}: the height {value!r} is a string, not a number"
                )
        out[k] = pos[:2]
    return out
