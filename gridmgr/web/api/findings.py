"""The JSON API of findings and the ledger (DESIGN.md, "Findings and the rectification ledger"), routes
added to the API blueprint: recording in a cell, photos, fix/close/reopen/extend, listing, the ledger,
categories, a warden's own findings and the authorised photo endpoint.

Roles: a warden records findings in cells it holds and reports fixes of findings in its charge;
managers record, close, reopen and extend; planners read. Object-level checks are the services'.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request, url_for

from gridmgr.errors import Forbidden, InvalidInput
from gridmgr.files.photos import MAX_BYTES
from gridmgr.services import findings as svc
from gridmgr.services.categories import add_categories, list_categories
from gridmgr.services.ledger import FindingFilter, ledger, list_findings
from gridmgr.web import engine_of, error_response, reports_engine_of
from gridmgr.web.api.findings_json import (
    category_json,
    finding_json,
    ledger_json,
    photo_json,
)
from gridmgr.web.api.routes import READERS, bp, json_body
from gridmgr.web.auth import roles_required
from gridmgr.web.revalidate import revalidated, revalidated_json

EVERYONE = ("manager", "planner", "warden")
UPLOAD_SLACK = 64 * 1024  # multipart headers around one photo


def actor() -> svc.Actor:
    """The logged-in user as the services' Actor."""
    user = g.user
    return svc.Actor(user.username, user.role, user.warden)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _typed(body: dict, name: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = body.get(name)
    if value is None:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise InvalidInput(f'"{name}" must be {what}')
    return value


def _location(body: dict) -> tuple[float | None, float | None]:
    where = body.get("location")
    if where is None:
        return None, None
    if not isinstance(where, dict):
        raise InvalidInput('"location" must be an object {"lon", "lat"}')
    lon = _typed(where, "lon", (int, float), "a number (WGS84 longitude)")
    lat = _typed(where, "lat", (int, float), "a number (WGS84 latitude)")
    if lon is None or lat is None:
        raise InvalidInput('"location" needs both "lon" and "lat"')
    return float(lon), float(lat)


@bp.post("/areas/<slug>/cells/<code>/findings")
@roles_required("warden", "manager")
def record_finding(slug: str, code: str):
    """Record a problem found in a cell: fixed on the spot, or with a deadline, unit and person."""
    body = json_body()
    lon, lat = _location(body)
    fixed_now = _typed(body, "fixed_now", bool, "true or false") or False
    new = svc.NewFinding(
        category=_typed(body, "category", str, "a category's key or name") or "",
        text=_typed(body, "text", str, "text"),
        by=_typed(body, "by", str, "a warden's name"),
        at=_typed(body, "at", str, "an ISO time such as 2026-11-24T10:00"),
        lon=lon,
        lat=lat,
        fixed_now=fixed_now,
        note=_typed(body, "note", str, "text"),
        deadline=_typed(body, "deadline", str, "a date written YYYY-MM-DD"),
        unit=_typed(body, "unit", str, "text"),
        person=_typed(body, "person", str, "text"),
    )
    if not new.category:
        raise InvalidInput('the request body needs "category" (GET /api/v1/categories lists them)')
    made, created = svc.record_finding(
        engine_of(),
        slug,
        code,
        new,
        actor(),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    resp = _json(finding_json(made), 201 if created else 200)
    resp.headers["Location"] = url_for("api.finding", finding_id=made.id)
    return resp


@bp.get("/findings/<int:finding_id>")
@roles_required(*EVERYONE)
def finding(finding_id: int):
    """One finding with its history (a warden: only findings of its cells or in its charge)."""
    return _json(finding_json(svc.get_finding(engine_of(), finding_id, actor())))


@bp.post("/findings/<int:finding_id>/photos")
@roles_required("warden", "manager")
def add_photo(finding_id: int):
    """Add a photo (multipart field `file`): of the problem while open, of the fix once fixed."""
    if (request.content_length or 0) > MAX_BYTES + UPLOAD_SLACK:
        return error_response(
            413,
            "payload_too_large",
            f"a photo may be at most {MAX_BYTES // (1024 * 1024)} MB; this request is "
            f"{(request.content_length or 0) / 1024 / 1024:.1f} MB: nothing was stored",
        )
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput('send the photo as the multipart form field "file"')
    data = upload.stream.read(MAX_BYTES + 1)
    ref = svc.add_photo(engine_of(), finding_id, actor(), upload.filename or "photo", data)
    return _json(photo_json(ref), 201)


def _note(body: dict) -> str | None:
    return _typed(body, "note", str, "text")


@bp.post("/findings/<int:finding_id>/fix")
@roles_required("warden", "manager")
def fix(finding_id: int):
    """The responsible person reports the finding fixed (a note; photos follow by /photos)."""
    body = json_body(optional=True)
    return _json(finding_json(svc.fix_finding(engine_of(), finding_id, actor(), note=_note(body))))


@bp.post("/findings/<int:finding_id>/close")
@roles_required("manager")
def close(finding_id: int):
    """A manager verifies and closes a finding (`recorded_in_error`: it counts nowhere)."""
    body = json_body(optional=True)
    in_error = _typed(body, "recorded_in_error", bool, "true or false") or False
    done = svc.close_finding(engine_of(), finding_id, actor(), note=_note(body), in_error=in_error)
    return _json(finding_json(done))


@bp.post("/findings/<int:finding_id>/reopen")
@roles_required("manager")
def reopen(finding_id: int):
    """A manager reopens a fixed or closed finding."""
    body = json_body(optional=True)
    done = svc.reopen_finding(engine_of(), finding_id, actor(), note=_note(body))
    return _json(finding_json(done))


@bp.post("/findings/<int:finding_id>/extend")
@roles_required("manager")
def extend(finding_id: int):
    """A manager moves an open finding's deadline later, with a reason."""
    body = json_body()
    deadline = _typed(body, "deadline", str, "a date written YYYY-MM-DD")
    reason = _typed(body, "reason", str, "text")
    if deadline is None or reason is None:
        raise InvalidInput('the request body needs "deadline" (YYYY-MM-DD) and "reason"')
    done = svc.extend_finding(engine_of(), finding_id, actor(), deadline=deadline, reason=reason)
    return _json(finding_json(done))


def _int_arg(name: str, default: int) -> int:
    text = request.args.get(name)
    if not text:
        return default
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"{name} must be a whole number, got {text[:20]!r}")
    return int(text)


def finding_filter() -> FindingFilter:
    """The filter in the query string: status, category, cell, from, to, responsible."""
    args = request.args
    return FindingFilter(
        status=args.get("status") or None,
        category=args.get("category") or None,
        cell=args.get("cell") or None,
        date_from=args.get("from") or None,
        date_to=args.get("to") or None,
        responsible=args.get("responsible") or None,
    )


@bp.get("/areas/<slug>/findings")
@roles_required(*EVERYONE)
def findings(slug: str):
    """An area's findings, newest first, as an array (`page`, `per_page`; X-Total-Count and Link
    headers page on); a warden gets those of its cells and in its charge."""
    page = list_findings(
        engine_of(),
        slug,
        finding_filter(),
        viewer=actor(),
        page=_int_arg("page", 1),
        per_page=_int_arg("per_page", 1000),
    )
    resp = _json([finding_json(v) for v in page.items])
    resp.headers["X-Total-Count"] = str(page.total)
    if page.page < page.pages:
        query: dict[str, Any] = request.args.to_dict() | {"page": str(page.page + 1)}
        resp.headers["Link"] = f'<{url_for("api.findings", slug=slug, **query)}>; rel="next"'
    return revalidated(resp)


@bp.get("/areas/<slug>/ledger")
@roles_required(*READERS)
def area_ledger(slug: str):
    """The ledger's figures for a period (`from`, `to`; `period` day|week|month for by_period)."""
    got = ledger(
        reports_engine_of(),
        slug,
        date_from=request.args.get("from") or None,
        date_to=request.args.get("to") or None,
        period=request.args.get("period") or "month",
    )
    return revalidated_json(ledger_json(got), moment_key="at")


@bp.get("/categories")
@roles_required(*EVERYONE)
def categories():
    """The finding categories, as `gridmgr category list --json` prints them."""
    return _json([category_json(c) for c in list_categories(engine_of())])


@bp.post("/categories")
@roles_required("manager")
def add_category():
    """Add categories: `{"names": ["English=中文", ...]}`; names that exist change nothing."""
    body = json_body()
    names = body.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InvalidInput('the request body needs "names": an array of category names')
    if len(names) > 50:
        raise InvalidInput("at most 50 names at once")
    done = add_categories(engine_of(), names, actor=actor().name)
    return _json([category_json(c) for c in done], 201)


@bp.get("/me/findings")
@roles_required("warden")
def my_findings():
    """The logged-in warden's open and fixed findings: in its cells or in its charge."""
    me = actor()
    if not me.warden:
        raise Forbidden("this login is not linked to a warden; ask a manager")
    return _json([finding_json(v) for v in svc.warden_findings(engine_of(), me.warden)])


@bp.get("/photos/<int:photo_id>")
@roles_required(*EVERYONE)
def photo(photo_id: int):
    """A photo (`size=thumb` for its thumbnail) to whoever may see its finding; re-encoded without
    EXIF, so no position or camera data goes out."""
    size = request.args.get("size", "full")
    if size not in ("full", "thumb"):
        raise InvalidInput(f"size must be full or thumb, got {size[:20]!r}")
    got = svc.photo_data(engine_of(), photo_id, actor(), thumb=size == "thumb")
    resp = Response(got.data, mimetype=got.mime)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["ETag"] = f'"{got.sha256}"'
    resp.headers["Content-Disposition"] = f'inline; filename="photo-{photo_id}.jpg"'
    return resp
