"""The JSON API under /api/v1 (docs/api.md, docs/architecture.md): token auth, areas, grids, cells, coverage, rounds.

Views only read and check the request and call services; errors leave as {"error": {...}} through the
app's handlers. Roles: managers read everything and set staff and schedules; planners add areas and
grids and read areas, cells and coverage; wardens see their own cells and log rounds in them.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from typing import Any, overload

from flask import Blueprint, Response, g, request, url_for

from gridmgr import services
from gridmgr.errors import Forbidden, InvalidInput, LimitExceeded
from gridmgr.files.geojson import check_nesting
from gridmgr.services.audit import list_audit
from gridmgr.services.cellmap import plan_cells_at
from gridmgr.services.leaf_grid import grid_leaves, holds_children
from gridmgr.services.mine import warden_cells
from gridmgr.services.posts import set_cell_wardens
from gridmgr.services.rounds import record_round
from gridmgr.web import engine_of, error_response, reports_engine_of
from gridmgr.web.api.cells_json import (
    CELL_FORMATS,
    cell_fields,
    cells_to_compact,
    cells_to_geojson,
    check_precision,
    collector_paused,
)
from gridmgr.web.api.locations import location_of
from gridmgr.web.api.openapi import openapi_document
from gridmgr.web.api.serialise import (
    area_added_to_json,
    area_summary_to_json,
    area_to_feature,
    audit_entry_to_json,
    cell_wardens_to_json,
    grid_report_to_json,
    leaves_gridded_to_json,
    report_to_json,
    round_to_json,
    warden_cells_to_json,
)
from gridmgr.web.auth import checked_login, roles_required
from gridmgr.web.inputs import UNSTORABLE_TEXT
from gridmgr.web.revalidate import revalidated, revalidated_json
from gridmgr.web.scope import area_arg, visible_rows

bp = Blueprint("api", __name__, url_prefix="/api/v1")

READERS = ("manager", "planner")


class MalformedBody(InvalidInput):
    """A request body that is not JSON at all (400, unlike JSON with bad content: 422)."""

    code = "malformed_json"


@bp.errorhandler(MalformedBody)
def _malformed(exc: MalformedBody):
    return error_response(400, exc.code, str(exc))


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object; 400 when it is not JSON, 422 when it is JSON but not an object, is
    nested too deeply, or holds text no database stores (NUL characters, unpaired surrogates)."""
    raw = request.get_data(cache=True)  # over MAX_UPLOAD_MB: 413 before a byte is parsed
    if optional and not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedBody("the request body is not UTF-8 text; send JSON as UTF-8") from None
    check_nesting(text, "the request body")  # before parsing: deep nesting only exhausts the stack
    try:
        body = json.loads(text, parse_constant=_not_json_number)
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except _NotJsonNumber as exc:
        raise MalformedBody(
            f"the request body is not valid JSON: {exc.args[0]} is not a number JSON allows; "
            "send plain decimal numbers"
        ) from None
    except RecursionError:
        raise LimitExceeded(
            "the request body is nested too deeply (arrays or objects inside each other); "
            "send GeoJSON as the API describes it"
        ) from None
    except ValueError:  # an integer with more digits than Python converts (4,300)
        raise InvalidInput(
            f"the request body holds a number with more than {sys.get_int_max_str_digits():,} "
            "digits; no field takes a number that large"
        ) from None
    if _UNSTORABLE_ESCAPE.search(text):
        _check_storable(body, "")
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


class _NotJsonNumber(Exception):
    """NaN or Infinity in the body: Python reads them, JSON (RFC 8259) does not allow them."""


def _not_json_number(name: str) -> float:
    raise _NotJsonNumber(name)


# \u0000 and \uD800-\uDFFF escapes not themselves escaped (an even run of backslashes before them)
_UNSTORABLE_ESCAPE = re.compile(r"(?:^|[^\\])(?:\\\\)*\\u(?:0000|[dD][89a-fA-F])")


def _check_storable(value: object, where: str) -> None:
    """Refuse strings (keys too) with a NUL or an unpaired surrogate: databases cannot store them."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            found = UNSTORABLE_TEXT.search(item)
            if found:
                char = found.group()
                what = (
                    "a NUL character (\\u0000)"
                    if char == "\x00"
                    else f"an unpaired UTF-16 surrogate (\\u{ord(char):04x})"
                )
                raise InvalidInput(
                    f"the request body holds {what} in {at or 'its text'}; text cannot hold it: "
                    "remove it, or send the text as UTF-8"
                )
        elif isinstance(item, dict):
            for key, member in item.items():
                stack.append((key, f"the name of {_member(at, key)!r}"))
                stack.append((member, _member(at, key)))
        elif isinstance(item, list):
            stack.extend((member, f"{at}[{k}]") for k, member in enumerate(item))


def _member(at: str, key: str) -> str:
    shown = UNSTORABLE_TEXT.sub("?", key)[:40]
    return f"{at}.{shown}" if at else f'"{shown}"'


def _field(body: dict, name: str, kinds: type | tuple[type, ...], *, required: bool = False):
    """A body member of the given JSON type (booleans are never numbers), or InvalidInput."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f'the request body needs "{name}"')
        return None
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
        names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
        what = " or ".join(
            names.get(k, k.__name__) for k in wanted if not (k is int and float in wanted)
        )
        raise InvalidInput(f'"{name}" must be {what}')
    return value


def _moment_arg(name: str = "at") -> str | None:
    """A query parameter holding an ISO moment, refused when its year is one no schedule can reach."""
    text = request.args.get(name) or None
    if text is not None:
        try:
            year = datetime.fromisoformat(text).year
        except ValueError:
            return text  # the service names what is wrong with it
        if not 1971 <= year <= 9000:
            raise InvalidInput(f"{name}: {text!r} is out of range; give a moment from 1971 to 9000")
    return text


moment_arg = _moment_arg  # for the routes other modules add to bp


def _actor() -> str:
    return g.user.username


@bp.post("/token")
def token():
    """Trade a user name and password for a bearer token."""
    body = json_body()
    try:
        user = checked_login(str(body.get("username", "")), str(body.get("password", "")))
    except Forbidden as exc:
        return error_response(401, "unauthorized", str(exc))
    return {"token": services.issue_token(engine_of(), user.id)}


@bp.delete("/token")
@roles_required("manager", "planner", "warden")
def revoke():
    """Revoke the bearer token this request carries: it answers 401 from now on."""
    if not g.by_token:
        raise InvalidInput("send the token to revoke as the header Authorization: Bearer TOKEN")
    services.revoke_token(engine_of(), request.headers["Authorization"][7:].strip())
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    return openapi_document()


# --- areas ------------------------------------------------------------------------------------


@bp.get("/areas")
@roles_required(*READERS)
def areas():
    """Every area with its active plan's version and cell count, as `gridmgr area list --json` prints;
    ``?parent=SLUG``: that area's children (those the user may see)."""
    parent = request.args.get("parent") or None
    rows = [
        area_summary_to_json(a)
        for a in visible_rows(services.list_areas(engine_of(), parent=parent))
    ]
    return Response(json.dumps(rows, ensure_ascii=False), mimetype="application/json")


@bp.post("/areas")
@roles_required("planner")
def add_area():
    """Store a new area from a GeoJSON outline."""
    body = json_body()
    name = _field(body, "name", str, required=True)
    kind = _field(body, "kind", str) or "area"
    if "geometry" not in body or body["geometry"] is None:
        raise InvalidInput('the request body needs "geometry": the area as GeoJSON')
    made = services.add_area(
        engine_of(),
        geojson=body["geometry"],
        name=name,
        kind=kind,
        slug=_field(body, "slug", str),
        code=_field(body, "code", str),
        crs=_field(body, "crs", str) or "wgs84",
        timezone=_field(body, "timezone", str) or "Asia/Shanghai",
        parent=_field(body, "parent", str),
        actor=_actor(),
    )
    resp = Response(
        json.dumps(area_added_to_json(made), ensure_ascii=False), 201, mimetype="application/json"
    )
    resp.headers["Location"] = url_for("api.area", slug=made.slug)
    return resp


@bp.get("/areas/<slug>")
@roles_required(*READERS)
def area(slug: str):
    """An area as a GeoJSON Feature."""
    return area_to_feature(services.get_area(engine_of(), slug))


@bp.post("/areas/<slug>/grid")
@roles_required("planner")
def grid(slug: str):
    """A new plan for the area (by count, cell size, target weight or drawn cells; balancing
    ``weight`` when given), or with dry_run what it would be."""
    body = json_body()
    count = _field(body, "count", int)
    cell_size = _field(body, "cell_size", (int, float))
    target_weight = _field(body, "target_weight", (int, float))
    cells = body.get("cells")
    weight = body.get("weight")
    weight_field = _field(body, "weight_field", str)
    given = [
        k
        for k, v in (
            ("count", count),
            ("cell_size", cell_size),
            ("target_weight", target_weight),
            ("cells", cells),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise InvalidInput(
            'give exactly one of "count", "cell_size", "target_weight" (with "weight") or "cells" '
            "(a FeatureCollection)" + (f"; got {', '.join(given)}" if given else "")
        )
    if (target_weight is not None or weight_field is not None) and weight is None:
        raise InvalidInput('"target_weight" and "weight_field" need "weight" (a FeatureCollection)')
    if target_weight is not None and not target_weight > 0:
        raise InvalidInput('"target_weight" must be a positive number')
    if weight is not None and cells is not None:
        raise InvalidInput('"weight" is balanced by gridding; drawn "cells" take none')
    if count is not None and count < 1:
        raise InvalidInput('"count" must be at least 1')
    if cell_size is not None and not cell_size > 0:
        raise InvalidInput('"cell_size" must be a positive number of metres')
    shape = _field(body, "shape", str) or "square"
    if shape not in ("square", "hex"):
        raise InvalidInput(f'"shape" must be square or hex, not {shape!r}')
    dry_run = bool(_field(body, "dry_run", bool))
    if holds_children(engine_of(), slug):
        return _grid_leaves(slug, body, count, cell_size, shape, dry_run)
    report = services.grid(
        engine_of(),
        slug,
        count=count,
        cell_size=None if cell_size is None else float(cell_size),
        cells_geojson=cells,
        weight_geojson=weight,
        weight_field=weight_field,
        target_weight=None if target_weight is None else float(target_weight),
        shape=shape,
        crs=_field(body, "crs", str) or "wgs84",
        dry_run=dry_run,
        actor=_actor(),
    )
    return grid_report_to_json(report), 200 if dry_run else 201


def _grid_leaves(
    slug: str, body: dict, count: int | None, cell_size: float | None, shape: str, dry_run: bool
):
    """An area with children: its leaves gridded, `count` shared out by their land."""
    other = [
        k for k in ("cells", "weight", "target_weight", "weight_field") if body.get(k) is not None
    ]
    if other or (count is None and cell_size is None):
        raise InvalidInput(
            f'{slug!r} holds child areas: gridding it grids its leaf areas by "count" or '
            f'"cell_size" only; grid one leaf at a time for {", ".join(other) or "the rest"}'
        )
    done = grid_leaves(
        engine_of(), slug, count=count, cell_size=None if cell_size is None else float(cell_size),
        shape=shape, dry_run=dry_run, actor=_actor(),
    )  # fmt: skip
    return leaves_gridded_to_json(done), 200 if dry_run else 201


@bp.get("/areas/<slug>/cells")
@roles_required(*READERS)
def cells(slug: str):
    """The plan's cells (the one in force at ?at=) as a FeatureCollection, or ?format=compact columns."""
    fields = cell_fields(request.args.get("fields"))
    text = request.args.get("precision", "7")
    if not text.isdigit():
        raise InvalidInput(f"precision must be a whole number from 5 to 7, got {text!r}")
    kind = request.args.get("format", "geojson")
    if kind not in CELL_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(CELL_FORMATS)}, got {kind!r}")
    precision = int(text)
    check_precision(precision)
    encode = cells_to_compact if kind == "compact" else cells_to_geojson
    at = _moment_arg()
    with collector_paused():
        data = plan_cells_at(
            engine_of(),
            slug,
            at=at,
            states="status" in fields or "wardens" in fields,
            schedules="schedule" in fields,
        )
        body = encode(data, fields, precision)
    return revalidated(Response(body, mimetype="application/json"))


@bp.get("/areas/<slug>/coverage")
@roles_required(*READERS)
def coverage(slug: str):
    """The coverage report at a moment (default now), as `gridmgr coverage --json` prints it."""
    day_text = request.args.get("day")
    try:
        day = date.fromisoformat(day_text) if day_text else None
    except ValueError:
        raise InvalidInput(f"day {day_text!r}: write the date as YYYY-MM-DD") from None
    if day is not None and not 1971 <= day.year <= 9000:
        raise InvalidInput(f"day {day_text!r} is out of range; give a day from 1971 to 9000")
    report = services.coverage_report(reports_engine_of(), slug, at=_moment_arg(), day=day)
    return revalidated(
        Response(
            json.dumps(report_to_json(report), ensure_ascii=False), mimetype="application/json"
        ),
        moment_key="at",
    )


# --- staff, schedules, rounds ---------------------------------------------------------------------


@bp.put("/areas/<slug>/cells/<code>/wardens")
@roles_required("manager")
def cell_wardens(slug: str, code: str):
    """Replace a cell's wardens."""
    body = json_body()
    wardens = _field(body, "wardens", list, required=True)
    return cell_wardens_to_json(set_cell_wardens(engine_of(), slug, code, wardens, actor=_actor()))


@bp.put("/areas/<slug>/cells/<code>/schedule")
@roles_required("manager")
def cell_schedule(slug: str, code: str):
    """Give a cell its "3+N" schedule: fixed round times and extra rounds a day."""
    body = json_body()
    times = _field(body, "times", list, required=True)
    if not all(isinstance(t, str) for t in times):
        raise InvalidInput('"times" must be an array of HH:MM strings such as "08:00"')
    extra = _field(body, "extra", int) or 0
    done = services.set_schedule(
        engine_of(), slug, [code], times=times, extra=extra, actor=_actor()
    )
    return {"area": slug, "cell": code, "times": list(done.times), "extra": done.extra}


@bp.post("/areas/<slug>/cells/<code>/rounds")
@roles_required("warden", "manager")
def rounds(slug: str, code: str):
    """Log a round in a cell: a warden for itself, a manager naming the warden."""
    body = json_body(optional=True)
    if g.user.role == "warden":
        warden = g.user.warden
        if not warden:
            raise Forbidden("this login is not linked to a warden; ask a manager")
        if body.get("warden") not in (None, warden):
            raise Forbidden("a warden logs rounds only for itself")
    else:
        warden = _field(body, "warden", str, required=True)
    recorded = record_round(
        engine_of(),
        slug,
        code,
        warden,
        at=_field(body, "at", str),
        note=_field(body, "note", str),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        actor=_actor(),
        location=location_of(body.get("location")),
        manager=g.user.role != "warden",
    )
    return round_to_json(recorded.round), 201 if recorded.new else 200


@bp.get("/me/cells")
@roles_required("warden")
def my_cells():
    """The logged-in warden's own cells with today's rounds."""
    warden = g.user.warden
    if not warden:
        raise Forbidden("this login is not linked to a warden; ask a manager")
    mine = warden_cells_to_json(warden_cells(engine_of(), warden, at=_moment_arg()))
    return revalidated_json(mine, moment_key="at")


@bp.get("/audit")
@roles_required("manager")
def audit():
    """The audit log, newest first: who changed what, when (managers)."""
    events = list_audit(
        engine_of(),
        area=area_arg(request.args.get("area")),
        limit=_int_arg("limit", 100),
        before=_int_arg("before", None),
    )
    return [audit_entry_to_json(e) for e in events]


@overload
def _int_arg(name: str, default: int) -> int: ...
@overload
def _int_arg(name: str, default: None) -> int | None: ...
def _int_arg(name: str, default: int | None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {text!r}") from None
