"""The roll-up endpoint (DESIGN.md, "Areas nest"), added to the API blueprint: an area's figures and
each child's at a moment. Managers and planners; a scoped user only within its area."""

from __future__ import annotations

from gridmgr.services.rollup import rollup
from gridmgr.web import reports_engine_of
from gridmgr.web.api.rollup_json import rollup_to_json
from gridmgr.web.api.routes import READERS, bp, moment_arg
from gridmgr.web.auth import roles_required
from gridmgr.web.revalidate import revalidated_json


@bp.get("/areas/<slug>/rollup")
@roles_required(*READERS)
def area_rollup(slug: str):
    """`{"area", "at", "total": ROW, "children": [ROW...]}` at `?at=` (default now)."""
    r = rollup(reports_engine_of(), slug, at=moment_arg())
    return revalidated_json(rollup_to_json(r), moment_key="at")
