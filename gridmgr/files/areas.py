"""Reading areas and lines from GeoJSON, GeoPackage and Shapefile: validated, repaired where safe, in WGS84."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from gridmgr.errors import InvalidInput, LimitExceeded, NotFound, Phrase
from gridmgr.files.geojson import RawFeature, features_from_json
from gridmgr.files.sources import read_file
from gridmgr.geometry.datum import parse_datum, to_wgs84
from gridmgr.geometry.shapes import FLAT_DEGREES, flatten, has_area, polygonal
from gridmgr.rules.line_filter import check_fields, parse_line_filter

_REPAIR_TOLERANCE = 0.001  # a repair may change the area by at most 0.1 %
_LOCATION = re.compile(r"\[\s*([-\d.eE+]+)\s+([-\d.eE+]+)\s*\]")
AREA_HINT = Phrase("an area needs Polygon or MultiPolygon geometries, or closed LineStrings")
FIX_HINT = Phrase("fix it in a GIS (QGIS: Fix geometries) and check the result")


@dataclass(frozen=True)
class Limits:
    """Sizes refused before heavy work; raised through GRIDMGR_MAX_* environment variables."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_area_km2: float = 50_000.0
    max_cells: int = 2_000_000  # used by gridding; carried here so one object holds every limit
    # vertices of an area (and of each drawn cell or line): real boundaries have a few thousand; the
    # time to grid grows with the square of the vertices a cell holds (a 100,000-vertex ring into 10
    # cells takes ~20 s on a 2-core machine, a million-vertex one half an hour)
    max_vertices: int = 100_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        """Limits from GRIDMGR_MAX_FILE_MB, GRIDMGR_MAX_AREA_KM2, GRIDMGR_MAX_CELLS and
        GRIDMGR_MAX_VERTICES, else defaults.

        Parameters
        ----------
        env
            The environment to read; ``os.environ`` when not given.

        Returns
        -------
        Limits
            The limits; a variable that is unset or blank keeps its default.

        Raises
        ------
        InvalidInput
            A variable that is not a positive number (a whole number for GRIDMGR_MAX_CELLS and
            GRIDMGR_MAX_VERTICES).
        """
        env = os.environ if env is None else env
        base = cls()
        file_mb = _env_number(env, "GRIDMGR_MAX_FILE_MB", base.max_file_bytes / 2**20)
        whole = {}
        for name, default in (
            ("GRIDMGR_MAX_CELLS", base.max_cells),
            ("GRIDMGR_MAX_VERTICES", base.max_vertices),
        ):
            whole[name] = _env_number(env, name, default)
            if whole[name] != int(whole[name]):
                raise InvalidInput(f"{name}={env[name]!r} must be a whole number")
        return cls(
            max_file_bytes=int(file_mb * 2**20),
            max_area_km2=_env_number(env, "GRIDMGR_MAX_AREA_KM2", base.max_area_km2),
            max_cells=int(whole["GRIDMGR_MAX_CELLS"]),
            max_vertices=int(whole["GRIDMGR_MAX_VERTICES"]),
        )


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(
            f"{name}={text!r} is not a number; set it to a positive number"
        ) from None
    if not 0 < value < float("inf"):
        raise InvalidInput(f"{name}={text!r} must be a positive number")
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
    """Read an area boundary from a file, dissolving its polygon features (or using only `feature`).

    Parameters
    ----------
    path
        GeoJSON (a FeatureCollection, Feature, geometry, or a bare array of those), GeoPackage,
        Shapefile, or a zip holding a Shapefile.
    crs
        Datum of the coordinates: ``wgs84``, ``gcj02`` or ``bd09`` (or an alias); converted to
        WGS84 after they are checked. A GeoPackage or Shapefile in another CRS is first
        reprojected to longitude/latitude by its own CRS.
    feature
        Use only this feature: a 0-based index, or the value of its ``name`` property (or id).
    limits
        File-size and area limits; `Limits()` when not given.

    Returns
    -------
    LoadedArea
        The valid WGS84 area (exteriors counter-clockwise), its name, properties and warnings.

    Raises
    ------
    NotFound
        The file, or the feature asked for, does not exist.
    InvalidInput
        The file cannot be read or holds no usable area; the message names the file, feature
        and fault. `LimitExceeded` (a subclass) when the file or the area is too large.
    """
    limits = limits or Limits()
    datum = parse_datum(crs)
    features, notes = read_file(path, limits.max_file_bytes, prefer="Polygon")
    return _area(features, notes, str(path), datum, feature, limits)


def area_from_geojson(
    obj: object,
    *,
    source: str = "request body",
    crs: str = "wgs84",
    feature: int | str | None = None,
    limits: Limits | None = None,
) -> LoadedArea:
    """The same as `read_area` for GeoJSON that is already parsed (an API request body).

    Parameters
    ----------
    obj
        Parsed JSON: a FeatureCollection, Feature, geometry, or a list of Features or geometries.
    source
        How messages name where the GeoJSON came from.
    crs, feature, limits
        As for `read_area`.

    Returns
    -------
    LoadedArea
        As for `read_area`.
    """
    limits = limits or Limits()
    datum = parse_datum(crs)
    return _area(features_from_json(obj, source), [], source, datum, feature, limits)


def read_lines(
    path: str | os.PathLike, *, crs: str = "wgs84", limits: Limits | None = None
) -> shapely.MultiLineString:
    """Lines to split along (roads, rivers, walls) from a file, in WGS84.

    Parameters
    ----------
    path
        A GeoJSON, GeoPackage or (zipped) Shapefile. LineStrings and MultiLineStrings are taken as
        they are (closed or not), polygon outlines as lines; other geometries are skipped.
    crs, limits
        As for `read_area`.

    Returns
    -------
    shapely.MultiLineString
        Every line of the file, in WGS84.

    Raises
    ------
    InvalidInput
        The file cannot be read, or holds no lines.
    """
    table = read_line_features(path, crs=crs, limits=limits)
    return shapely.MultiLineString(list(shapely.get_parts(table.geometry.values)))


def read_line_features(
    path: str | os.PathLike,
    *,
    crs: str = "wgs84",
    limits: Limits | None = None,
    where: str | None = None,
) -> gpd.GeoDataFrame:
    """The lines of a file one row per feature, with its name, keeping only those `where` picks.

    Parameters
    ----------
    path, crs, limits
        As for `read_lines`.
    where
        A `rules.line_filter` expression over the features' properties (``highway in
        ('primary','secondary')``): only matching lines divide. A field no feature has, or bad
        syntax, is InvalidInput listing the fields the file has.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` (None where a line has none) and the lines (MultiLineString per feature), EPSG:4326.

    Raises
    ------
    InvalidInput
        The file cannot be read, holds no lines, or no line matches `where`.
    """
    limits = limits or Limits()
    datum = parse_datum(crs)
    source = str(path)
    line_filter = parse_line_filter(where) if where is not None and where.strip() else None
    features, _notes = read_file(path, limits.max_file_bytes, prefer="LineString")
    check_vertices(features, source, limits.max_vertices, what="line")
    geoms: list[shapely.MultiLineString] = []
    names: list[str | None] = []
    skipped: list[RawFeature] = []
    kept: list[RawFeature] = []
    for raw in features:
        parts = _parts(raw)
        kinds = shapely.get_type_id(parts)
        outlines = shapely.get_parts(shapely.boundary(parts[kinds == 3]))
        found = [*parts[kinds == 1], *outlines]
        if not found:
            skipped.append(raw)
            continue
        kept.append(raw)
        geoms.append(shapely.MultiLineString(found))
        names.append(raw.name)
    if not geoms:
        raise InvalidInput(
            f"{source}: no lines in this file: {_describe(skipped)}; lines to split along are "
            "LineStrings or MultiLineStrings (polygon outlines count too)"
        )
    if line_filter is not None:
        fields = sorted({key for raw in kept for key in raw.properties})
        check_fields(line_filter, fields, source)
        chosen = [line_filter.matches(raw.properties) for raw in kept]
        if not any(chosen):
            raise InvalidInput.of(
                "{source}: no line matches the split-where expression {text!r} ({count} lines "
                "in the file)",
                source=source,
                text=line_filter.text,
                count=len(kept),
            )
        geoms = [g for g, c in zip(geoms, chosen, strict=True) if c]
        names = [n for n, c in zip(names, chosen, strict=True) if c]
    lines = to_wgs84(np.array(geoms, dtype=object), datum)
    return gpd.GeoDataFrame({"name": names}, geometry=list(lines), crs="EPSG:4326")


def read_features(
    path: str | os.PathLike, *, crs: str = "wgs84", limits: Limits | None = None
) -> gpd.GeoDataFrame:
    """Every polygon feature as its own row (cells a planner drew): validated, in WGS84, not dissolved.

    Parameters
    ----------
    path, crs, limits
        As for `read_area`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature that has an area: its properties as columns (a property called
        ``geometry`` becomes ``geometry_property``) and its geometry, in EPSG:4326. Sentences
        about features skipped or repaired are in ``.attrs["warnings"]``.

    Raises
    ------
    InvalidInput
        The file cannot be read, a polygon is refused, or no feature has an area.
    """
    limits = limits or Limits()
    datum = parse_datum(crs)
    features, notes = read_file(path, limits.max_file_bytes, prefer="Polygon")
    check_vertices(features, str(path), limits.max_vertices, what="cell")
    return _features_table(features, notes, str(path), datum)


def features_from_geojson(
    obj: object, *, source: str = "request body", crs: str = "wgs84", limits: Limits | None = None
) -> gpd.GeoDataFrame:
    """The same as `read_features` for GeoJSON that is already parsed (cells drawn in an API request).

    Parameters
    ----------
    obj
        Parsed JSON: a FeatureCollection, Feature, geometry, or a list of Features or geometries.
    source
        How messages name where the GeoJSON came from.
    crs
        As for `read_area`.
    limits
        The vertex limit a cell; the environment's (`Limits.from_env`) when not given, since the API
        passes none.

    Returns
    -------
    geopandas.GeoDataFrame
        As for `read_features`.
    """
    limits = limits or Limits.from_env()
    datum = parse_datum(crs)
    features = features_from_json(obj, source)
    check_vertices(features, source, limits.max_vertices, what="cell")
    return _features_table(features, [], source, datum)


def _features_table(
    features: list[RawFeature], notes: list[str], source: str, datum: str
) -> gpd.GeoDataFrame:
    rows, geoms, skipped = [], [], []
    for raw in features:
        geom = _feature_area(raw, source, notes)
        if geom is None:
            skipped.append(raw)
            continue
        geoms.append(geom)
        rows.append(raw.properties)
    if not geoms:
        raise InvalidInput.of(
            "{source}: no polygons in this file: {found}; {hint}",
            source=source,
            found=_describe(skipped),
            hint=AREA_HINT,
        )
    if skipped:
        notes.append(_skipped_note(skipped))
    arr = to_wgs84(np.array(geoms, dtype=object), datum)
    _check_antimeridian(shapely.total_bounds(arr), source)
    table = pd.DataFrame(rows).rename(columns={"geometry": "geometry_property"})
    out = gpd.GeoDataFrame(table, geometry=list(arr), crs="EPSG:4326")
    out.attrs["warnings"] = tuple(notes)
    return out


# --- areas ---------------------------------------------------------------------------------


def _area(
    features: list[RawFeature],
    notes: list[str],
    source: str,
    datum: str,
    feature: int | str | None,
    limits: Limits,
) -> LoadedArea:
    chosen = features if feature is None else _choose(features, feature, source)
    check_vertices(chosen, source, limits.max_vertices, what="area")
    warns = list(notes)
    areas: list[BaseGeometry] = []
    owners: list[RawFeature] = []
    loose: list[RawFeature] = []
    skipped: list[RawFeature] = []
    for raw in chosen:
        geom = _feature_area(raw, source, warns)
        if geom is not None:
            areas.append(geom)
            owners.append(raw)
        elif _is_lines(raw):
            loose.append(raw)
        else:
            skipped.append(raw)
    if len(loose) > 1:  # a boundary split over several line features
        label = "features " + ", ".join(str(r.index) for r in loose[:10])
        lines = np.concatenate([_parts(r) for r in loose])
        joined = _rings_area(lines, source, label, warns)
        if joined is not None:
            warns.append(
                f"{label} are lines that join end to end into closed rings; their area is used"
            )
            areas.append(joined)
            owners.extend(loose)
            loose = []
    skipped = sorted(skipped + loose, key=lambda r: r.index)
    if not areas:
        what = "in this file" if feature is None else f"in feature {feature!r}"
        raise InvalidInput(f"{source}: no area {what}: {_describe(skipped)}; {AREA_HINT}")
    if skipped:
        warns.append(_skipped_note(skipped))
    if len(areas) > 1:
        warns.extend(_overlap_notes(np.array(areas, dtype=object), owners))
    area = shapely.union_all(areas) if len(areas) > 1 else areas[0]
    area = to_wgs84(area, datum)
    if not area.is_valid:  # a datum shift can make parts that nearly touch overlap
        area = polygonal(shapely.make_valid(area))
    area = _oriented(area)
    _check_antimeridian(area.bounds, source)
    km2 = _km2(area)
    if km2 > limits.max_area_km2:
        raise LimitExceeded(
            f"{source}: the area is {km2:,.1f} km², over the limit of {limits.max_area_km2:,.0f} km²; "
            "raise GRIDMGR_MAX_AREA_KM2 to read it"
        )
    one = owners[0] if len(owners) == 1 else None
    name = one.name if one else _common_name(owners)
    props = dict(one.properties) if one else {}
    # each piece went through _valid or _rings_area, so their union is a Polygon or MultiPolygon
    polygons = cast(shapely.Polygon | shapely.MultiPolygon, area)
    return LoadedArea(polygons, name, props, tuple(warns), source)


def check_vertices(features: list[RawFeature], source: str, limit: int, *, what: str) -> None:
    """Refuse, before any heavy work, an area with more than `limit` vertices in all, or a cell or
    line (`what`) with more than `limit` in one feature; LimitExceeded says how to get under it."""
    geoms = np.array([raw.geometry for raw in features], dtype=object)
    counts = shapely.get_num_coordinates(geoms) if len(geoms) else np.zeros(0, dtype=int)
    if what == "area" and counts.sum() > limit:
        found, where = int(counts.sum()), f"{source}: the area has"
    elif what != "area" and len(counts) and counts.max() > limit:
        k = int(counts.argmax())
        found, where = int(counts[k]), f"{source}: {features[k].label()}: the {what} has"
    else:
        return
    raise LimitExceeded(
        f"{where} {found:,} vertices, over the limit of {limit:,}; simplify it to fewer vertices "
        "(QGIS: Vector › Geometry Tools › Simplify; mapshaper: -simplify) or raise "
        "GRIDMGR_MAX_VERTICES"
    )


def _is_lines(raw: RawFeature) -> bool:
    kinds = shapely.get_type_id(_parts(raw))
    return len(kinds) > 0 and bool((kinds == 1).all())


def _km2(area: BaseGeometry) -> float:
    """Area in km², measured in a Lambert equal-area projection centred on the area."""
    xmin, ymin, xmax, ymax = area.bounds
    laea = f"+proj=laea +lat_0={(ymin + ymax) / 2} +lon_0={(xmin + xmax) / 2} +datum=WGS84 +units=m"
    to_m = Transformer.from_crs("EPSG:4326", laea, always_xy=True)
    metric = shapely.transform(area, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1])))
    return float(metric.area) / 1e6


def _parts(raw: RawFeature) -> np.ndarray:
    """The non-empty single-part pieces of a feature's geometry (collections unpacked)."""
    geom = raw.geometry
    if geom is None or geom.is_empty:
        return np.array([], dtype=object)
    if raw.type_name in ("Point", "LineString", "Polygon"):
        return np.array([geom], dtype=object)
    parts = flatten(geom)
    return parts[~shapely.is_empty(parts)]


def _choose(features: list[RawFeature], feature: int | str, source: str) -> list[RawFeature]:
    if isinstance(feature, bool) or not isinstance(feature, int | str):
        raise InvalidInput(f"feature {feature!r}: give a 0-based index or a name")
    if isinstance(feature, int):
        if 0 <= feature < len(features):
            return [features[feature]]
        raise NotFound(
            f"{source}: no feature {feature}; the file has features 0 to {len(features) - 1}"
        )
    hits = [f for f in features if f.matches(feature)]
    if hits:
        return hits
    names = sorted({f.name for f in features if f.name})
    shown = ", ".join(repr(n) for n in names[:10]) + (
        f" and {len(names) - 10} more" if len(names) > 10 else ""
    )
    raise NotFound(
        f"{source}: no feature named {feature!r}; "
        + (f"names in the file: {shown}" if names else "no feature in the file has a name")
    )


def _common_name(features: list[RawFeature]) -> str | None:
    names = {f.name for f in features if f.name}
    return names.pop() if len(names) == 1 else None


def _feature_area(raw: RawFeature, source: str, notes: list[str]) -> BaseGeometry | None:
    """The feature's valid area: its polygons, or what its closed lines enclose; None if it has none."""
    parts = _parts(raw)
    kinds = shapely.get_type_id(parts)
    polys, lines = parts[kinds == 3], parts[kinds == 1]
    pieces = []
    if len(polys):
        whole = raw.geometry if raw.type_name in ("Polygon", "MultiPolygon") else None
        if whole is None:
            whole = polys[0] if len(polys) == 1 else shapely.multipolygons(polys)
        pieces.append(_valid(whole, source, raw.label(), notes))
    if len(lines):
        enclosed = _rings_area(lines, source, raw.label(), notes)
        if enclosed is not None:
            pieces.append(enclosed)
        elif pieces:
            notes.append(
                Phrase.of(
                    "{label}: its lines do not close into rings and were left out",
                    label=raw.label(),
                )
            )
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else _oriented(shapely.union_all(pieces))


def _rings_area(
    lines: np.ndarray, source: str, label: str, notes: list[str]
) -> BaseGeometry | None:
    """The area lines enclose when they join end to end into closed rings (nested rings make holes)."""
    rings = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    if not shapely.is_closed(rings).all():
        # rings sharing stretches (adjacent parcels) only close once their crossings are noded
        noded = shapely.line_merge(shapely.union_all(lines))
        _polys, cuts, dangles, invalid = shapely.polygonize_full([noded])
        if not (dangles.is_empty and cuts.is_empty and invalid.is_empty):
            return None
        area = shapely.build_area(noded)
        if area.is_empty:
            return None
        return _oriented(_with_area(area, f"{source}: {label}", label, notes))
    polys = []
    for k, ring in enumerate(rings):
        xy = shapely.get_coordinates(ring)
        if len(np.unique(xy, axis=0)) < 3:
            raise InvalidInput(f"{source}: {label}: closed line {k} encloses no area")
        polys.append(_valid(shapely.Polygon(xy), source, f"{label}, closed line {k}", notes))
    if len(rings) > 1:
        a, b = shapely.STRtree(rings).query(rings, predicate="crosses")
        if (a < b).any():
            i, j = a[a < b][0], b[a < b][0]
            x, y = shapely.get_coordinates(shapely.intersection(rings[i], rings[j]))[0]
            raise InvalidInput(
                f"{source}: {label}: closed lines {i} and {j} cross each other at longitude {x:.7g}, "
                f"latitude {y:.7g}; an outline and its holes must not cross"
            )
    area = reduce(shapely.symmetric_difference, polys)  # even-odd: a ring inside another is a hole
    return _oriented(polygonal(area))


def _valid(geom: BaseGeometry, source: str, label: str, notes: list[str]) -> BaseGeometry:
    """The geometry made valid where that is safe (winding, small self-intersections), else refused."""
    where = f"{source}: {label}"
    try:
        if geom.is_valid:
            return _oriented(_with_area(geom, where, label, notes))
        parts = shapely.get_parts(geom)
        if len(parts) > 1 and shapely.is_valid(parts).all():
            notes.append(
                Phrase.of(
                    "{label}: its polygons overlap or touch along an edge; their union is used",
                    label=label,
                )
            )
            union = shapely.union_all(parts)
            return _oriented(_with_area(union, where, label, notes))
        reason = shapely.is_valid_reason(geom)
        repaired = polygonal(shapely.make_valid(geom))
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(
            f"{where}: the geometry cannot be processed: {exc}; {FIX_HINT}"
        ) from None
    written = _written_area(geom)
    if repaired.is_empty or not has_area(shapely.get_parts(repaired), FLAT_DEGREES).any():
        raise InvalidInput(
            f"{where}: the polygon encloses no area ({_reason_text(reason)}): its positions lie on "
            "one line or repeat; draw the outline with at least three distinct corners"
        )
    change = abs(repaired.area - written) / written if written > 0 else float("inf")
    if change > _REPAIR_TOLERANCE:
        raise InvalidInput.of(
            "{where}: the polygon is not valid: {reason}; repairing it would change its "
            "area by {change}, so it is refused; {advice}",
            where=where,
            reason=_reason_text(reason),
            change=_share(change),
            advice=repair_advice(reason),
        )
    moved = "less than 0.001%" if change < 1e-5 else f"{change:.3%}"
    notes.append(
        Phrase.of(
            "{label}: {reason} repaired (the area changed by {moved})",
            label=label,
            reason=_reason_text(reason),
            moved=moved,
        )
    )
    return _oriented(repaired)


def _with_area(geom: BaseGeometry, where: str, label: str, notes: list[str]) -> BaseGeometry:
    """A valid polygon without its parts that have no area (noted), or refused if none has any."""
    parts = shapely.get_parts(geom)
    kept = has_area(parts, FLAT_DEGREES)
    if kept.all():
        return geom
    if not kept.any():
        raise InvalidInput.of(
            "{where}: the polygon encloses no area: its corners lie on one line or repeat (it is "
            "nowhere wider than about 1 cm); draw the outline with at least three corners that "
            "are not on one line",
            where=where,
        )
    notes.append(
        Phrase.of(
            "{label}: {n} of its {total} polygons enclose no area (corners on one line) and were "
            "left out",
            label=label,
            n=int((~kept).sum()),
            total=len(parts),
        )
    )
    kept_parts = parts[kept]
    out = shapely.multipolygons(kept_parts) if len(kept_parts) > 1 else kept_parts[0]
    assert isinstance(out, BaseGeometry)
    return out


def _share(change: float) -> str:
    return "more than 100%" if change > 1 else f"{change:.1%}"


def repair_advice(reason: str) -> Phrase:
    """What to do about a geometry fault GEOS named (self-intersection, a hole outside its shell, ...)."""
    low = reason.lower()
    if "self-intersection" in low:
        return Phrase("redraw the ring so it does not cross itself")
    if "hole lies outside shell" in low:
        return Phrase("put each hole inside its outer ring, or make it a polygon of its own")
    return FIX_HINT


def _written_area(geom: BaseGeometry) -> float:
    """Area as the rings are written (shoelace of each ring: exteriors minus holes), valid or not."""
    total = 0.0
    for poly in shapely.get_parts(geom):
        total += abs(_shoelace(shapely.get_coordinates(poly.exterior)))
        total -= sum(abs(_shoelace(shapely.get_coordinates(r))) for r in poly.interiors)
    return total


def _shoelace(xy: np.ndarray) -> float:
    x, y = xy[:, 0] - xy[0, 0], xy[:, 1] - xy[0, 1]  # relative to a vertex: fewer rounding errors
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _reason_text(reason: str) -> str:
    m = _LOCATION.search(reason)
    what = reason.split("[")[0].strip().lower() or "invalid geometry"
    if m:
        return f"{what} at longitude {float(m.group(1)):.10g}, latitude {float(m.group(2)):.10g}"
    return what


def _check_antimeridian(bounds: tuple[float, ...] | np.ndarray, source: str) -> None:
    xmin, _, xmax, _ = bounds
    if xmax - xmin > 180:
        raise InvalidInput(
            f"{source}: the area spans {xmax - xmin:.0f}° of longitude: it crosses the antimeridian, "
            "which gridmgr does not handle; split it at 180° and read each side on its own"
        )


def _overlap_notes(polys: np.ndarray, owners: list[RawFeature]) -> list[str]:
    """A warning naming the features whose areas overlap (their union is what is used)."""
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
    shown = "; ".join(pairs[:5]) + (f"; and {len(pairs) - 5} more" if len(pairs) > 5 else "")
    word = "pair of features overlaps" if len(pairs) == 1 else "pairs of features overlap"
    return [f"{len(pairs)} {word}, so their union is used: {shown}"]


# --- describing what is not an area --------------------------------------------------------


def _kind(raw: RawFeature) -> tuple[str, str]:
    """What a feature that is not an area is, singular and plural: ('Point', 'Points')."""
    parts = _parts(raw)
    if raw.geometry is None:
        return "feature with no geometry", "features with no geometry"
    if len(parts) == 0:
        return f"empty {raw.type_name}", f"empty {raw.type_name}s"
    if raw.type_name == "GeometryCollection":
        counts = Counter(p.geom_type for p in parts)
        inner = _and([f"{n} {t}{'s' if n > 1 else ''}" for t, n in counts.most_common()])
        return f"GeometryCollection of {inner}", f"GeometryCollections of {inner}"
    if raw.type_name in ("LineString", "MultiLineString"):
        return (
            f"{raw.type_name} whose ends do not meet",
            f"{raw.type_name}s whose ends do not meet",
        )
    return raw.type_name, f"{raw.type_name}s"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe(features: list[RawFeature]) -> str:
    """'feature 0 is a Point', or what `_grouped` says for several features."""
    if len(features) != 1:
        return _grouped(features)
    raw = features[0]
    who = f'feature {raw.index} ("{raw.name}")' if raw.name else f"feature {raw.index}"
    if raw.geometry is None:
        return f"{who} has no geometry"
    one, _many = _kind(raw)
    return f"{who} is {'an' if one[0].lower() in 'aeiou' else 'a'} {one}"


def _grouped(features: list[RawFeature]) -> str:
    """'2 Points: features 0, 1; 1 MultiPoint: feature 2' (at most 10 indices a kind)."""
    if not features:
        return "it has no features"
    groups: dict[tuple[str, str], list[int]] = {}
    for raw in features:
        groups.setdefault(_kind(raw), []).append(raw.index)
    texts = []
    for (one, many), idx in groups.items():
        shown = ", ".join(str(i) for i in idx[:10]) + (" …" if len(idx) > 10 else "")
        plural = len(idx) > 1
        texts.append(
            f"{len(idx)} {many if plural else one}: feature{'s' if plural else ''} {shown}"
        )
    return "; ".join(texts)


def _skipped_note(skipped: list[RawFeature]) -> Phrase:
    n = len(skipped)
    if n == 1:
        return Phrase.of(
            "1 feature that is not an area was skipped ({which})", which=_grouped(skipped)
        )
    return Phrase.of(
        "{n} features that are not areas were skipped ({which})", n=n, which=_grouped(skipped)
    )


def _oriented(geom: BaseGeometry) -> BaseGeometry:
    """The polygons with RFC 7946's winding: exterior rings counter-clockwise, holes clockwise."""
    out = shapely.orient_polygons(geom)
    assert isinstance(out, BaseGeometry)
    return out
