"""Vector tiles of an area's plan (`GET /areas/{slug}/tiles/{z}/{x}/{y}.mvt`), a route added to the
API blueprint: what the coverage map draws from when a plan has too many cells to send whole."""

from __future__ import annotations

from flask import Response, request

from gridmgr.errors import InvalidInput
from gridmgr.files.tiles import MVT_TYPE
from gridmgr.services.tiles import plan_tile
from gridmgr.web import engine_of, tile_cache_of
from gridmgr.web.api.cells_json import collector_paused
from gridmgr.web.api.openapi_tiles import PLAN_MAX
from gridmgr.web.api.routes import READERS, bp, moment_arg
from gridmgr.web.auth import roles_required
from gridmgr.web.revalidate import revalidated


@bp.get("/areas/<slug>/tiles/<int(signed=True):z>/<int(signed=True):x>/<int(signed=True):y>.mvt")
@roles_required(*READERS)
def tile(slug: str, z: int, x: int, y: int):
    """One Mapbox Vector Tile of the plan's cells (layer `cells`, or `statuses` where cells are a few
    pixels); 204 without body when none meets it."""
    version = request.args.get("plan") or None
    if version is not None and not (version.isdigit() and 1 <= int(version) <= PLAN_MAX):
        raise InvalidInput.of(
            "plan must be a plan's version number (1, 2, ...), got {version!r}", version=version
        )
    with collector_paused():  # as for the cells: many small objects, no full collections
        made = plan_tile(
            engine_of(), slug, z, x, y, at=moment_arg(),
            plan=None if version is None else int(version), cache=tile_cache_of(),
        )  # fmt: skip
    if not made.data:
        resp = Response(status=204)
        resp.headers["Cache-Control"] = "private, no-cache"
        return resp
    return revalidated(Response(made.data, mimetype=MVT_TYPE))
