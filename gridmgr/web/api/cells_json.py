"""The cells API's two answers: a GeoJSON FeatureCollection, and the compact columns of docs/api.md,
built from `services.cellmap.PlanCells` with array operations over the whole plan (no Flask here)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmgr.errors import InvalidInput
from gridmgr.services.cellmap import PlanCells

CELL_FIELDS = ("code", "area_m2", "wardens", "schedule", "status", "weight")
CELL_FORMATS = ("geojson", "compact")
STATUSES = ("ok", "due", "overdue", "unstaffed", "unscheduled")  # compact status 0..4
PRECISION_RANGE = (5, 7)
_HOLE = float("nan")
_MULTIPOLYGON = 6  # shapely.get_type_id of a MultiPolygon


def cell_fields(text: str | None) -> tuple[str, ...]:
    """The properties asked for in `fields=code,status` (all of them when None), or InvalidInput."""
    if text is None:
        return CELL_FIELDS
    wanted = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    bad = [f for f in wanted if f not in CELL_FIELDS]
    if bad or not wanted:
        raise InvalidInput(
            f"fields: unknown field {bad[0]!r}; use some of {', '.join(CELL_FIELDS)}"
            if bad
            else f"fields: name at least one of {', '.join(CELL_FIELDS)}"
        )
    return wanted


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building 10,000 small dicts otherwise sets off full
    collections over the whole process's heap, which cost more than the building itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def check_precision(precision: int) -> None:
    """Refuse a precision outside PRECISION_RANGE (or not a whole number) with InvalidInput."""
    lo, hi = PRECISION_RANGE
    if isinstance(precision, bool) or not isinstance(precision, int) or not lo <= precision <= hi:
        raise InvalidInput(f"precision must be a whole number from {lo} to {hi}, got {precision!r}")


def cells_to_geojson(data: PlanCells | None, fields: tuple[str, ...], precision: int) -> str:
    """The cells as GeoJSON text: a FeatureCollection, properties trimmed to `fields` (CELL_FIELDS
    order): code, area_m2, wardens ([{name, role}]), schedule ({times, extra} or null), status
    (ok|due|overdue|unstaffed|unscheduled) and, when the plan was made with a weight, weight. Coordinates are rounded to `precision` decimals (5 to 7;
    7 is about 1 cm). Geometries are written by GEOS for the whole plan at once, so 10,000 cells take
    a few tens of milliseconds. No plan (not gridded yet): no features.
    """
    check_precision(precision)
    if data is None:
        return '{"type":"FeatureCollection","features":[]}'
    fields = tuple(f for f in CELL_FIELDS if f in fields)
    cells, states = data.cells, data.states
    geoms = np.asarray(cells.geometry.values)
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, precision))
    texts = shapely.to_geojson(rounded)
    columns: dict[str, list[Any]] = {}
    if "code" in fields:
        columns["code"] = list(cells["code"])
    if "area_m2" in fields:
        columns["area_m2"] = [round(float(a), 1) for a in cells["area_m2"]]
    if "wardens" in fields and states is not None:
        columns["wardens"] = [
            [{"name": n, "role": r} for n, r in posts] for posts in states.wardens()
        ]
    if "schedule" in fields:
        shown = [{"times": list(t), "extra": e} for t, e in data.schedules]
        columns["schedule"] = [
            None if (k := data.schedule_of.get(int(i))) is None else shown[k] for i in cells["id"]
        ]
    if "status" in fields and states is not None:
        columns["status"] = list(states.status)
    if "weight" in fields and "weight" in cells:
        columns["weight"] = weight_column(cells["weight"])
    names = list(columns)
    rows = zip(*columns.values(), strict=True) if names else ([] for _ in texts)
    # one C-speed dump of the whole collection with NaN standing in for each geometry, then the
    # geometries GEOS wrote spliced in: `"geometry":NaN` cannot occur inside a JSON string
    skeleton = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": _HOLE,
                    "properties": dict(zip(names, v, strict=True)),
                }
                for v in rows
            ],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    pieces = skeleton.split('"geometry":NaN')
    out = [pieces[0]]
    for g, rest in zip(texts, pieces[1:], strict=True):
        out.append('"geometry":')
        out.append(g)
        out.append(rest)
    return "".join(out)


def cells_to_compact(data: PlanCells | None, fields: tuple[str, ...], precision: int) -> str:
    """The same cells in the compact format of docs/api.md, about a quarter the size.

    Properties are columns (status and wardens as indices into `tables`, codes as prefix + numbers
    when they allow it); coordinates are integers in units of 10^-precision degrees, each ring's
    first vertex relative to `origin` and every next one as the difference from the one before, the
    closing vertex left out. Built with array operations over the whole plan, no loop per cell.
    """
    check_precision(precision)
    fields = tuple(f for f in CELL_FIELDS if f in fields)
    if data is None:
        empty = gpd.GeoDataFrame({"id": [], "code": [], "area_m2": []}, geometry=[])
        data = PlanCells(0, empty)
    cells, n, states = data.cells, len(data.cells), data.states
    columns: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    if "code" in fields:
        columns["code"] = code_column(cells["code"])
    if "area_m2" in fields:
        columns["area_m2"] = np.round(cells["area_m2"].to_numpy(dtype=float), 1).tolist()
    if "wardens" in fields:
        columns["wardens"], tables["wardens"] = _warden_column(
            states.wardens() if states is not None else []
        )
    if "schedule" in fields:
        where = pd.Series(data.schedule_of, dtype="int64").reindex(cells["id"].to_numpy())
        index = where.fillna(-1).to_numpy(dtype=np.int64).astype(object)
        index[index == -1] = None
        columns["schedule"] = index.tolist()
        tables["schedule"] = [{"times": list(t), "extra": e} for t, e in data.schedules]
    if "status" in fields:
        statuses = list(states.status) if states is not None else []
        columns["status"] = pd.Categorical(statuses, categories=STATUSES).codes.tolist()
        tables["status"] = list(STATUSES)
    if "weight" in fields and "weight" in cells:
        columns["weight"] = weight_column(cells["weight"])
    geometries, origin = _compact_geometries(np.asarray(cells.geometry.values), precision)
    return json.dumps(
        {
            "format": "compact",
            "count": n,
            "precision": precision,
            "origin": origin,
            "columns": columns,
            "tables": tables,
            "geometries": geometries,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def weight_column(weights: pd.Series) -> list[float | None]:
    """Each cell's workload (households, visitors) rounded to 3 decimals; None where not weighed."""
    values = np.round(weights.to_numpy(dtype=float), 3).astype(object)
    values[pd.isna(weights.to_numpy(dtype=float))] = None
    return values.tolist()


def code_column(codes: pd.Series) -> list[str] | dict[str, Any]:
    """Codes as {"prefix", "width", "numbers"} when every code is one prefix and a number, else as they are.

    `width` is the digits the numbers are zero-padded to (0: written as they are).
    """
    values = codes.astype(str)
    if not len(values):
        return []
    # the common prefix of the lowest and highest strings is the common prefix of them all
    low, high = str(values.min()), str(values.max())
    same = next((k for k, (a, b) in enumerate(zip(low, high, strict=False)) if a != b), None)
    prefix = low[: min(len(low), len(high)) if same is None else same].rstrip("0123456789")
    tails = values.str.slice(len(prefix))
    if not tails.str.fullmatch(r"[0-9]{1,15}").all():
        return values.tolist()
    lengths = tails.str.len()
    if lengths.nunique() == 1:
        width = int(lengths.iloc[0])
    elif not (tails.str.startswith("0") & (lengths > 1)).any():
        width = 0
    else:  # zero-padded to different widths: the numbers cannot say how
        return values.tolist()
    return {"prefix": prefix, "width": width, "numbers": tails.astype(np.int64).tolist()}


def _warden_column(
    per_cell: list[list[tuple[str, str]]],
) -> tuple[dict[str, list[int]], list[list[str]]]:
    """Each cell's wardens as a count per cell and indices into a table of distinct [name, role]."""
    counts = np.fromiter(map(len, per_cell), dtype=np.int64, count=len(per_cell))
    posts = list(chain.from_iterable(per_cell))
    if not posts:
        return {"counts": counts.tolist(), "posts": []}, []
    pairs = pd.MultiIndex.from_arrays(
        [list(map(itemgetter(0), posts)), list(map(itemgetter(1), posts))]
    )
    index, distinct = pairs.factorize()
    return (
        {"counts": counts.tolist(), "posts": index.tolist()},
        [[str(name), str(role)] for name, role in distinct],
    )


def _compact_geometries(
    geoms: np.ndarray, precision: int
) -> tuple[dict[str, list[int]], list[int]]:
    """Polygons and MultiPolygons as counts (parts per cell, rings per part, vertices per ring) and
    delta-encoded integer coordinates, with the origin they start from."""
    types = shapely.get_type_id(geoms)
    parts, part_cell = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    n_parts = np.bincount(part_cell, minlength=len(geoms))
    n_rings = np.bincount(ring_part, minlength=len(parts))
    n_vertices = np.bincount(vertex_ring, minlength=len(rings))
    keep = np.ones(len(xy), dtype=bool)
    keep[np.cumsum(n_vertices)[n_vertices > 0] - 1] = False  # each ring's closing vertex
    n_kept = np.maximum(n_vertices - 1, 0)
    units = np.rint(xy[keep] * 10.0**precision).astype(np.int64)
    origin = units.min(axis=0) if len(units) else np.zeros(2, dtype=np.int64)
    units -= origin
    steps = units.copy()
    steps[1:] -= units[:-1]
    firsts = (np.cumsum(n_kept) - n_kept)[n_kept > 0]
    steps[firsts] = units[firsts]  # a ring starts from the origin, not from the last ring
    return (
        {
            "parts": n_parts.tolist(),
            "multi": np.flatnonzero(types == _MULTIPOLYGON).tolist(),
            "rings": n_rings.tolist(),
            "vertices": n_kept.tolist(),
            "coords": steps.ravel().tolist(),
        },
        origin.tolist(),
    )
