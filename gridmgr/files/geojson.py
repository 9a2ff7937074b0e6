"""The GeoJSON parser: text into raw features, by hand, so every fault is named by feature and position."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gridmgr.errors import InvalidInput, LimitExceeded

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
_NAME_KEYS = ("name", "NAME", "Name", "名称")
_MAX_DEPTH = 8  # GeometryCollections nested deeper than this are refused
_RANGE_HINT = (
    "are longitude and latitude swapped, or is this a projected CRS such as EPSG:3857? "
    "convert it to WGS84 longitude/latitude"
)


@dataclass
class RawFeature:
    """One feature as read: its index in the file, properties, id, and shapely geometry (or None)."""

    index: int
    properties: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    type_name: str = "null"
    fid: str | None = None  # the Feature's "id" member, when it has one

    @property
    def name(self) -> str | None:
        """The feature's name property, if it has one."""
        for key in _NAME_KEYS:
            value = self.properties.get(key)
            if isinstance(value, str) and value.strip():
                return value
        return None

    def matches(self, wanted: str) -> bool:
        """Whether `wanted` is this feature's name, its id, or its ``id`` property."""
        ids = (self.fid, self.properties.get("id"))
        return wanted == self.name or any(
            i is not None and not isinstance(i, bool) and str(i) == wanted for i in ids
        )

    def label(self) -> str:
        """How messages refer to this feature: 'feature 3 ("Oxford Park", Polygon)'."""
        inner = f'"{self.name}", {self.type_name}' if self.name else self.type_name
        return f"feature {self.index} ({inner})"


def fmt_position(xy: np.ndarray | list[float]) -> str:
    """A position as written in GeoJSON, without losing digits: '[116.3012345, 39.9]'."""
    return "[" + ", ".join(repr(float(v)) for v in xy[:2]) + "]"


def check_lonlat(xy: np.ndarray, where: str, what: str) -> None:
    """Refuse positions that are not finite or outside longitude -180..180 / latitude -90..90."""
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            f"{where}: {what}position {k}: {fmt_position(xy[k])} is not a pair of finite numbers; "
            "write coordinates as plain decimal numbers"
        )
    out = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if out.any():
        k = int(np.flatnonzero(out)[0])
        raise InvalidInput(
            f"{where}: {what}position {k}: {fmt_position(xy[k])} is outside longitude -180..180 / "
            f"latitude -90..90; {_RANGE_HINT}"
        )


def text_from_bytes(data: bytes, source: str) -> str:
    """JSON text from UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 as some Chinese tools write."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        stripped = text.strip()
        if not stripped:
            raise InvalidInput(f"{source}: the file holds only whitespace; it has no GeoJSON in it")
        if stripped[0] not in "{[":
            raise InvalidInput.of(
                "{source}: not GeoJSON: it starts with {start!r}; give a GeoJSON file, a "
                "GeoPackage (.gpkg), a Shapefile (.shp) or a zipped Shapefile (.zip)",
                source=source,
                start=stripped[:24],
            )
        return text
    raise InvalidInput.of(
        "{source}: cannot read it: it is binary data, not GeoJSON text, and not a GeoPackage, "
        "Shapefile or zip; check the file is the one you meant",
        source=source,
    )


MAX_NESTING = 64  # GeoJSON needs about 10 levels; more only serves to exhaust the parser's stack
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]], _STEP[[ord("]"), ord("}")]] = 1, -1


def check_nesting(text: str, source: str) -> None:
    """Refuse JSON text nested more than MAX_NESTING levels deep, before it is parsed.

    Counting brackets is cheap (bytes.translate and a cumulative sum); only when that count is over
    the limit are the strings taken out (with str.replace and str.split, no regex), since brackets
    inside them do not nest.
    """
    if _depth(text) <= MAX_NESTING:
        return
    unescaped = text.replace("\\\\", "").replace('\\"', "")  # no quote left inside a string
    if _depth("".join(unescaped.split('"')[::2])) <= MAX_NESTING:  # the pieces between strings
        return
    raise LimitExceeded(
        f"{source}: the JSON is nested more than {MAX_NESTING} levels deep (arrays or objects "
        "inside each other); GeoJSON needs about 10, so this is not GeoJSON: check the file"
    )


def _depth(text: str) -> int:
    """The deepest nesting of [ and { in the text (brackets in strings counted too), or the first
    depth found over MAX_NESTING; a million brackets at a time, so memory stays small."""
    brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    steps = _STEP[np.frombuffer(brackets, dtype=np.uint8)]
    deepest = level = 0
    for start in range(0, len(steps), 1 << 20):
        run = np.cumsum(steps[start : start + (1 << 20)], dtype=np.int64) + level
        deepest, level = max(deepest, int(run.max())), int(run[-1])
        if deepest > MAX_NESTING:
            break
    return deepest


class _NotANumber(Exception):
    """NaN or Infinity in the JSON text (raised inside json.loads, reported with the file name)."""


def _reject_constant(name: str) -> float:
    raise _NotANumber(name)


def parse_text(text: str, source: str) -> object:
    """JSON from text, or InvalidInput naming the line and column of the first syntax error."""
    check_nesting(text, source)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput.of(
            "{source}: not valid JSON: {msg} at line {line}, column {column}; "
            "check the file is GeoJSON and was saved completely",
            source=source,
            msg=exc.msg,
            line=exc.lineno,
            column=exc.colno,
        ) from None
    except _NotANumber as exc:
        raise InvalidInput(
            f"{source}: not valid GeoJSON: it contains {exc.args[0]}, which is not a number JSON "
            "allows; write coordinates as plain decimal numbers"
        ) from None
    except RecursionError:
        raise InvalidInput(f"{source}: not GeoJSON: the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InvalidInput(f"{source}: not valid JSON: {exc}") from None


def features_from_json(obj: object, source: str) -> list[RawFeature]:
    """The features of a GeoJSON object: FeatureCollection, Feature, geometry, or a bare array of those."""
    items: list[Any] | None
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
        raise InvalidInput.of(
            "{source}: the file holds no features (the collection is empty)", source=source
        )
    return [_feature(item, k, source) for k, item in enumerate(items)]


def _feature(item: object, index: int, source: str) -> RawFeature:
    if not isinstance(item, dict):
        raise InvalidInput(
            f"{source}: feature {index} is a {type(item).__name__}, not a GeoJSON object"
        )
    kind = item.get("type")
    if kind == "Feature":
        props = item.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        geometry = item.get("geometry")
        fid = item.get("id")
    elif kind in GEOMETRY_TYPES:
        props, geometry, fid = {}, item, None
    else:
        raise InvalidInput(
            f"{source}: feature {index} has type {kind!r}; expected a Feature or a geometry"
        )
    raw = RawFeature(index=index, properties=props)
    if isinstance(fid, str | int) and not isinstance(fid, bool):
        raw.fid = str(fid)
    if geometry is None:
        return raw
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        bad = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise InvalidInput(f"{source}: {raw.label()}: unknown geometry type {bad!r}")
    raw.type_name = geometry["type"]
    raw.geometry = geometry_from_json(geometry, f"{source}: {raw.label()}", depth=0)
    return raw


def geometry_from_json(obj: dict, where: str, *, depth: int) -> BaseGeometry:
    """A 2-D shapely geometry from a GeoJSON geometry, refusing bad positions, open rings and strings."""
    kind = obj.get("type")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list) or depth > _MAX_DEPTH:
            raise InvalidInput(
                f'{where}: a GeometryCollection needs a "geometries" array (nested at most '
                f"{_MAX_DEPTH} deep)"
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
        if coords == []:
            return shapely.Point()
        return shapely.Point(_positions([coords], where, "the point, ")[0])
    if kind == "MultiPoint":
        points = _list(coords, where, kind)
        return shapely.MultiPoint(_positions(points, where, "")) if points else shapely.MultiPoint()
    if kind == "LineString":
        return _line(coords, where, "the line, ")
    if kind == "MultiLineString":
        lines = _list(coords, where, kind)
        return shapely.MultiLineString(
            [_line(c, where, f"line {k}, ") for k, c in enumerate(lines)]
        )
    if kind == "Polygon":
        return _polygon(coords, where, "")
    polys = _list(coords, where, str(kind))
    return shapely.MultiPolygon([_polygon(c, where, f"polygon {k}, ") for k, c in enumerate(polys)])


def _list(value: object, where: str, what: str) -> list:
    if not isinstance(value, list | tuple):
        raise InvalidInput(
            f"{where}: the coordinates of the {what} must be an array, not {type(value).__name__}"
        )
    return list(value)


def _line(coords: object, where: str, what: str) -> shapely.LineString:
    items = _list(coords, where, "line")
    if not items:
        return shapely.LineString()
    xy = _positions(items, where, what)
    if len(xy) < 2:
        raise InvalidInput(f"{where}: {what}has {len(xy)} position; a line needs at least 2")
    return shapely.LineString(xy)


def _polygon(coords: object, where: str, prefix: str) -> shapely.Polygon:
    rings = _list(coords, where, "polygon")
    if not rings:
        return shapely.Polygon()
    xy_rings = []
    for k, ring in enumerate(rings):
        what = f"{prefix}ring {k}"
        xy = _positions(_list(ring, where, "ring"), where, f"{what}, ")
        if len(xy) < 4:
            raise InvalidInput(
                f"{where}: {what} has {len(xy)} position{'s' if len(xy) != 1 else ''}; a ring needs "
                "at least 4, the last repeating the first"
            )
        if not np.array_equal(xy[0], xy[-1]):
            raise InvalidInput(
                f"{where}: {what} is not closed: it starts at {fmt_position(xy[0])} and ends at "
                f"{fmt_position(xy[-1])}; repeat the first position at the end of the ring"
            )
        xy_rings.append(xy)
    return shapely.Polygon(xy_rings[0], xy_rings[1:])


def _positions(items: list, where: str, what: str) -> np.ndarray:
    """(n, 2) float array of lon/lat; extra dimensions (heights) are dropped, everything else refused."""
    try:
        arr = np.array(items)
    except (ValueError, OverflowError):  # ragged (mixed 2-D and 3-D positions), or huge integers
        arr = None
    fast = arr is not None and arr.ndim == 2 and arr.shape[1] >= 2 and arr.dtype.kind in "fiu"
    if fast and bool in set(map(type, chain.from_iterable(items))):
        fast = False  # true/false would pass as 1/0
    xy = (
        arr[:, :2].astype(float)
        if fast and arr is not None
        else _positions_slowly(items, where, what)
    )
    check_lonlat(xy, where, what)
    return xy


_JSON_KINDS = {
    str: "a string",
    bool: "a boolean",
    type(None): "null",
    list: "an array",
    dict: "an object",
}


def _shown(value: object) -> str:
    """A value as JSON writes it (where it can), so users find it in their file."""
    try:
        return json.dumps(value, ensure_ascii=False)[:40]
    except (TypeError, ValueError):
        return repr(value)[:40]


def _positions_slowly(items: list, where: str, what: str) -> np.ndarray:
    """Walk the positions one by one to name the first bad one."""
    out = np.empty((len(items), 2))
    for k, pos in enumerate(items):
        if not isinstance(pos, list | tuple) or len(pos) < 2:
            raise InvalidInput(
                f"{where}: {what}position {k}: {pos!r} is not a [longitude, latitude] pair"
            )
        for axis, value in enumerate(pos):
            label = ("longitude", "latitude")[axis] if axis < 2 else "height"
            if value is None and axis >= 2:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                kind = _JSON_KINDS.get(type(value), f"a {type(value).__name__}")
                raise InvalidInput(
                    f"{where}: {what}position {k}: the {label} {_shown(value)} is {kind}, not a number; "
                    "write coordinates as plain numbers"
                )
            if axis < 2 and not (isinstance(value, int) or math.isfinite(value)):
                raise InvalidInput(
                    f"{where}: {what}position {k}: the {label} {value!r} is not a finite number"
                )
        try:
            out[k] = [float(pos[0]), float(pos[1])]
        except OverflowError:
            raise InvalidInput(
                f"{where}: {what}position {k}: a coordinate is far too large to be a "
                f"longitude/latitude; {_RANGE_HINT}"
            ) from None
    return out
