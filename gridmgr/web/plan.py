"""Planners' pages: upload a boundary or cells, preview a new grid, commit it, plan history."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict

from gridmgr import services
from gridmgr.errors import GridmgrError, InvalidInput, Phrase
from gridmgr.rules.clock import aware_utc
from gridmgr.web import STATUS_OF, engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import error_text, gettext, hectares, phrase_text
from gridmgr.web.maps.plans import area_map_parts, plan_cells_url, roster_cells
from gridmgr.web.words import AREA_KINDS, N_

bp = Blueprint("plan", __name__)

DATUMS = {"wgs84": N_("WGS84 (GPS, OpenStreetMap)"), "gcj02": N_("GCJ-02 (AMap/Gaode, Tencent)"),
          "bd09": N_("BD-09 (Baidu)")}  # fmt: skip
MODES = ("count", "cell_size", "target_weight", "import")
COLOURS = ("change", "weight")  # what the preview map colours cells by
# how the plan history names the way each plan was made (translated on the page)
MODE_LABELS = {"count": N_("count"), "cell_size": N_("cell size"), "import": N_("drawn"),
               "restore": N_("restored")}  # fmt: skip
SHAPES = ("square", "hex")
# what each upload of the plan form is called in messages
UPLOAD_NAMES = {"cells": N_("cells file"), "lines": N_("lines file"), "weight": N_("weight file")}


def _actor() -> str:
    return g.user.username


def _status(exc: GridmgrError) -> int:
    return next((v for k, v in STATUS_OF.items() if isinstance(exc, k)), 400)


# --- the plan page -------------------------------------------------------------------------


@bp.get("/areas/<slug>/plan")
@roles_required("planner", "manager")
def page(slug: str):
    """The area's active plan on a map, the form for a new grid (planners), and the plan history."""
    return _render(slug)


def _render(
    slug: str,
    *,
    form: MultiDict | None = None,
    error: str | None = None,
    status: int = 200,
    preview: services.Preview | None = None,
    tokens: dict[str, tuple[str, str]] | None = None,
):
    """The plan page; with a preview, its area (read with the preview) and its new cells on the map."""
    engine = engine_of()
    area = preview.area if preview is not None else services.get_area(engine, slug)
    plans = services.list_plans(engine, slug)[::-1]  # newest first
    report, map_parts, weighed = None, None, False
    if preview is not None:
        report = preview.report
        colour = (form or MultiDict()).get("colour", "change")
        map_parts = _map(
            area,
            preview.cells,
            kind="preview",
            layer_name=gettext("New cells"),
            colour_by=colour if colour in COLOURS else "change",
        )
    elif area.cells:
        cells_now = (
            roster_cells(services.area_staff(engine, slug))
            if area.cells <= current_app.config["INLINE_CELLS_MAX"]
            else plan_cells_url(slug)
        )
        layer_name = gettext("Plan v{version}", version=area.plan_version)
        weighed = not isinstance(cells_now, str) and "weight" in cells_now
        colour = request.args.get("colour", "change")
        map_parts = _map(
            area,
            cells_now,
            kind="plan",
            layer_name=layer_name,
            colour_by="weight" if weighed and colour == "weight" else "change",
        )
    return (
        render_template(
            "plan.html",
            area=area,
            plans=plans,
            made=_made(plans, area.timezone),
            timezone=area.timezone,
            mode_labels=MODE_LABELS,
            form=form or MultiDict(),
            error=error,
            report=report,
            area_version=None if preview is None else preview.area_version,
            tokens=tokens or {},
            map_parts=map_parts,
            weighed=preview is None and weighed,
            datums=DATUMS,
            can_change=g.user.role == "planner",
        ),
        status,
    )


def _made(plans: list[services.PlanRow], timezone: str) -> dict[int, str]:
    """When each plan was made, by version, on the area's own clock."""
    tz = ZoneInfo(timezone)
    return {p.version: f"{aware_utc(p.created_at).astimezone(tz):%Y-%m-%d %H:%M}" for p in plans}


def _map(
    area: services.AreaInfo,
    cells: gpd.GeoDataFrame | str,
    *,
    kind: str,
    layer_name: str,
    colour_by: str = "change",
) -> dict[str, Markup | str] | None:
    if not isinstance(cells, str) and len(cells) > current_app.config["INLINE_CELLS_MAX"]:
        return None  # a preview of more cells than a page can carry: figures only
    return area_map_parts(
        area.outline,
        cells,
        kind=kind,
        area_name=area.name,
        layer_name=layer_name,
        colour_by=colour_by,
    )


def grid_options(form: MultiDict) -> dict[str, Any]:
    """The grid options of a posted form (mode, count or cell size, shape, datum); InvalidInput if bad."""
    mode = form.get("mode") or "count"
    if mode not in MODES:
        raise InvalidInput.of(
            "unknown mode {mode!r}: choose N cells, a cell size, or a cells file", mode=mode
        )
    crs = form.get("crs") or "wgs84"
    if crs not in DATUMS:
        raise _unknown_datum(crs)
    shape = form.get("shape") or "square"
    if shape not in SHAPES:
        raise InvalidInput.of("unknown cell shape {shape!r}: use square or hex", shape=shape)
    options: dict[str, Any] = {"crs": crs}
    if mode == "count":
        options["count"] = _number(form.get("count"), int, Phrase("the number of cells"))
    elif mode == "cell_size":
        options["cell_size"] = _number(
            form.get("cell_size"), float, Phrase("the cell size in metres")
        )
        options["shape"] = shape
    elif mode == "target_weight":
        options["target_weight"] = _number(
            form.get("target_weight"), float, Phrase("the weight per cell")
        )
    if mode != "import":
        snap = (form.get("snap") or "").strip()
        if snap:
            options["snap"] = _number_or_zero(snap, Phrase("the snapping distance in metres"))
        where = (form.get("split_where") or "").strip()
        if where:
            options["split_where"] = where
    return {"mode": mode, **options}


def _number_or_zero(text: str, what: Phrase) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    value: float = _number(text, float, what)
    return value


def _unknown_datum(crs: str) -> InvalidInput:
    return InvalidInput.of(
        "unknown datum {crs!r}: use one of {datums}", crs=crs, datums=", ".join(DATUMS)
    )


def _number(text: str | None, kind: type, what: Phrase) -> Any:
    try:
        value = kind((text or "").strip())
    except ValueError:
        if kind is int:
            raise InvalidInput.of(
                "{what} must be a positive whole number, got {text!r}", what=what, text=text
            ) from None
        raise InvalidInput.of(
            "{what} must be a positive number, got {text!r}", what=what, text=text
        ) from None
    if not 0 < value < float("inf"):
        raise InvalidInput.of(
            "{what} must be a positive number, got {text!r}", what=what, text=text
        )
    return value


def _upload(name: str) -> FileStorage | None:
    f = request.files.get(name)
    return f if f is not None and f.filename else None


def _grid_files(
    stack: ExitStack, options: dict[str, Any], *, stash: bool
) -> tuple[dict[str, Path], dict[str, tuple[str, str]]]:
    """Paths of the form's files (fresh uploads, or ones kept by the preview's tokens) and the tokens.

    With `stash` fresh uploads are kept in the instance folder for the commit; otherwise they live in a
    temporary folder until `stack` closes. Error messages name each file as the user chose it.
    """
    instance = current_app.instance_path
    paths: dict[str, Path] = {}
    tokens: dict[str, tuple[str, str]] = {}
    wanted = ["cells"] if options["mode"] == "import" else ["lines", "weight"]
    for field in wanted:
        fresh = _upload(field)
        token = request.form.get(f"{field}_token", "")
        if fresh is not None and stash:
            # a file chosen again replaces the one kept for the last preview
            services.discard_upload(instance, token, owner=_actor())
            token = services.stash_upload(
                instance,
                fresh.stream,
                fresh.filename or "",
                owner=_actor(),
                what=UPLOAD_NAMES[field],
            )
        if fresh is not None and not stash:
            path = stack.enter_context(
                services.saved_upload(fresh.stream, fresh.filename or "", what=UPLOAD_NAMES[field])
            )
        elif token:
            path, shown = services.stashed_upload(instance, token, owner=_actor())
            tokens[field] = (token, shown)
            stack.enter_context(services.named_as(path, shown))
        elif field == "cells":
            raise InvalidInput.of(
                "choose a cells file (GeoJSON, GeoPackage or zipped Shapefile) to upload"
            )
        else:
            continue  # cutting along lines and weighing are optional
        paths[field] = path
    return paths, tokens


def _service_args(options: dict[str, Any], paths: dict[str, Path]) -> dict[str, Any]:
    args = {k: v for k, v in options.items() if k != "mode"}
    if "cells" in paths:
        args["from_file"] = paths["cells"]
    if "lines" in paths:
        args["split_by"] = paths["lines"]
    if "weight" in paths:
        field = (request.form.get("weight_field") or "").strip()
        args["weight"] = f"{paths['weight']}:{field}" if field else str(paths["weight"])
    return args


@bp.post("/areas/<slug>/plan/preview")
@roles_required("planner")
def preview(slug: str):
    """A dry run of the new grid: its cells on the map and what would change; nothing is written."""
    tokens: dict[str, tuple[str, str]] = {}
    try:
        options = grid_options(request.form)
        with ExitStack() as stack:
            paths, tokens = _grid_files(stack, options, stash=True)
            result = services.preview_grid(engine_of(), slug, **_service_args(options, paths))
    except GridmgrError as exc:
        for token, _shown in tokens.values():
            services.discard_upload(current_app.instance_path, token, owner=_actor())
        return _render(slug, form=request.form, error=error_text(exc), status=_status(exc))
    return _render(slug, form=request.form, preview=result, tokens=tokens)


@bp.post("/areas/<slug>/plan/commit")
@roles_required("planner")
def commit(slug: str):
    """Write the new grid (the preview's parameters posted again) as the area's active plan."""
    tokens: dict[str, tuple[str, str]] = {}
    try:
        options = grid_options(request.form)
        seen = request.form.get("area_version")
        if seen and not seen.isdigit():
            raise InvalidInput.of("area_version {seen!r} is not a version number", seen=seen)
        expect = int(seen) if seen else None  # posted from a preview: commit only what it showed
        if expect is not None:  # a stale preview is refused before its kept files are looked for
            services.check_unchanged(engine_of(), slug, expect)
        with ExitStack() as stack:
            paths, tokens = _grid_files(stack, options, stash=False)
            report = services.grid(
                engine_of(),
                slug,
                **_service_args(options, paths),
                expect_version=expect,
                actor=_actor(),
            )
    except GridmgrError as exc:
        return _render(
            slug, form=request.form, error=error_text(exc), status=_status(exc), tokens=tokens
        )
    for token, _shown in tokens.values():
        services.discard_upload(current_app.instance_path, token, owner=_actor())
    flash(
        gettext(
            "plan v{version} is active: {cells} cells (was {previous}), {kept} kept their codes, "
            "{posted} wardens posted",
            version=report.plan_version,
            cells=report.cells,
            previous=report.previous_cells,
            kept=report.kept_codes,
            posted=report.wardens_posted,
        ),
        "ok",
    )
    return redirect(url_for("plan.page", slug=slug))


@bp.post("/areas/<slug>/plan/restore")
@roles_required("planner")
def restore(slug: str):
    """Make an earlier plan version active again (as a new version, staff carried over)."""
    try:
        version = _number(request.form.get("version"), int, Phrase("the plan version"))
        report = services.restore_plan(engine_of(), slug, version, actor=_actor())
    except GridmgrError as exc:
        return _render(slug, error=error_text(exc), status=_status(exc))
    flash(
        gettext(
            "plan v{old}'s cells are active again as v{version} ({cells} cells, "
            "{posted} wardens posted)",
            old=version,
            version=report.plan_version,
            cells=report.cells,
            posted=report.wardens_posted,
        ),
        "ok",
    )
    return redirect(url_for("plan.page", slug=slug))


# --- a new area ---------------------------------------------------------------------------


@bp.route("/areas/new", methods=["GET", "POST"])
@roles_required("planner")
def new_area():
    """A new area from an uploaded boundary file; then on to its plan page."""
    if request.method == "GET":
        return render_template(
            "area_new.html", form=MultiDict(), datums=DATUMS, kinds=AREA_KINDS, error=None
        )
    form = request.form
    boundary = request.files.get("boundary")
    try:
        crs = form.get("crs") or "wgs84"
        if crs not in DATUMS:
            raise _unknown_datum(crs)
        if boundary is None or not boundary.filename:
            raise InvalidInput.of(
                "choose a boundary file (GeoJSON, GeoPackage or zipped Shapefile) to upload"
            )
        made = services.add_area_upload(
            engine_of(),
            boundary.stream,
            boundary.filename,
            name=form.get("name", ""),
            kind=(form.get("kind") or "area").strip()[:40] or "area",
            slug=(form.get("slug") or "").strip() or None,
            code=(form.get("code") or "").strip() or None,
            crs=crs,
            timezone=(form.get("timezone") or "Asia/Shanghai").strip(),
            actor=_actor(),
        )
    except GridmgrError as exc:
        page = render_template(
            "area_new.html", form=form, datums=DATUMS, kinds=AREA_KINDS, error=error_text(exc)
        )
        return page, _status(exc)
    flash(
        gettext(
            "area {name} added ({size}); now grid it",
            name=made.name,
            size=hectares(made.area_m2),
        ),
        "ok",
    )
    for warning in made.warnings:
        flash(phrase_text(warning), "warning")
    return redirect(url_for("plan.page", slug=made.slug))
