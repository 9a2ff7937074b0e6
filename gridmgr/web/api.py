"""The JSON API under /api/v1 (DESIGN.md): token auth, areas, grids, cells, coverage, rounds."""

from __future__ import annotations

from flask import Blueprint, request

from gridmgr import services
from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.web import engine_of, error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    """The request's JSON object, or InvalidInput naming what is wrong with it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


@bp.post("/token")
def token():
    """Trade a user name and password for a bearer token."""
    body = json_body()
    try:
        user = services.authenticate(
            engine_of(), str(body.get("username", "")), str(body.get("password", ""))
        )
    except Forbidden as exc:
        return error_response(401, "unauthorized", str(exc))
    return {"token": services.issue_token(engine_of(), user["id"])}
