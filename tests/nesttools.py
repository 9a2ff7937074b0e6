"""Areas inside areas for tests: a district of made-up rectangles near Harbin, written as GeoJSON."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import shapely

# a district about 4 km × 3 km; streets are vertical strips of it
WEST, SOUTH, EAST, NORTH = 126.60, 45.74, 126.65, 45.767


def district() -> shapely.Polygon:
    """The made-up district's outline (WGS84)."""
    return shapely.box(WEST, SOUTH, EAST, NORTH)


def strips(
    cuts: list[float], *, south: float = SOUTH, north: float = NORTH
) -> list[shapely.Polygon]:
    """Vertical strips of the district between longitudes WEST, *cuts, EAST."""
    edges = [WEST, *cuts, EAST]
    return [shapely.box(a, south, b, north) for a, b in itertools.pairwise(edges)]


def write_features(path: Path, shapes: list, props: list[dict] | None = None) -> Path:
    """A FeatureCollection of the shapes with the given properties (none by default)."""
    props = props or [{} for _ in shapes]
    features = [
        {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        for g, p in zip(shapes, props, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


STREETS = ["新阳路街道", "抚顺街道", "安静街道"]


def street_file(tmp_path, cuts, names=STREETS, codes=("230102001", "230102002", "230102003"), **kw):
    """Three streets cut from the district at the given longitudes, as a GeoJSON file."""
    shapes = strips(cuts, **kw)
    props = [{"name": n, "code": c, "pop": 1} for n, c in zip(names, codes, strict=False)]
    return write_features(tmp_path / "streets.geojson", shapes, props)
