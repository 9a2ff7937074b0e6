"""The rounds list of a cell (`GET /areas/{slug}/cells/{code}/rounds?day=`), a route added to the
API blueprint: managers and planners read every cell, a warden its own cells."""

from __future__ import annotations

from datetime import date

from flask import g, request

from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.services.round_list import cell_rounds
from gridmgr.web import engine_of
from gridmgr.web.api.routes import bp
from gridmgr.web.api.serialise import round_to_json
from gridmgr.web.auth import roles_required


@bp.get("/areas/<slug>/cells/<code>/rounds")
@roles_required("manager", "planner", "warden")
def list_rounds(slug: str, code: str):
    """The cell's rounds on a day of the area's clock (default today), oldest first, with evidence."""
    warden = None
    if g.user.role == "warden":
        warden = g.user.warden
        if not warden:
            raise Forbidden("this login is not linked to a warden; ask a manager")
    listed = cell_rounds(engine_of(), slug, code, day=_day_arg(), warden=warden)
    return [round_to_json(r) for r in listed.rounds]


def _day_arg() -> date | None:
    text = request.args.get("day") or None
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"day={text!r}: write the day as YYYY-MM-DD, e.g. 2026-11-24") from None
    if not 1971 <= day.year <= 9000:
        raise InvalidInput(f"day={text!r}: no round was logged in {day.year}; check the year")
    if len(text) != 10:
        raise InvalidInput(f"day={text!r}: write the day as YYYY-MM-DD, e.g. 2026-11-24")
    return day
