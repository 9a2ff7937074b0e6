"""Managers' pages: the list of areas and each area's coverage map."""

from __future__ import annotations

from flask import Blueprint, render_template

from gridmgr import services
from gridmgr.web import engine_of
from gridmgr.web.auth import roles_required

bp = Blueprint("manage", __name__)


@bp.get("/areas")
@roles_required("manager", "planner")
def areas():
    """Every area with its plan and cell count, linking to its map and plan pages."""
    return render_template("areas.html", areas=services.list_areas(engine_of()))
