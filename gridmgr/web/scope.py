"""Scoped users on every page and endpoint: each request naming an area (its slug), a finding or a
photo is checked against the user's scope before its view runs (`services.scopes`), so no view can
forget it. An area outside the scope answers 404, as if it did not exist; adding a top-level area
answers 403 (a child of an area within the scope may be added). Lists of areas are filtered with `visible_rows`."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, g, request

from gridmgr.errors import Forbidden
from gridmgr.services.roster import WardenRow
from gridmgr.services.scopes import (
    S,
    check_area,
    check_finding,
    check_photo,
    visible,
    wardens_in_scope,
)
from gridmgr.web import engine_of

ADDS_TOP_AREAS = {"api.add_area", "plan.new_area"}
NAMES_AN_AREA = {"api.audit", "audit.log"}  # `?area=SLUG`


def init_app(app: Flask) -> None:
    """Check every request of a scoped user against its scope (after the user is loaded)."""

    @app.before_request
    def _within_scope():
        user = g.get("user")
        if user is None or getattr(user, "scope_id", None) is None:
            return None
        args = request.view_args or {}
        engine = engine_of()
        if request.endpoint in ADDS_TOP_AREAS:
            parent = _parent_asked()
            if parent:  # a child of an area within the scope is within it
                check_area(engine, user, parent)
                return None
            raise Forbidden.of(
                "you see only {scope} and the areas below it; ask an unscoped planner to add "
                "areas outside it",
                scope=user.scope,
            )
        if "slug" in args:
            check_area(engine, user, str(args["slug"]))
        if request.endpoint in NAMES_AN_AREA and request.args.get("area"):
            check_area(engine, user, request.args["area"])
        if "finding_id" in args:
            check_finding(engine, user, int(args["finding_id"]))
        if "photo_id" in args:
            check_photo(engine, user, int(args["photo_id"]))
        return None


def _parent_asked() -> str | None:
    """The parent an add-area request names (the API's JSON `parent`, the form's `parent`)."""
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get("parent") if isinstance(body, dict) else request.form.get("parent")
    return value if isinstance(value, str) and value.strip() else None


def visible_rows(rows: Iterable[S]) -> list[S]:
    """The rows (areas by slug) the current user may see."""
    user = g.get("user")
    if user is None or getattr(user, "scope_id", None) is None:
        return list(rows)
    return visible(engine_of(), user, rows)


def area_arg(value: str | None) -> str | None:
    """An optional `?area=` filter; a scoped user's default is its own area."""
    user = g.get("user")
    return value or (getattr(user, "scope", None) if user is not None else None)


def visible_wardens(rows: Iterable[WardenRow]) -> list[WardenRow]:
    """The roster as the current user may see it (a scoped user: its areas' wardens and free ones)."""
    user = g.get("user")
    if user is None or getattr(user, "scope_id", None) is None:
        return list(rows)
    return wardens_in_scope(engine_of(), user, rows)
