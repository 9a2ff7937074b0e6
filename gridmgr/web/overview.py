"""The overview page of an area (managers): its children on a map coloured by a chosen figure with a
legend, the table of children sortable by each figure, the breadcrumb up (within the user's scope),
and drill-down to a child's overview or, at a leaf, to its coverage map."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from flask import Blueprint, g, render_template, request

from gridmgr.errors import InvalidInput
from gridmgr.services.overview import overview
from gridmgr.services.rollup import RollupRow
from gridmgr.web import reports_engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import gettext, labels, percent
from gridmgr.web.maps import layers
from gridmgr.web.maps.page import page_map, page_parts
from gridmgr.web.words import N_

bp = Blueprint("overview", __name__)

FIGURES = {
    "coverage": N_("Coverage"),
    "overdue": N_("Cells overdue"),
    "findings_open": N_("Open findings"),
    "rectification_rate": N_("Rectification rate"),
}
COLUMNS = {  # the table's sortable columns: a row's field and its heading
    "name": N_("Area"),
    "cells": N_("Cells"),
    "wardens": N_("Wardens"),
    "coverage": N_("Coverage"),
    "unstaffed": N_("No warden"),
    "due": N_("Round due"),
    "overdue": N_("Cells overdue"),
    "ok": N_("OK"),
    "rounds": N_("Rounds today"),
    "findings_open": N_("Open findings"),
    "findings_overdue": N_("Findings overdue"),
    "rectification_rate": N_("Rectification rate"),
}
# good to bad: green to red; grey for no value (no findings: no rate)
RAMP = ("#2b8a3e", "#94d82d", "#fcc419", "#fd7e14", "#e03131")
NO_VALUE = "#adb5bd"


@dataclass(frozen=True)
class Band:
    """One colour of the map: its key, label and style."""

    key: str
    label: str
    style: dict[str, Any]


def value_of(row: RollupRow, column: str) -> float | str | None:
    """A row's value in a column (what the table sorts by and the map colours by)."""
    if column == "name":
        return row.name
    if column == "coverage":
        return row.coverage_ratio
    if column == "rounds":
        return row.rounds_done_today
    value: float | str | None = getattr(row, column)
    return value


def bands(figure: str, values: list[float | None]) -> tuple[list[str], list[Band]]:
    """Each value's band and the bands in the legend's order: fixed steps for ratios (higher is
    better), steps up to the largest count for counts (0 is best)."""

    def style(colour: str) -> dict[str, Any]:
        return {"color": "#343a40", "fillColor": colour, "weight": 2, "fillOpacity": 0.6}

    if figure in ("coverage", "rectification_rate"):
        edges = (0.999, 0.95, 0.8, 0.5)
        names = ("≥ 99.9%", "95–99.9%", "80–95%", "50–80%", "< 50%")
        legend = [Band(f"b{k}", n, style(RAMP[k])) for k, n in enumerate(names)]
        keys = []
        for v in values:
            if v is None:
                keys.append("none")
            else:
                keys.append(f"b{next((k for k, e in enumerate(edges) if v >= e), 4)}")
        if "none" in keys:
            legend.append(Band("none", gettext("No findings"), style(NO_VALUE)))
        return keys, legend
    top = int(max((v or 0) for v in values)) if values else 0
    step = max(1, math.ceil(top / 4))
    legend = [Band("b0", "0", style(RAMP[0]))]
    for k in range(1, 5):
        lo, hi = (k - 1) * step + 1, k * step
        if lo > top:
            break
        legend.append(Band(f"b{k}", f"{lo}–{hi}" if hi > lo else f"{lo}", style(RAMP[k])))
    keys = [f"b{0 if not v else min(4, math.ceil(v / step))}" for v in values]
    return keys, legend


@bp.get("/areas/<slug>/overview")
@roles_required("manager")
def page(slug: str):
    """An area's children on a map and in a table, coloured and sorted as asked."""
    figure = request.args.get("figure") or "coverage"
    if figure not in FIGURES:
        raise InvalidInput.of(
            "figure {figure!r}: use one of {figures}",
            figure=figure[:40],
            figures=", ".join(FIGURES),
        )
    sort = request.args.get("sort") or "name"
    if sort not in COLUMNS:
        raise InvalidInput.of(
            "sort {sort!r}: use one of {columns}", sort=sort[:40], columns=", ".join(COLUMNS)
        )
    descending = request.args.get("order") == "desc"
    at = request.args.get("at", "").strip() or None
    data = overview(reports_engine_of(), slug, at=at, scope=getattr(g.user, "scope", None))
    r = data.rollup
    children = list(r.children)
    keys, legend = bands(figure, [_number(value_of(c, figure)) for c in children])
    band_of = dict(zip((c.slug for c in children), keys, strict=True))
    m = page_map(data.outline, name=r.name)
    if children:
        frame = gpd.GeoDataFrame(
            {
                "slug": [c.slug for c in children],
                "name": [c.name for c in children],
                "value": [_shown(figure, value_of(c, figure)) for c in children],
                "band": keys,
            },
            geometry=[data.shapes[c.slug] for c in children],
            crs="EPSG:4326",
        )
        tooltip = {"name": gettext("Area"), "value": gettext(FIGURES[figure])}
        layers.cells_layer(
            m, frame, name=gettext("Areas below"), style={b.key: b.style for b in legend},
            style_by="band", tooltip_fields=tooltip, id_field="slug",
        )  # fmt: skip
        layers.legend(m, [(b.label, b.style) for b in legend], title=gettext(FIGURES[figure]))
    rows = _sorted(children, sort, descending)
    return render_template(
        "overview.html",
        data=data,
        r=r,
        rows=rows,
        band_of=band_of,
        legend=legend,
        figure=figure,
        figures=labels(FIGURES),
        columns=labels(COLUMNS),
        sort=sort,
        descending=descending,
        at_value=r.at.isoformat()[:16],
        at_given=at is not None,
        parts=page_parts(m),
        percent=percent,
    )


def _number(value: float | str | None) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def _shown(figure: str, value: float | str | None) -> str:
    """A figure's value as the map's tooltip shows it."""
    if value is None:
        return "–"
    if figure in ("coverage", "rectification_rate"):
        return percent(float(value))
    return f"{value:,}" if not isinstance(value, str) else value


def _sorted(rows: list[RollupRow], column: str, descending: bool) -> list[RollupRow]:
    """Rows by a column's value (numbers by size, names by text), missing values last either way."""
    present = [r for r in rows if value_of(r, column) is not None]
    missing = [r for r in rows if value_of(r, column) is None]
    return sorted(present, key=lambda r: value_of(r, column), reverse=descending) + missing  # type: ignore[arg-type, return-value]
