"""Maps on the planner's and the staff pages: an area's cells (or a preview's) on the page map
(`web/maps/page`), cut into the parts a Jinja page embeds. User text (names, codes) reaches the page
only as escaped JSON and is shown with textContent by gridmgr-map.js (see `web/maps/layers`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from flask import url_for
from markupsafe import Markup

from gridmgr.services.roster import AreaStaff
from gridmgr.web.i18n import gettext, labels
from gridmgr.web.maps import layers
from gridmgr.web.maps.page import page_map, page_parts
from gridmgr.web.words import N_, POST_ROLES

CHANGE_STYLES: dict[str, dict[str, Any]] = {
    "kept": {"color": "#3182bd", "fillColor": "#9ecae1"},
    "new": {"color": "#d94801", "fillColor": "#fdd49e"},
    "gained": {"color": "#238b45", "fillColor": "#74c476"},
    "lost": {"color": "#cb181d", "fillColor": "#fb6a4a"},
    "changed": {"color": "#6a51a3", "fillColor": "#9e9ac8"},
}
CHANGE_LABELS = {
    "kept": N_("Kept its code"),
    "new": N_("New code"),
    "gained": N_("Gains staff"),
    "lost": N_("Loses staff"),
    "changed": N_("Gains and loses staff"),
}
PREVIEW_TOOLTIP = {
    "code": N_("Cell"),
    "change": N_("Change"),
    "wardens": N_("Wardens"),
    "m2": N_("m²"),
}
PLAN_TOOLTIP = {
    "code": N_("Cell"),
    "wardens": N_("Wardens"),
    "schedule": N_("Schedule"),
    "m2": N_("m²"),
}
PLAN_STYLE: dict[str, Any] = {"color": "#1f4e79", "fillColor": "#9ecae1", "fillOpacity": 0.35}
# a preview coloured by weight: bands of a cell's weight around the mean, light to dark
WEIGHT_STYLES: dict[str, dict[str, Any]] = {
    "low": {"color": "#2171b5", "fillColor": "#c6dbef"},
    "under": {"color": "#4292c6", "fillColor": "#9ecae1"},
    "even": {"color": "#238b45", "fillColor": "#a1d99b"},
    "over": {"color": "#d94801", "fillColor": "#fdae6b"},
    "high": {"color": "#a50f15", "fillColor": "#fb6a4a"},
}
WEIGHT_LABELS = {
    "low": N_("Under 80 % of the mean"),
    "under": N_("80–95 % of the mean"),
    "even": N_("Within 5 % of the mean"),
    "over": N_("105–120 % of the mean"),
    "high": N_("Over 120 % of the mean"),
}
WEIGHT_TOOLTIP = {
    "code": N_("Cell"),
    "weight": N_("Weight"),
    "band": N_("Band"),
    "m2": N_("m²"),
}


def weight_bands(weights: Any) -> list[str]:
    """Each cell's band of weight around the mean (`WEIGHT_LABELS`' keys)."""
    mean = float(weights.mean()) if len(weights) else 0.0
    share = weights / mean if mean > 0 else weights * 0 + 1
    edges = [(0.8, "low"), (0.95, "under"), (1.05, "even"), (1.2, "over")]
    return [next((band for edge, band in edges if x < edge), "high") for x in share]


def plan_cells_url(slug: str) -> str:
    """Where a page fetches an area's active cells when there are too many to inline (the JSON API)."""
    return url_for("api.cells", slug=slug, fields="code,wardens,schedule", precision=6)


def area_map_parts(
    outline: shapely.Geometry,
    cells: gpd.GeoDataFrame | str,
    *,
    kind: str,
    area_name: str,
    layer_name: str,
    colour_by: str = "change",
) -> dict[str, Markup | str]:
    """The head, html and script of a map of an area's cells, and the cells layer's key for page scripts.

    `kind` is "plan" (a plan's cells with their posts and schedules, `roster_cells`), "preview" (new
    cells coloured by what changes) or "staff" (the same cells as "plan", to pick). `cells` may be
    the URL of the API's cells of the active plan (`plan_cells_url`), which the page then fetches
    (plans too large to inline). A preview or inlined plan whose cells carry ``weight`` may be
    coloured by it (`colour_by` "weight": bands around the mean).
    """
    m = page_map(outline, name=area_name)
    shown = cells if isinstance(cells, str) else _for_map(cells, kind)
    if kind in ("preview", "plan") and colour_by == "weight" and "weight" in shown:
        assert not isinstance(shown, str)
        shown["band"] = weight_bands(shown["weight"].to_numpy(dtype=float))
        layer = layers.cells_layer(
            m,
            shown,
            name=layer_name,
            style=WEIGHT_STYLES,
            style_by="band",
            tooltip_fields=labels(WEIGHT_TOOLTIP),
            value_labels={"band": labels(WEIGHT_LABELS)},
        )
        counts = shown["band"].value_counts()
        shown_labels = labels(WEIGHT_LABELS)
        layers.legend(
            m,
            [(shown_labels[k], WEIGHT_STYLES[k]) for k in WEIGHT_LABELS if counts.get(k)],
            title=gettext("Weight per cell"),
            counts={shown_labels[k]: int(counts.get(k, 0)) for k in WEIGHT_LABELS},
        )
    elif kind == "preview":
        assert not isinstance(shown, str)  # a preview's cells are always given inline
        layer = layers.cells_layer(
            m,
            shown,
            name=layer_name,
            style=CHANGE_STYLES,
            style_by="change",
            tooltip_fields=labels(PREVIEW_TOOLTIP),
            value_labels={"change": labels(CHANGE_LABELS), "role": labels(POST_ROLES)},
        )
        counts = shown["change"].value_counts()
        shown_labels = labels(CHANGE_LABELS)
        layers.legend(
            m,
            [(shown_labels[k], CHANGE_STYLES[k]) for k in CHANGE_LABELS if counts.get(k)],
            title=gettext("New cells"),
            counts={shown_labels[k]: int(counts.get(k, 0)) for k in CHANGE_LABELS},
        )
    else:
        layer = layers.cells_layer(
            m,
            shown,
            name=layer_name,
            style=PLAN_STYLE,
            style_by=None,
            tooltip_fields=labels(
                {**PLAN_TOOLTIP, "weight": WEIGHT_TOOLTIP["weight"]}
                if not isinstance(shown, str) and "weight" in shown
                else PLAN_TOOLTIP
            ),
            value_labels={"role": labels(POST_ROLES)},
            loaded_message=gettext("the cells could not be loaded from the server"),
            loading_message=gettext("Loading cells…"),
        )
    parts: dict[str, Markup | str] = dict(page_parts(m))
    parts["layer"] = layer.key
    return parts


def roster_cells(staff: AreaStaff) -> gpd.GeoDataFrame:
    """The roster's cells as the plan and staff maps take them: code, m², posts and schedule (and
    weight, when the plan was made with one)."""
    out = gpd.GeoDataFrame(
        {
            "code": [c.code for c in staff.cells],
            "area_m2": [c.area_m2 for c in staff.cells],
            "posts": [[(p.name, p.role) for p in c.posts] for c in staff.cells],
            "schedule": [
                None if c.schedule is None
                else {"times": ",".join(c.schedule.times), "extra": c.schedule.extra}
                for c in staff.cells
            ],
        },
        geometry=staff.shapes,
        crs="EPSG:4326",
    )  # fmt: skip
    if any(c.weight is not None for c in staff.cells):
        out["weight"] = [np.nan if c.weight is None else c.weight for c in staff.cells]
    return out


def _for_map(cells: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Only the columns a tooltip shows, as plain values (posts as {name, role}, schedules as text)."""
    out = gpd.GeoDataFrame(
        {"code": cells["code"].astype(str), "m2": cells["area_m2"].round(0)},
        geometry=cells.geometry.values,
        crs="EPSG:4326",
    )
    if "weight" in cells:
        out["weight"] = cells["weight"].round(1).to_numpy()
    if kind == "preview":
        out["change"] = cells["change"].to_numpy()
        out["wardens"] = cells["wardens"].to_numpy()
    else:  # a plan's cells and the staff page's: posts as {name, role}, the page names the role
        # an object column: pandas-stubs take no list of lists for a column
        out["wardens"] = [  # type: ignore[assignment]
            [{"name": n, "role": r} for n, r in posts] for posts in cells["posts"]
        ]
        out["schedule"] = [
            f"{s['times']} +{s['extra']}" if isinstance(s, dict) else None
            for s in cells["schedule"]
        ]
    return out
