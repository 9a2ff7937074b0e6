"""The warden's own page: their cells on a map, today's rounds, one tap to log a round."""

from __future__ import annotations

from flask import Blueprint

from gridmgr.web.auth import roles_required

bp = Blueprint("warden", __name__)


@bp.get("/me")
@roles_required("warden")
def me():
    """The warden's cells and today's rounds."""
    return "not yet"
