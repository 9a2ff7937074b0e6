"""The OpenAPI path of the vector tiles (`web/api/tiles.py`), which `openapi.openapi_document()` merges in."""

from __future__ import annotations

from typing import Any

from gridmgr.files.tiles import MVT_TYPE
from gridmgr.geometry.tiles import BUFFER, EXTENT, MAX_ZOOM

PLAN_MAX = 2**31 - 1


def _whole(name: str, description: str, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": 0}
    if maximum is not None:
        schema["maximum"] = maximum
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema}  # fmt: skip


PATHS: dict[str, Any] = {
    "/areas/{slug}/tiles/{z}/{x}/{y}.mvt": {
        "parameters": [
            {
                "name": "slug",
                "in": "path",
                "required": True,
                "description": "the area's slug",
                "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
            },
            _whole("z", "the zoom", MAX_ZOOM),
            _whole("x", "the column from the west, 0 to 2^z - 1"),
            _whole("y", "the row from the north, 0 to 2^z - 1"),
        ],
        "get": {
            "operationId": "getTile",
            "summary": "a Mapbox Vector Tile of the plan's cells (managers, planners; within a "
            "scoped user's area)",
            "description": f"Web Mercator tile z/x/y (EPSG:3857) with one layer `cells` (extent "
            f"{EXTENT}, buffer {BUFFER}): each cell meeting the tile, cut to it, with the properties "
            "`code`, `status` (ok|due|overdue|unstaffed|unscheduled at `at`, as the coverage map "
            'colours it), `wardens` (names joined by ", "), `wardens_count` and `posts` (JSON '
            "text of [[name, role], ...]). Zoomed out, where the plan's mean cell is under 4 "
            "pixels on the screen, the layer `statuses` instead: one (multi)polygon per status, "
            "the union of the cells of that status meeting the tile simplified to a pixel, with "
            "the properties `status`, `cells` (how many cells of that status meet the tile) and "
            "`cells_zoom` (the lowest zoom whose tiles carry single cells). The coverage map "
            "draws big plans from these (GRIDMGR_TILES_ABOVE). No cell shows in the tile: 204 "
            "without body.",
            "parameters": [
                {
                    "name": "at",
                    "in": "query",
                    "required": False,
                    "description": "the moment of the statuses (ISO; without offset the area's "
                    "clock), and the plan in force then; default now and the active plan",
                    "schema": {"type": "string"},
                },
                {
                    "name": "plan",
                    "in": "query",
                    "required": False,
                    "description": "this version of the area's plans instead",
                    "schema": {"type": "integer", "minimum": 1, "maximum": PLAN_MAX},
                },
            ],
            "responses": {
                "200": {
                    "description": "the tile (gzip or br when accepted; an ETag to revalidate)",
                    "content": {MVT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                },
                "204": {"description": "no cell of the plan shows in this tile (or no plan yet)"},
                **{str(c): {"$ref": f"#/components/responses/E{c}"} for c in (401, 403, 404, 422)},
            },
        },
    }
}
SCHEMAS: dict[str, Any] = {}
