"""The warden's own page: their cells on a map, today's rounds, one tap to log a round."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import folium
import geopandas as gpd
import shapely
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from gridmgr import services
from gridmgr.errors import Forbidden
from gridmgr.services.checkpoints import warden_checkpoints
from gridmgr.services.mine import MyCell
from gridmgr.web import engine_of
from gridmgr.web.api.locations import form_location
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import gettext, labels
from gridmgr.web.maps import layers
from gridmgr.web.maps.page import page_map, page_parts
from gridmgr.web.offline_data import offline_data
from gridmgr.web.words import N_

bp = Blueprint("warden", __name__)

CELL_TOOLTIP = {"code": N_("Cell"), "area_name": N_("Area"), "status": N_("Status")}
NOTE_MAX = 2000


@bp.get("/me")
@roles_required("warden")
def me():
    """The warden's cells on a map and, per cell, today's rounds and a button to log one now."""
    cells = _my_cells()
    return _page(cells, single=False)


@bp.get("/me/cells/<slug>/<code>")
@roles_required("warden")
def cell(slug: str, code: str):
    """One of the warden's cells with a note field for the round; another warden's cell is refused."""
    return _page([_my_cell(slug, code)], single=True)


@bp.post("/me/cells/<slug>/<code>/rounds")
@roles_required("warden")
def log_round(slug: str, code: str):
    """Log a round now in one of the warden's own cells, then go back with a message."""
    held = _my_cell(slug, code)
    note = request.form.get("note", "").strip() or None
    done = services.record_round(
        engine_of(),
        slug,
        code,
        _warden_name(),
        note=note[:NOTE_MAX] if note else None,
        actor=g.user.username,
        location=form_location(request.form),
        manager=False,
    ).round
    local = done.at.astimezone(ZoneInfo(held.timezone))
    flash(
        gettext(
            "Round logged in {code} ({area}) at {time}.",
            code=code,
            area=held.area_name,
            time=f"{local:%H:%M}",
        ),
        "ok",
    )
    target = url_for("warden.me")
    if request.form.get("back") == "cell":
        target = url_for("warden.cell", slug=slug, code=code)
    return redirect(f"{target}#cell-{slug}-{code}", code=303)


def _warden_name() -> str:
    name = g.user.warden
    if not name:
        raise Forbidden.of("this login is not linked to a warden; ask a manager to link it")
    return name


def _my_cells() -> tuple[MyCell, ...]:
    return services.warden_cells(engine_of(), _warden_name()).cells


def _my_cell(slug: str, code: str) -> MyCell:
    """The warden's own cell, or Forbidden: a warden sees and logs only the cells it holds."""
    for c in _my_cells():
        if c.area == slug and c.code == code:
            return c
    raise Forbidden.of(
        "you do not hold cell {code} of area {slug}; only its wardens log rounds there",
        code=code,
        slug=slug,
    )


def _page(cells: Sequence[MyCell], *, single: bool):
    parts = None
    key = None
    if cells:
        m, key = _cells_map(cells)
        parts = page_parts(m)
    return render_template(
        "me.html",
        **_findings_context(),
        my_gates=warden_checkpoints(engine_of(), _warden_name()),
        cells=cells,
        parts=parts,
        cells_key=key,
        single=single,
        labels=labels(layers.STATUS_LABELS),
        note_max=NOTE_MAX,
        offline_json=Markup(offline_data()),  # script_safe: no markup
    )


def _findings_context() -> dict[str, Any]:
    """What the page's findings parts need: categories, the warden's open findings, labels."""
    from gridmgr.services.categories import list_categories
    from gridmgr.services.findings import warden_findings
    from gridmgr.web.findings import STATUS_LABELS

    return {
        "categories": list_categories(engine_of()),
        "my_findings": warden_findings(engine_of(), _warden_name()),
        "finding_labels": labels(STATUS_LABELS),
        "form_key": secrets.token_urlsafe(9),
        "today": date.today().isoformat(),
    }


def _cells_map(cells: Sequence[MyCell]) -> tuple[folium.Map, str]:
    """The warden's cells on a map coloured by status; returns the map and the cells layer's key."""
    shapes = gpd.GeoDataFrame(
        {
            "id": [f"{c.area}/{c.code}" for c in cells],
            "code": [c.code for c in cells],
            "area_name": [c.area_name for c in cells],
            "status": [c.status for c in cells],
        },
        geometry=[c.geometry for c in cells],
        crs="EPSG:4326",
    )
    m = page_map(shapely.GeometryCollection(list(shapes.geometry)), outline=False)
    layer = layers.cells_layer(
        m,
        shapes,
        name=gettext("My cells"),
        tooltip_fields=labels(CELL_TOOLTIP),
        popup_fields=labels(CELL_TOOLTIP),
        id_field="id",
        value_labels={"status": labels(layers.STATUS_LABELS)},
    )
    present = set(shapes["status"])
    layers.legend(
        m,
        [
            (gettext(layers.STATUS_LABELS[k]), v)
            for k, v in layers.STATUS_STYLES.items()
            if k in present
        ],
        title=gettext("Rounds"),
        position="topright",
    )
    return m, layer.key
