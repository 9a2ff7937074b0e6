"""Reading areas and lines from GeoJSON, GeoPackage and Shapefile: validated, repaired where safe, in WGS84."""

from __future__ import annotations

import os
import re
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod

from gridmgr._geojson import RawFeature, features_from_json, parse_text
from gridmgr._shapes import LINEAR, POLYGONAL, flatten, polygonal
from gridmgr.datum import parse_datum, to_wgs84
from gridmgr.errors import InvalidInput, LimitExceeded, NotFound

_GEOD = Geod(ellps="WGS84")
_OGR_SUFFIXES = {".gpkg", ".shp", ".zip"}
_REPAIR_TOLERANCE = 0.001  # a repair may change the area by at most 0.1 %
_LONLAT_EPSG = (4326, 4490)  # WGS84 and CGCS2000 (China's datum, within centimetres of WGS84)
_LOCATION = re.compile(r"\[\s*([-\d.eE+]+)\s+([-\d.eE+]+)\s*\]")


@dataclass(frozen=True)
class Limits:
    """Sizes refused before heavy work; raised through GRIDMGR_MAX_* environment variables."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_area_km2: float = 50_000.0
    max_cells: int = 2_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """Limits from GRIDMGR_MAX_FILE_MB, GRIDMGR_MAX_AREA_KM2 and GRIDMGR_MAX_CELLS, else defaults."""
        env = os.environ if env is None else env
        base = cls()
        return cls(
            max_file_bytes=int(
                _env_number(env, "GRIDMGR_MAX_FILE_MB", base.max_file_bytes / 2**20) * 2**20
            ),
            max_area_km2=_env_number(env, "GRIDMGR_MAX_AREA_KM2", base.max_area_km2),
            max_cells=int(_env_number(env, "GRIDMGR_MAX_CELLS", base.max_cells)),
        )


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{name}={text!r} is not a number") from None
    if not value > 0:
        raise InvalidInput(f"{name}={text!r} must be positive")
    return value


@dataclass(frozen=True)
class LoadedArea:
    """An area as read: one valid WGS84 (Multi)Polygon, its name and properties, and what was fixed."""

    geometry: shapely.Polygon | shapely.MultiPolygon
    name: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    source: str = ""


def read_area(
    path: str | os.PathLike,
    *,
    crs: str = "wgs84",
    feature: int | str | None = None,
    limits: Limits | None = None,
) -> LoadedArea:
    """Read an area boundary from a file, dissolving its polygon features (or only `feature`).

    Parameters
    ----------
    path
        GeoJSON (any of its shapes, or a bare array of Features), GeoPackage, Shapefile or a
        zipped Shapefile.
    crs
        Datum of the coordinates: ``wgs84``, ``gcj02`` or ``bd09``; converted to WGS84.
    feature
        Use only this feature: a 0-based index, or the value of its ``name`` (or ``id``) property.
    limits
        File-size and area limits, checked before heavy work.
    """
    limits = limits or Limits()
    datum = parse_datum(crs)
    source = str(path)
    return _area(_read_features(Path(path), limits), source, datum, feature, limits)


def area_from_geojson(
    obj: object,
    *,
    source: str = "request body",
    crs: str = "wgs84",
    feature: int | str | None = None,
    limits: Limits | None = None,
) -> LoadedArea:
    """The same as `read_area` for GeoJSON that is already parsed (an API request body)."""
    limits = limits or Limits()
    return _area(features_from_json(obj, source), source, parse_datum(crs), feature, limits)


def read_lines(
    path: str | os.PathLike, *, crs: str = "wgs84", limits: Limits | None = None
) -> shapely.MultiLineString:
    """Lines (roads, rivers, walls) from a file, in WGS84; polygon outlines count as lines too."""
    limits = limits or Limits()
    datum = parse_datum(crs)
    source = str(path)
    lines = []
    for raw in _read_features(Path(path), limits):
        if raw.geometry is None or raw.geometry.is_empty:
            continue
        for part in flatten(raw.geometry):
            kind = shapely.get_type_id(part)
            if kind == 1:
                lines.append(part)
            elif kind == 3:
                lines.extend(shapely.get_parts(shapely.boundary(part)))
    if not lines:
        raise InvalidInput(
            f"{source}: no lines in this file; lines to split along are LineStrings or MultiLineStrings"
        )
    return to_wgs84(shapely.MultiLineString(lines), datum)


def read_features(
    path: str | os.PathLike, *, crs: str = "wgs84", limits: Limits | None = None
) -> gpd.GeoDataFrame:
    """Every polygon feature as its own row (cells a planner drew), validated, in WGS84; not dissolved."""
    limits = limits or Limits()
    datum = parse_datum(crs)
    source = str(path)
    rows, geoms, skipped = [], [], Counter()
    for raw in _read_features(Path(path), limits):
        geom = _polygonal(raw, source)
        if geom is None:
            skipped[raw.type_name] += 1
            continue
        geoms.append(_valid(geom, raw, source, [])[0])
        rows.append(raw.properties)
    if not geoms:
        raise InvalidInput(f"{source}: no polygons in this file ({_count_text(skipped)})")
    out = gpd.GeoDataFrame(
        rows, geometry=to_wgs84(np.array(geoms, dtype=object), datum), crs="EPSG:4326"
    )
    return out


# --- files ---------------------------------------------------------------------------------


def _read_features(path: Path, limits: Limits) -> list[RawFeature]:
    source = str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotFound(f"{source}: no such file") from None
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise InvalidInput(f"{source}: is a folder, not a file")
    if stat.st_size > limits.max_file_bytes:
        raise LimitExceeded(
            f"{source}: the file is {stat.st_size / 2**20:.1f} MB, over the limit of "
            f"{limits.max_file_bytes / 2**20:.1f} MB; raise GRIDMGR_MAX_FILE_MB to read it"
        )
    if stat.st_size == 0:
        raise InvalidInput(f"{source}: the file is empty")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() in _OGR_SUFFIXES or head.startswith(b"SQLite format 3"):
        return _ogr_features(path, limits)
    return features_from_json(parse_text(_decode(path.read_bytes(), source), source), source)


def _decode(data: bytes, source: str) -> str:
    """Text from UTF-8 (with or without BOM), or GB18030 as some Chinese tools write."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            stripped = text.strip()
            if not stripped:
                raise InvalidInput(f"{source}: the file holds only whitespace")
            if stripped[0] not in "{[":
                raise InvalidInput(
                    f"{source}: not GeoJSON: it starts with {stripped[:20]!r}; give a GeoJSON, GeoPackage (.gpkg) "
                    "or zipped Shapefile (.zip)"
                )
            return text
    raise InvalidInput(
        f"{source}: not a text file and not a GeoPackage or Shapefile; cannot read it"
    )


def _ogr_features(path: Path, limits: Limits) -> list[RawFeature]:
    """Features of a GeoPackage or (zipped) Shapefile through pyogrio, reprojected to lon/lat."""
    import pyogrio

    source = str(path)
    target = str(path)
    if path.suffix.lower() == ".zip":
        target = _zipped_shapefile(path, limits)
    try:
        frame = pyogrio.read_dataframe(target)
    except Exception as exc:  # pyogrio raises several types, all meaning "cannot read this"
        raise InvalidInput(
            f"{source}: cannot read it as a GeoPackage or Shapefile: {exc}"
        ) from None
    if len(frame) == 0:
        raise InvalidInput(f"{source}: the file holds no features")
    if frame.crs is not None and CRS(frame.crs).to_epsg() not in _LONLAT_EPSG:
        frame = frame.to_crs(4326)
    geoms = shapely.force_2d(np.asarray(frame.geometry.values))
    props = frame.drop(columns=frame.geometry.name).to_dict(orient="records")
    out = []
    for k, (geom, p) in enumerate(zip(geoms, props, strict=True)):
        raw = RawFeature(index=k, properties={a: b for a, b in p.items() if b is not None})
        if geom is not None:
            raw.geometry, raw.type_name = geom, geom.geom_type
            _check_range(geom, f"{source}: {raw.label()}")
        out.append(raw)
    return out


def _zipped_shapefile(path: Path, limits: Limits) -> str:
    source = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{source}: not a readable zip file: {exc}") from None
    if sum(i.file_size for i in infos) > 4 * limits.max_file_bytes:
        raise LimitExceeded(
            f"{source}: the zip unpacks to more than {4 * limits.max_file_bytes / 2**20:.0f} MB"
        )
    shps = [
        i.filename for i in infos if i.filename.lower().endswith(".shp") and ".." not in i.filename
    ]
    if not shps:
        raise InvalidInput(
            f"{source}: the zip holds no .shp file; zip the .shp with its .shx, .dbf and .prj"
        )
    return f"/vsizip/{path.resolve()}/{shps[0]}"


def _check_range(geom: shapely.Geometry, where: str) -> None:
    xy = shapely.get_coordinates(geom)
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90) | ~np.isfinite(xy).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            f"{where}: position {k} [{xy[k, 0]:g}, {xy[k, 1]:g}] is not a longitude/latitude; "
            "is this a projected CRS without a .prj? convert it to WGS84"
        )


# --- areas ---------------------------------------------------------------------------------


def _area(
    features: list[RawFeature], source: str, datum: str, feature: int | str | None, limits: Limits
) -> LoadedArea:
    chosen = _choose(features, feature, source) if feature is not None else features
    warnings: list[str] = []
    polys: list[shapely.Geometry] = []
    owners: list[RawFeature] = []
    skipped: dict[str, list[int]] = {}
    for raw in chosen:
        geom = _polygonal(raw, source)
        if geom is None:
            skipped.setdefault(_kind_text(raw), []).append(raw.index)
            continue
        valid, _note = _valid(geom, raw, source, warnings)
        polys.append(valid)
        owners.append(raw)
    if not polys:
        raise InvalidInput(
            f"{source}: no area in this file: {_skipped_text(skipped)}; {_AREA_HINT}"
        )
    if skipped:
        total = sum(len(v) for v in skipped.values())
        warnings.append(
            f"{total} feature(s) that are not areas were skipped ({_skipped_text(skipped)})"
        )
    area = shapely.union_all(polys) if len(polys) > 1 else polys[0]
    if len(polys) > 1:
        warnings.extend(_overlap_notes(np.array(polys, dtype=object), owners))
    area = shapely.orient_polygons(to_wgs84(area, datum))
    if not area.is_valid:
        area = polygonal(shapely.make_valid(area))
    _check_antimeridian(area, source)
    km2 = abs(_GEOD.geometry_area_perimeter(area)[0]) / 1e6
    if km2 > limits.max_area_km2:
        raise LimitExceeded(
            f"{source}: the area is {km2:,.1f} km², over the limit of {limits.max_area_km2:,.0f} km²; "
            "raise GRIDMGR_MAX_AREA_KM2 to grid it"
        )
    one = chosen[0] if len(chosen) == 1 else None
    name = one.name if one else _common_name(chosen)
    props = dict(one.properties) if one else {}
    return LoadedArea(area, name, props, tuple(warnings), source)


_AREA_HINT = (
    "an area needs Polygon or MultiPolygon geometries, or LineStrings that close into rings"
)


def _overlap_notes(polys: np.ndarray, owners: list[RawFeature]) -> list[str]:
    """A warning naming the features whose areas overlap (their union is what gets gridded)."""
    a, b = shapely.STRtree(polys).query(polys, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return []
    shared = shapely.area(shapely.intersection(polys[a], polys[b]))
    smaller = np.minimum(shapely.area(polys[a]), shapely.area(polys[b]))
    real = shared > 1e-9 * smaller
    if not real.any():
        return []
    pairs = [
        f"{owners[i].label()} and {owners[j].label()}"
        for i, j in zip(a[real], b[real], strict=True)
    ]
    shown = "; ".join(pairs[:5]) + (f"; and {len(pairs) - 5} more pairs" if len(pairs) > 5 else "")
    return [f"{len(pairs)} pair(s) of features overlap, so their union is used: {shown}"]


def _choose(features: list[RawFeature], feature: int | str, source: str) -> list[RawFeature]:
    if isinstance(feature, int):
        if 0 <= feature < len(features):
            return [features[feature]]
        raise NotFound(
            f"{source}: no feature {feature}; the file has features 0 to {len(features) - 1}"
        )
    hits = [f for f in features if feature in (f.name, str(f.properties.get("id", "")))]
    if hits:
        return hits
    names = sorted({f.name for f in features if f.name})
    shown = ", ".join(repr(n) for n in names[:10]) + (" …" if len(names) > 10 else "")
    raise NotFound(f"{source}: no feature named {feature!r}; names in the file: {shown or 'none'}")


def _common_name(features: list[RawFeature]) -> str | None:
    names = {f.name for f in features if f.name}
    return names.pop() if len(names) == 1 else None


def _polygonal(raw: RawFeature, source: str) -> shapely.Geometry | None:
    """The feature's area: its polygons, or the polygons its closed lines enclose; None if it has none."""
    if raw.geometry is None or raw.geometry.is_empty:
        return None
    parts = shapely.force_2d(flatten(raw.geometry))
    kinds = shapely.get_type_id(parts)
    polys = list(parts[np.isin(kinds, POLYGONAL)])
    lines = parts[np.isin(kinds, LINEAR)]
    if len(lines):
        ring_area = _closed_lines(lines)
        if ring_area is not None:
            polys.append(ring_area)
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(list(_polys_of(polys)))


def _polys_of(geoms: list[shapely.Geometry]) -> np.ndarray:
    parts = shapely.get_parts(np.array(geoms, dtype=object))
    return parts[shapely.get_type_id(parts) == 3]


def _closed_lines(lines: np.ndarray) -> shapely.Geometry | None:
    """The area enclosed by lines that form closed rings (nested rings make holes); None if any end is loose."""
    merged = shapely.line_merge(shapely.union_all(lines))
    _polys, cuts, dangles, invalid = shapely.polygonize_full([merged])
    if not (shapely.is_empty(dangles) and shapely.is_empty(cuts) and shapely.is_empty(invalid)):
        return None
    area = shapely.build_area(merged)
    return None if area.is_empty else area


def _valid(
    geom: shapely.Geometry, raw: RawFeature, source: str, warnings: list[str]
) -> tuple[shapely.Geometry, str]:
    """The geometry made valid where that is safe (winding, small self-intersections), else refused."""
    where = f"{source}: {raw.label()}"
    written = _written_area(geom)
    if geom.is_valid:
        if written <= 0:
            raise InvalidInput(f"{where}: the polygon has no area (its rings are degenerate)")
        return shapely.orient_polygons(geom), ""
    parts = shapely.get_parts(geom)
    if len(parts) > 1 and shapely.is_valid(parts).all():
        warnings.append(
            f"{raw.label()}: its polygons overlap or touch along an edge; their union is used"
        )
        return shapely.orient_polygons(shapely.union_all(parts)), ""
    reason = shapely.is_valid_reason(geom)
    repaired = polygonal(shapely.make_valid(geom))
    change = abs(repaired.area - written) / written if written > 0 else float("inf")
    if change > _REPAIR_TOLERANCE or repaired.is_empty:
        raise InvalidInput(
            f"{where}: the polygon is not valid: {_reason_text(reason)}; repairing it would change its area "
            f"by {_share(change)}, so it is refused; redraw the ring so it does not cross itself"
        )
    note = f"{raw.label()}: repaired {_reason_text(reason)} (area changed by {change:.4%})"
    warnings.append(note)
    return shapely.orient_polygons(repaired), note


def _share(change: float) -> str:
    return "more than 100%" if change > 1 else f"{change:.1%}"


def _written_area(geom: shapely.Geometry) -> float:
    """Area as the rings are written (shoelace of each ring: exteriors minus holes), valid or not."""
    total = 0.0
    for poly in _polys_of([geom]):
        total += abs(_shoelace(np.asarray(poly.exterior.coords)))
        total -= sum(abs(_shoelace(np.asarray(r.coords))) for r in poly.interiors)
    return total


def _shoelace(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _reason_text(reason: str) -> str:
    m = _LOCATION.search(reason)
    what = reason.split("[")[0].strip().lower() or "invalid geometry"
    if m:
        return f"{what} at longitude {float(m.group(1)):.7g}, latitude {float(m.group(2)):.7g}"
    return what


def _check_antimeridian(area: shapely.Geometry, source: str) -> None:
    xmin, _, xmax, _ = area.bounds
    if xmax - xmin > 180:
        raise InvalidInput(
            f"{source}: the area spans {xmax - xmin:.0f}° of longitude: it crosses the antimeridian, which "
            "gridmgr does not handle; split it at 180° and grid each side"
        )


def _kind_text(raw: RawFeature) -> str:
    if raw.geometry is None or raw.geometry.is_empty:
        return "empty geometry" if raw.geometry is not None else "no geometry"
    if raw.type_name == "GeometryCollection":
        counts = Counter(p.geom_type for p in flatten(raw.geometry))
        return "GeometryCollection of " + _count_text(counts)
    if raw.type_name in ("LineString", "MultiLineString"):
        return f"{raw.type_name} not closed"
    return raw.type_name


def _count_text(counts: Counter) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common()) or "nothing"


def _skipped_text(skipped: dict[str, list[int]]) -> str:
    parts = []
    for kind, idx in skipped.items():
        shown = ", ".join(str(i) for i in idx[:10]) + (" …" if len(idx) > 10 else "")
        word = "feature" if len(idx) == 1 else "features"
        parts.append(f"{len(idx)} {kind}: {word} {shown}")
    return "; ".join(parts)
