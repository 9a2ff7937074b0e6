"""Managers' staff pages: the wardens (add, import from CSV) and each area's posts and schedules."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from gridmgr import services
from gridmgr.errors import GridmgrError, InvalidInput, Phrase
from gridmgr.rules.staffing import ROLES
from gridmgr.web import STATUS_OF, engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import error_text, gettext, labels, ngettext
from gridmgr.web.maps import layers
from gridmgr.web.maps.plans import area_map_parts, plan_cells_url, roster_cells
from gridmgr.web.scope import visible_wardens

bp = Blueprint("staff", __name__)

_SPLIT = re.compile(r"[\s,;，；]+")


def _actor() -> str:
    return g.user.username


def _status(exc: GridmgrError) -> int:
    return next((v for k, v in STATUS_OF.items() if isinstance(exc, k)), 400)


def parse_codes(text: str | None) -> list[str]:
    """Cell codes typed or picked into one field, split on spaces, commas or semicolons; no repeats."""
    return list(dict.fromkeys(c for c in _SPLIT.split(text or "") if c))


# --- wardens --------------------------------------------------------------------------------


@bp.get("/wardens")
@roles_required("manager")
def wardens():
    """Every warden with phone, role and cells held; forms to add one or import a CSV."""
    return _wardens_page()


def _wardens_page(*, form: MultiDict | None = None, error: str | None = None, status: int = 200):
    return (
        render_template(
            "wardens.html",
            wardens=visible_wardens(services.list_wardens(engine_of())),
            roles=ROLES,
            form=form or MultiDict(),
            error=error,
        ),
        status,
    )


@bp.post("/wardens")
@roles_required("manager")
def add_warden():
    """Register one warden."""
    form = request.form
    try:
        made = services.add_warden(
            engine_of(),
            form.get("name", ""),
            phone=(form.get("phone") or "").strip() or None,
            role=form.get("role", "member"),
            actor=_actor(),
        )
    except GridmgrError as exc:
        return _wardens_page(form=form, error=error_text(exc), status=_status(exc))
    flash(gettext("warden {name} added", name=made.name), "ok")
    return redirect(url_for("staff.wardens"))


@bp.post("/wardens/import")
@roles_required("manager")
def import_wardens():
    """Import wardens from an uploaded CSV (header name,phone[,role]); a bad line refuses the file."""
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput.of("choose a CSV file (header name,phone or name,phone,role)")
        done = services.import_wardens_upload(
            engine_of(), upload.stream, upload.filename, actor=_actor()
        )
    except GridmgrError as exc:
        return _wardens_page(error=error_text(exc), status=_status(exc))
    flash(ngettext("{n} warden imported", "{n} wardens imported", done.imported), "ok")
    return redirect(url_for("staff.wardens"))


# --- an area's posts and schedules ----------------------------------------------------------


@bp.get("/areas/<slug>/staff")
@roles_required("manager")
def area(slug: str):
    """The area's cells on a map and in a table, with forms to post, remove and schedule wardens."""
    return _area_page(slug)


def _area_page(
    slug: str, *, form: MultiDict | None = None, error: str | None = None, status: int = 200
):
    engine = engine_of()
    area = services.get_area(engine, slug)
    if not area.cells:
        page = render_template("staff_empty.html", area=area, error=error)
        return page, status
    staff = services.area_staff(engine, slug)
    config = current_app.config
    inline = len(staff.cells) <= config["INLINE_CELLS_MAX"]
    map_parts = area_map_parts(
        staff.area.outline,
        roster_cells(staff) if inline else plan_cells_url(slug),
        kind="staff",
        area_name=staff.area.name,
        layer_name=gettext("Plan v{version}", version=staff.area.plan_version),
    )
    return (
        render_template(
            "staff.html",
            area=staff.area,
            cells=staff.cells if inline else [],
            cell_count=len(staff.cells),
            wardens=services.warden_names(engine),
            roles=ROLES,
            form=form or MultiDict(),
            error=error,
            map_parts=map_parts,
            status_labels=labels(layers.STATUS_LABELS),
            require_location=services.requires_location(engine, slug),
        ),
        status,
    )


def _act(slug: str, action, message):
    """Run a write from a form; on success flash and go back to the page, else show it with the error."""
    try:
        done = action()
    except GridmgrError as exc:
        return _area_page(slug, form=request.form, error=error_text(exc), status=_status(exc))
    flash(message(done), "ok")
    return redirect(url_for("staff.area", slug=slug))


def _codes_required() -> list[str]:
    codes = parse_codes(request.form.get("codes"))
    if not codes:
        raise InvalidInput.of("pick at least one cell (click it on the map or type its code)")
    return codes


@bp.post("/areas/<slug>/staff/assign")
@roles_required("manager")
def assign(slug: str):
    """Post a warden to the chosen cells with a role."""
    return _act(
        slug,
        lambda: services.assign(
            engine_of(),
            slug,
            _codes_required(),
            (request.form.get("warden") or "").strip(),
            role=request.form.get("role", "member"),
            actor=_actor(),
        ),
        lambda d: gettext(
            "{warden} posted to {cells} as {role}",
            warden=d.warden,
            cells=", ".join(d.cells),
            role=gettext(d.role),
        ),
    )


@bp.post("/areas/<slug>/staff/unassign")
@roles_required("manager")
def unassign(slug: str):
    """Take a warden off the chosen cells."""
    return _act(
        slug,
        lambda: services.unassign(
            engine_of(),
            slug,
            _codes_required(),
            (request.form.get("warden") or "").strip(),
            actor=_actor(),
        ),
        lambda d: gettext("{warden} taken off {cells}", warden=d.warden, cells=", ".join(d.cells)),
    )


@bp.post("/areas/<slug>/staff/auto")
@roles_required("manager")
def auto(slug: str):
    """Spread every warden over the area's cells (replaces its posts)."""
    return _act(
        slug,
        lambda: services.auto_assign(engine_of(), slug, actor=_actor()),
        lambda d: gettext(
            "{posts} posts: {wardens} wardens over {cells} cells",
            posts=d.posts,
            wardens=d.wardens,
            cells=d.cells,
        ),
    )


@bp.post("/areas/<slug>/staff/location")
@roles_required("manager")
def require_location(slug: str):
    """Require (or not) a position in the cell with each warden's round."""
    wanted = request.form.get("require_location") == "1"
    return _act(
        slug,
        lambda: services.set_require_location(engine_of(), slug, wanted, actor=_actor()),
        lambda _changed: (
            gettext("Rounds in this area now need a position in the cell.")
            if wanted
            else gettext("Rounds in this area are taken without a position again.")
        ),
    )


@bp.post("/areas/<slug>/staff/schedule")
@roles_required("manager")
def schedule(slug: str):
    """Give the chosen cells (or all) a "3+N" schedule: round times, extra rounds, window."""
    form = request.form

    def run():
        codes = None if form.get("all") else _codes_required()
        return services.set_schedule(
            engine_of(),
            slug,
            codes,
            times=[t for t in _SPLIT.split(form.get("times", "")) if t],
            extra=_whole(form.get("extra", "0"), Phrase("extra rounds")),
            window=(
                _whole(form.get("before", "30"), Phrase("minutes before")),
                _whole(form.get("after", "90"), Phrase("minutes after")),
            ),
            actor=_actor(),
        )

    return _act(
        slug,
        run,
        lambda d: gettext(
            "{cells} cells: rounds at {times} + {extra} extra",
            cells=d.cells,
            times=", ".join(d.times),
            extra=d.extra,
        ),
    )


def _whole(text: str | None, what: Phrase) -> int:
    try:
        return int((text or "0").strip() or "0")
    except ValueError:
        raise InvalidInput.of(
            "{what} must be a whole number, got {text!r}", what=what, text=text
        ) from None
