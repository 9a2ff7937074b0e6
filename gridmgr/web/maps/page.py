"""The one way a page builds its map: the configured base maps, Leaflet and gridmgr's scripts from this
app's own static files (by `url_for`, so the service may live under a path prefix), the area's outline,
labels in the page's language, and the parts a Jinja page embeds with the request's CSP nonce.

The coverage map (`web/manage`), the plan and staff maps (`web/maps/plans`) and the warden's map
(`web/warden`) all start from `page_map` and end with `page_parts`; `web/maps/layers` stays free of
Flask.
"""

from __future__ import annotations

import folium
import shapely
from flask import current_app, url_for
from markupsafe import Markup

from gridmgr.web import csp_nonce
from gridmgr.web.i18n import gettext
from gridmgr.web.maps import basemaps, layers


def page_map(
    area: shapely.Geometry, *, name: str | None = None, outline: bool = True
) -> folium.Map:
    """A map for a page, fitted to `area` (WGS84), with the outline (tooltip: `name`) unless told not."""
    return layers.base_map(
        area,
        basemaps=basemaps.from_config(current_app.config, translate=gettext),
        switch_title=gettext("Base map"),
        assets=url_for("static", filename="vendor"),
        helper_js=url_for("static", filename="js/gridmgr-map.js"),
        basemaps_js=url_for("static", filename="js/gridmgr-basemaps.js"),
        leaflet_js=url_for("static", filename=f"vendor/{layers.LEAFLET}/leaflet.js"),
        leaflet_css=url_for("static", filename=f"vendor/{layers.LEAFLET}/leaflet.css"),
        name=name,
        outline=outline,
        outline_label=gettext("Area"),
        outline_name=gettext("Area outline"),
    )


def page_parts(m: folium.Map) -> dict[str, Markup]:
    """The map's head, html and script for a Jinja page, each to insert as is (`layers.map_parts`
    escaped every text in them), carrying this request's CSP nonce."""
    return {k: Markup(v) for k, v in layers.map_parts(m, nonce=csp_nonce()).items()}


def layer_switch(m: folium.Map) -> None:
    """The control that shows and hides a map's layers, open, at the top right."""
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
