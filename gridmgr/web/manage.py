"""Managers' pages: the list of areas and each area's coverage map (rendered from the services' results)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup
from shapely.geometry.base import BaseGeometry

from gridmgr import services
from gridmgr.geometry.coverage import Ground
from gridmgr.services.areas import area_tree
from gridmgr.services.checkpoints import CheckpointGaps
from gridmgr.services.findings_map import MapFindings, map_findings
from gridmgr.services.occupancy import occupancy
from gridmgr.web import engine_of, reports_engine_of
from gridmgr.web.auth import roles_required
from gridmgr.web.i18n import area_m2, current_locale, gettext, labels
from gridmgr.web.map_rounds import proof_counts, rounds_data, rounds_today_texts
from gridmgr.web.maps import layers
from gridmgr.web.maps.page import layer_switch, page_map, page_parts
from gridmgr.web.scope import visible_rows
from gridmgr.web.words import N_, POST_ROLES

bp = Blueprint("manage", __name__)

CELL_TOOLTIP = {
    "code": N_("Cell"),
    "status": N_("Status"),
    "wardens": N_("Wardens"),
    "last_round": N_("Last round"),
    "next_round": N_("Next round"),
    "rounds_today": N_("Rounds today"),
}
PIECES_LISTED = 5
PIECE_LABELS = {"gap": N_("Gap"), "overlap": N_("Overlap")}


@bp.get("/areas")
@roles_required("manager", "planner")
def areas():
    """Every area the user may see in tree order (children indented under their parent) with its plan
    and cell count, linking to its map and plan pages."""
    rows = visible_rows(services.list_areas(engine_of()))
    return render_template("areas.html", areas=area_tree(rows))


@bp.get("/areas/<slug>/map")
@roles_required("manager", "planner")
def coverage_map(slug: str):
    """The area's plan on a map, cells coloured by status, gaps and overlaps on top, the report beside it.

    `?at=2026-11-24T10:00` (the area's local time) shows an earlier moment. Plans with more than
    INLINE_CELLS_MAX cells are not put in the page: its script fetches them from the cells API in its
    compact format, for the plan of the same moment; plans with more than TILES_ABOVE cells are drawn
    from the vector tiles API instead (only the tiles in view, each with its cells' status).
    """
    at = request.args.get("at", "").strip() or None
    config = current_app.config
    tiles_above = int(config["TILES_ABOVE"])
    data = services.coverage_map(
        reports_engine_of(), slug, at=at,
        inline_max=min(int(config["INLINE_CELLS_MAX"]), tiles_above),
    )  # fmt: skip
    report = data.report
    m = page_map(data.area.outline, name=data.area.name)
    tiled = report.cells_total > tiles_above
    if tiled:
        source: gpd.GeoDataFrame | str = _tiles_url(slug, at)
    elif report.cells is not None and data.shapes is not None:
        frame = _cells_frame(report.cells, data.shapes, ZoneInfo(report.timezone))
        frame["rounds_today"] = rounds_today_texts(report)
        source = frame
    else:
        # compact: about a fifth of the GeoJSON's bytes; the plan is the one in force at `at`
        source = url_for(
            "api.cells",
            slug=slug,
            fields="code,status,wardens",
            precision=6,
            at=at,
            format="compact",
        )  # url_for leaves out a None `at`
    value_labels = {"status": labels(layers.STATUS_LABELS), "role": labels(POST_ROLES)}
    cells: layers.GeoJsonLayer
    if tiled:
        cells = layers.tiles_layer(
            m,
            str(source),
            name=gettext("Cells"),
            script=url_for("static", filename=f"vendor/{layers.VECTORGRID}"),
            tooltip_fields=labels(CELL_TOOLTIP),
            popup_fields=labels(CELL_TOOLTIP),
            value_labels=value_labels,
            merged_text=gettext("{status}: {count} cells — zoom in for single cells"),
        )
    else:
        cells = layers.cells_layer(
            m,
            source,
            name=gettext("Cells"),
            tooltip_fields=labels(CELL_TOOLTIP),
            popup_fields=labels(CELL_TOOLTIP),
            value_labels=value_labels,
            loaded_message=gettext("the cells could not be loaded from the server"),
            loading_message=gettext("Loading cells…"),
        )
    gaps = _pieces(report.ground.gaps, "gap", "G")
    overlaps = _pieces(report.ground.overlaps, "overlap", "O")
    pieces_tooltip = labels({"label": N_("Ground"), "size": N_("Size")})
    gap_layer = layers.cells_layer(
        m, gaps, name=gettext("Gaps"), style=layers.GAP_STYLE, style_by=None,
        tooltip_fields=pieces_tooltip, popup_fields=pieces_tooltip, id_field="id",
    )  # fmt: skip
    overlap_layer = layers.cells_layer(
        m, overlaps, name=gettext("Overlaps"), style=layers.OVERLAP_STYLE, style_by=None,
        tooltip_fields=pieces_tooltip, popup_fields=pieces_tooltip, id_field="id",
    )  # fmt: skip
    layers.legend(
        m,
        [(gettext(layers.STATUS_LABELS[k]), v) for k, v in layers.STATUS_STYLES.items()]
        + [
            (gettext("Gap (no cell)"), layers.GAP_STYLE),
            (gettext("Overlap"), layers.OVERLAP_STYLE),
        ],
        title=gettext("Cells"),
    )
    layer_switch(m)
    parts = page_parts(m)
    found = map_findings(engine_of(), slug)
    visitors = _occupancy_data(slug, data.area.outline, cells.key, report.checkpoints)
    return render_template(
        "map.html",
        visitors=visitors,
        findings=found,
        findings_json=Markup(_findings_data(found, slug, cells.key)),  # script_safe: no markup
        area=data.area,
        report=report,
        at_value=report.at.isoformat()[:16],
        at_given=at is not None,
        parts=parts,
        cells_key=cells.key,
        inline=data.shapes is not None,
        gaps=_listed(gaps),
        overlaps=_listed(overlaps),
        gap_key=gap_layer.key,
        overlap_key=overlap_layer.key,
        counts=_report_counts(report),
        figures=_figures(report.ground),
        status_labels=labels(layers.STATUS_LABELS),
        rounds_json=Markup(rounds_data(report, slug, cells.key)),  # script_safe: no markup
        proof=proof_counts(report),
    )


FINDING_LABELS = {
    "title": N_("Findings"),
    "category": N_("Category"),
    "text": N_("Problem"),
    "status": N_("Status"),
    "cell": N_("Cell"),
    "found": N_("Found"),
    "deadline": N_("Deadline"),
    "responsible": N_("Responsible"),
    "note": N_("Note"),
    "photo": N_("Photo"),
    "ledger": N_("Rectification ledger"),
    "outlined": N_("Cell with open findings"),
    "failed": N_("the finding could not be loaded"),
}
FINDINGS_OUTLINE = {"color": "#c92a2a", "weight": 3, "opacity": 1, "dashArray": None}


def _tiles_url(slug: str, at: str | None) -> str:
    """The vector tiles' URL template ({z}/{x}/{y}) of the area's plan at `at`, under any path prefix."""
    one = url_for("api.tile", slug=slug, z=0, x=0, y=0, at=at)  # url_for leaves out a None `at`
    head, tail = one.split("/0/0/0.mvt", 1)
    return f"{head}/{{z}}/{{x}}/{{y}}.mvt{tail}"


def _findings_data(found: MapFindings, slug: str, cells_key: str) -> str:
    """The findings layer's data for gridmgr-findings.js, as JSON safe inside a <script>."""
    from gridmgr.web.findings import STATUS_LABELS

    data = {
        "cellsKey": cells_key,
        "ids": found.ids,
        "status": found.shown,
        "lon": found.lon,
        "lat": found.lat,
        "cellsOpen": found.cells_open,
        # the popup fetches `finding` + its id (GET /api/v1/findings/{id})
        "finding": url_for("api.finding", finding_id=0).removesuffix("0"),
        "ledger": url_for("findings.ledger_page", slug=slug),
        "zh": current_locale() == "zh-CN",
        "outline": FINDINGS_OUTLINE,
        "labels": {**labels(FINDING_LABELS), "statuses": labels(STATUS_LABELS)},
    }
    return layers.script_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


OCCUPANCY_LABELS = {
    "title": N_("Visitors"),
    "inside": N_("inside"),
    "of": N_("of"),
    "no_limit": N_("no limit"),
    "open": N_("Entry open"),
    "near": N_("Near the limit"),
    "full": N_("Entry paused"),
    "in": N_("in"),
    "out": N_("out"),
    "entries": N_("entries today"),
    "limit": N_("Limit"),
    "curve": N_("Today's occupancy"),
    "failed": N_("the occupancy could not be loaded"),
}


def _occupancy_data(
    slug: str, outline: shapely.Geometry, cells_key: str, gaps: CheckpointGaps
) -> dict[str, Any] | None:
    """What gridmgr-occupancy.js needs to show the area's visitors on the map and refresh them, with
    the report's checkpoint states (None when the area has neither checkpoints nor caps)."""
    now = occupancy(engine_of(), slug)
    if not now.checkpoints and now.limit is None and not now.slots:
        return None
    data = {
        "states": {str(c.id): c.state for c in gaps.checkpoints},
        "cellsKey": cells_key,
        "occupancyUrl": url_for("api.area_occupancy", slug=slug),
        "curveUrl": url_for("api.area_curve", slug=slug),
        "outline": json.loads(shapely.to_geojson(outline)),
        "refreshMs": 5000,
        "labels": labels(OCCUPANCY_LABELS),
    }
    return {
        "json": Markup(layers.script_safe(json.dumps(data, ensure_ascii=False))),
        "occupancy": now.occupancy,
        "limit": now.limit,
        "status": now.status,
        "entries": now.entries,
        "unstaffed": len(gaps.unstaffed),
        "unattended": len(gaps.unattended),
    }


def _cells_frame(
    cells: services.CellStates, shapes: npt.NDArray[np.object_], tz: ZoneInfo
) -> gpd.GeoDataFrame:
    """The cells as the map's layer takes them: code, status, wardens, last and next round as text."""
    return gpd.GeoDataFrame(
        {
            "code": cells.code,
            "status": cells.status,
            # each post's role is named in the page's language by the map's script
            "wardens": [[{"name": n, "role": r} for n, r in posts] for posts in cells.wardens()],
            "last_round": _short_times(cells.last_round, tz),
            "next_round": _short_times(cells.next_round, tz),
        },
        geometry=shapes,
        crs="EPSG:4326",
    )


def _short_times(epochs: npt.NDArray[np.float64], tz: ZoneInfo) -> list[str | None]:
    """Moments as 'MM-DD HH:MM' on the area's clock, None kept."""
    return [None if np.isnan(t) else f"{datetime.fromtimestamp(t, tz):%m-%d %H:%M}" for t in epochs]


def _pieces(
    pieces: Sequence[tuple[BaseGeometry, float]], kind: str, prefix: str
) -> gpd.GeoDataFrame:
    """Gap or overlap polygons with an id, a label and their size as text, largest first."""
    if not pieces:
        return gpd.GeoDataFrame({"id": [], "label": [], "size": [], "area_m2": []}, geometry=[])
    # sizes to the cm², as the report's JSON gives them, so the page and the API list them alike
    sizes = [round(m2, 2) for _, m2 in pieces]
    frame = gpd.GeoDataFrame({"area_m2": sizes}, geometry=[g for g, _ in pieces], crs="EPSG:4326")
    frame = frame.sort_values("area_m2", ascending=False, kind="stable").reset_index(drop=True)
    frame["id"] = [f"{prefix}{k + 1}" for k in range(len(frame))]
    frame["label"] = gettext(PIECE_LABELS[kind])
    frame["size"] = frame["area_m2"].map(area_m2)
    return frame


def _listed(pieces: gpd.GeoDataFrame) -> dict[str, Any]:
    """The count, total m² and the largest few pieces for the side panel."""
    return {
        "count": len(pieces),
        "area_m2": float(pieces["area_m2"].sum()) if len(pieces) else 0.0,
        "largest": [
            {"id": i, "size": s}
            for i, s in zip(
                pieces["id"][:PIECES_LISTED], pieces["size"][:PIECES_LISTED], strict=True
            )
        ],
    }


def _figures(ground: Ground) -> dict[str, float]:
    """Coverage and m² as the report's JSON gives them (ratio to 6 decimals, m² to 0.01), so the page
    and the API show the same figures."""
    return {
        "coverage_ratio": round(ground.coverage_ratio, 6),
        "covered_m2": round(ground.covered_m2, 2),
        "area_m2": round(ground.area_m2, 2),
    }


def _report_counts(report: services.CoverageReport) -> list[tuple[str, str, int]]:
    """(status, label, count) for the side panel, in the legend's order, plus short of extra rounds."""
    return [
        ("unstaffed", gettext("No warden"), len(report.unstaffed)),
        ("unscheduled", gettext("No schedule"), len(report.unscheduled)),
        ("overdue", gettext("Round overdue"), len(report.overdue)),
        ("due", gettext("Round due"), len(report.due)),
        ("ok", gettext("OK"), len(report.ok)),
        ("short", gettext("Short of extra rounds"), len(report.short_of_extra)),
    ]
