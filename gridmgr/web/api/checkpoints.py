"""The JSON API of checkpoints and visitor caps (DESIGN.md, "Checkpoints and visitor caps"), routes
added to the API blueprint: counts at a gate, an area's occupancy and its day's curve, its checkpoints.

Roles: a warden counts at checkpoints it is posted at and reads the occupancy of their area; managers
count anywhere and may override a cap with a reason; managers and planners read everything.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Response, g, request

from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.services.checkpoints import list_checkpoints, posted_in_area
from gridmgr.services.finding_views import Actor
from gridmgr.services.occupancy import occupancy, occupancy_curve, record_count
from gridmgr.web import engine_of
from gridmgr.web.api.checkpoints_json import (
    checkpoint_to_json,
    count_to_json,
    curve_to_json,
    occupancy_to_json,
)
from gridmgr.web.api.routes import bp, json_body
from gridmgr.web.auth import roles_required

COUNT_FIELDS = {"in", "out", "at", "override", "reason"}


def _actor() -> Actor:
    user = g.user
    return Actor(user.username, user.role, user.warden)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _people(body: dict, name: str) -> int:
    value = body.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f'"{name}" must be a whole number of people, 0 or more')
    return value


def _may_read(slug: str) -> None:
    """Managers and planners read any area; a warden only one where it is posted at a gate."""
    user = g.user
    if user.role == "warden" and not (
        user.warden and posted_in_area(engine_of(), slug, user.warden)
    ):
        raise Forbidden(
            f"you are posted at no checkpoint of {slug}; only its gates' wardens read its counts"
        )


@bp.post("/areas/<slug>/checkpoints/<int:checkpoint_id>/counts")
@roles_required("warden", "manager")
def count(slug: str, checkpoint_id: int):
    """Count people in and out at a checkpoint; 409 at_capacity for entries past a cap."""
    body = json_body()
    unknown = sorted(set(body) - COUNT_FIELDS)
    if unknown:
        raise InvalidInput(f'unknown field "{unknown[0]}"; a count takes {sorted(COUNT_FIELDS)}')
    at = body.get("at")
    if at is not None and not isinstance(at, str):
        raise InvalidInput('"at" must be an ISO time such as 2026-11-24T10:00')
    override = body.get("override", False)
    if not isinstance(override, bool):
        raise InvalidInput('"override" must be true or false')
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInput('"reason" must be text')
    made, _ = record_count(
        engine_of(),
        slug,
        checkpoint_id,
        _actor(),
        n_in=_people(body, "in"),
        n_out=_people(body, "out"),
        at=at,
        override=override,
        reason=reason,
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    return _json(count_to_json(made), 201)


@bp.get("/areas/<slug>/occupancy")
@roles_required("manager", "planner", "warden")
def area_occupancy(slug: str):
    """People inside the area today against its limit, its slots and each checkpoint's counts."""
    _may_read(slug)
    at = request.args.get("at") or None
    return _json(occupancy_to_json(occupancy(engine_of(), slug, at=at)))


@bp.get("/areas/<slug>/occupancy/curve")
@roles_required("manager", "planner", "warden")
def area_curve(slug: str):
    """The area's occupancy through a day (default today), the highest in each step."""
    _may_read(slug)
    day_text = request.args.get("day") or None
    try:
        day = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        raise InvalidInput(f"day={day_text!r} is not a date written YYYY-MM-DD") from None
    step_text = request.args.get("step", "10")
    if not step_text.isdigit():
        raise InvalidInput("step must be a whole number of minutes, 1 to 240")
    return _json(
        curve_to_json(occupancy_curve(engine_of(), slug, day=day, step_min=int(step_text)))
    )


@bp.get("/areas/<slug>/checkpoints")
@roles_required("manager", "planner")
def checkpoints(slug: str):
    """The area's checkpoints with the wardens posted there."""
    return _json([checkpoint_to_json(c) for c in list_checkpoints(engine_of(), slug)])
