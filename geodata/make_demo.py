"""Draw the project's demo areas (fictional shapes placed in Qingdao, Laoshan 370212) as GeoJSON.

Run: python geodata/make_demo.py   (rewrites the .geojson files beside it, deterministically)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
LON0, LAT0 = 120.4630, 36.1030
M_PER_DEG_LAT = 111_000.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(LAT0))


def lonlat(x_m: float, y_m: float) -> list[float]:
    """A position x_m east and y_m north of the demo origin, rounded to 7 decimals."""
    return [round(LON0 + x_m / M_PER_DEG_LON, 7), round(LAT0 + y_m / M_PER_DEG_LAT, 7)]


def ring(points_m: list[tuple[float, float]], *, clockwise: bool = False) -> list[list[float]]:
    """A closed GeoJSON ring from metre offsets (counter-clockwise unless asked otherwise)."""
    pts = [lonlat(x, y) for x, y in points_m]
    area2 = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(pts, pts[1:] + pts[:1], strict=True))
    if (area2 < 0) != clockwise:
        pts.reverse()
    return [*pts, pts[0]]


def blob(cx: float, cy: float, radii: list[float]) -> list[tuple[float, float]]:
    """A star-shaped outline around (cx, cy) in metres."""
    n = len(radii)
    return [
        (cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n))
        for k, r in enumerate(radii)
    ]


# the park: about 390 m x 280 m, with an inlet (a boat house cut-in) on the south side
PARK = [
    (-200, -120), (-120, -135), (-40, -140), (-10, -90), (20, -85), (45, -140), (120, -132),
    (185, -110), (200, -60), (205, 10), (195, 80), (160, 125), (100, 140), (30, 142),
    (-40, 138), (-110, 130), (-170, 110), (-195, 60), (-205, 0), (-205, -60),
]  # fmt: skip
POND = blob(-60, 20, [58, 55, 50, 46, 50, 56, 62, 60, 56, 52, 50, 54])
ISLAND = blob(-62, 22, [18, 17, 16, 17, 19, 18, 16, 17])
# the community: two parts either side of a 30 m road
COMMUNITY_WEST = [
    (400, -250),
    (620, -260),
    (640, -100),
    (630, 60),
    (600, 150),
    (420, 160),
    (390, 0),
    (395, -120),
]
COMMUNITY_EAST = [(670, -240), (900, -230), (915, -60), (905, 120), (690, 140), (675, 0)]
# footpaths crossing the park from edge to edge (each starts and ends outside it)
PATHS = {
    "North-south path": [(60, -170), (55, -40), (70, 60), (65, 170)],
    "Lakeside path": [(-235, -75), (-120, -60), (10, -20), (120, -30), (235, -20)],
    "Orchard path": [(-230, 95), (-130, 88), (-50, 100), (20, 95), (130, 100), (230, 90)],
}


def feature(geometry: dict, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write(name: str, features: list[dict]) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    (HERE / name).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    park_props = {
        "name": "Haibin Children's Park",
        "name_zh": "海滨儿童公园",
        "kind": "park",
        "code": "370212",
    }
    write(
        "demo_park.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(PARK), ring(POND, clockwise=True)]},
                **park_props,
            ),
            feature(
                {"type": "Polygon", "coordinates": [ring(ISLAND)]}, **park_props, part="island"
            ),
        ],
    )
    write(
        "demo_community.geojson",
        [
            feature(
                {
                    "type": "MultiPolygon",
                    "coordinates": [[ring(COMMUNITY_WEST)], [ring(COMMUNITY_EAST)]],
                },
                name="Xinhe Residential Community",
                name_zh="新河社区",
                kind="community",
                code="370212003001",
            )
        ],
    )
    write(
        "demo_paths.geojson",
        [
            feature(
                {"type": "LineString", "coordinates": [lonlat(x, y) for x, y in pts]},
                name=name,
                kind="path",
            )
            for name, pts in PATHS.items()
        ],
    )


if __name__ == "__main__":
    main()
