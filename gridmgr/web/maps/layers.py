"""Folium maps of areas and their cells, served entirely from gridmgr's own static files (no CDN, no Flask).

A page builds a map with `base_map`, adds layers with `cells_layer` (inline GeoJSON, or a URL the page
fetches for plans too large to inline) and `legend`, then embeds it with `map_parts`. Feature data goes
into the page as JSON with ``<``, ``>`` and ``&`` escaped, and every tooltip, popup and legend is built in
the browser with ``textContent`` (`gridmgr/static/js/gridmgr-map.js`), so text typed by users (area and
warden names, notes, codes) is shown as text and never run. Layer names, which Leaflet's layer control
inserts as HTML, are HTML-escaped here.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from gridmgr.web.maps.basemaps import BaseMap, Tiles
from gridmgr.web.words import N_

LEAFLET = "leaflet-1.9.4"  # folder under the vendor assets; see gridmgr/static/vendor/README.md
VECTORGRID = "leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.min.js"  # vector tiles, ditto
HELPER_JS = "/static/js/gridmgr-map.js"
BASEMAPS_JS = "/static/js/gridmgr-basemaps.js"

STATUS_STYLES: dict[str, dict[str, Any]] = {
    "ok": {"color": "#2b8a3e", "fillColor": "#51cf66"},
    "due": {"color": "#d9480f", "fillColor": "#fcc419"},
    "overdue": {"color": "#a51111", "fillColor": "#f03e3e"},
    "unstaffed": {"color": "#5f3dc4", "fillColor": "#9775fa"},
    "unscheduled": {"color": "#495057", "fillColor": "#adb5bd"},
}
STATUS_LABELS: dict[str, str] = {
    "ok": N_("OK"),
    "due": N_("Round due"),
    "overdue": N_("Round overdue"),
    "unstaffed": N_("No warden"),
    "unscheduled": N_("No schedule"),
}
CELL_STYLE: dict[str, Any] = {"weight": 1, "opacity": 0.9, "fillOpacity": 0.5}
GAP_STYLE: dict[str, Any] = {
    "color": "#111",
    "weight": 2,
    "dashArray": "4 3",
    "fillColor": "#111",
    "fillOpacity": 0.55,
}
OVERLAP_STYLE: dict[str, Any] = {
    "color": "#0b7285",
    "weight": 2,
    "dashArray": "2 3",
    "fillColor": "#15aabf",
    "fillOpacity": 0.6,
}
OUTLINE_STYLE: dict[str, Any] = {"color": "#1f4e79", "weight": 3, "fill": False, "opacity": 0.9}


def base_map(
    area: shapely.Geometry,
    *,
    tiles_url: str = "",
    attribution: str = "",
    assets: str = "/static/vendor",
    helper_js: str = HELPER_JS,
    name: str | None = None,
    outline: bool = True,
    basemaps: Sequence[BaseMap] | None = None,
    basemaps_js: str | None = None,
    outline_label: str = "Area",
    outline_name: str = "Area outline",
    switch_title: str = "Base map",
    leaflet_js: str | None = None,
    leaflet_css: str | None = None,
) -> folium.Map:
    """A Folium map fitted to an area, with its outline, that loads Leaflet only from `assets`.

    Parameters
    ----------
    area
        The area (WGS84); the map opens on its bounds.
    tiles_url
        A Leaflet tile URL template for the base map; "" for none (a map that asks no other server).
    attribution
        The tiles' attribution (trusted configuration: Leaflet shows it as HTML).
    assets
        URL path under which gridmgr/static/vendor is served.
    helper_js
        URL of gridmgr-map.js, which builds the layers, tooltips and legend in the browser.
    name
        The area's name, shown (as text) in the outline's tooltip.
    outline
        Draw the area's outline.
    basemaps
        The base maps of the page's layer switch, the first shown (`gridmgr.web.maps.basemaps.from_config`);
        replaces `tiles_url`. Geometries are drawn in the datum of the base map shown (AMap: GCJ-02).
    basemaps_js
        URL of gridmgr-basemaps.js (default: beside `helper_js`).
    switch_title
        The base-map switch's tooltip (shown as text).
    outline_label
        The field name before the area's name in the outline's tooltip, in the page's language.
    outline_name
        The outline's name in the layer control, in the page's language.
    leaflet_js, leaflet_css
        URLs of Leaflet's script and style sheet (default: under `assets`), e.g. content-hashed ones.
    """
    minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(area))
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=13,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,  # fit the area closely rather than to the next whole zoom level
        zoom_delta=0.5,
    )
    # instance lists: Folium's class-level lists (CDN links) stay untouched for everyone else
    if basemaps_js is None:
        basemaps_js = helper_js.rsplit("/", 1)[0] + "/gridmgr-basemaps.js"
    m.default_js = [
        ("leaflet", leaflet_js or f"{assets}/{LEAFLET}/leaflet.js"),
        ("gridmgr_map", helper_js),
        ("gridmgr_basemaps", basemaps_js),
    ]
    m.default_css = [("leaflet_css", leaflet_css or f"{assets}/{LEAFLET}/leaflet.css")]
    if basemaps is None:
        tiles = (
            (Tiles(tiles_url, attribution or tiles_url, max_native_zoom=19),) if tiles_url else ()
        )
        basemaps = [BaseMap("xyz", "Base map", tiles=tiles)]
    m.add_child(_Basemaps(list(basemaps), switch_title), name=f"basemaps_{m.get_name()}")
    if outline:
        cells_layer(
            m,
            gpd.GeoDataFrame({"name": [name or ""]}, geometry=[area], crs="EPSG:4326"),
            name=outline_name,
            style=OUTLINE_STYLE,
            style_by=None,
            tooltip_fields={"name": outline_label} if name else (),
            id_field=None,
            pane="gmOutline",
        )
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    return m


def cells_to_columns(
    cells: gpd.GeoDataFrame, fields: Sequence[str], *, precision: int = 6
) -> tuple[str, int]:
    """Cells as compact JSON text ``{"columns": {field: [...]}, "geometries": [GeoJSON, ...]}``, and their count.

    Coordinates are rounded to `precision` decimals (6 is about 10 cm) and only `fields` are kept, all
    without a Python loop over the features; `gridmgr-map.js` turns it back into GeoJSON features.
    """
    geoms = np.asarray(cells.geometry.values, dtype=object)
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, precision))
    columns = {f: _column_values(cells[f]) for f in fields}
    text = (
        '{"columns":'
        + json.dumps(columns, ensure_ascii=False, separators=(",", ":"))
        + ',"geometries":['
        + ",".join(shapely.to_geojson(rounded).tolist())
        + "]}"
    )
    return script_safe(text), len(geoms)


def _column_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready values: NaN and NaT as null, numpy scalars as Python ones."""
    values = column.astype(object).where(column.notna(), None)
    return values.tolist()


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def script_safe(json_text: str) -> str:
    """JSON text safe inside an HTML <script> and inert as a Jinja template.

    <, >, & and the JS line separators become \\u escapes, and so does a brace that would open a Jinja
    tag (Folium compiles the text its elements render as a template once more).
    """
    text = (
        json_text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    return _JINJA_OPEN.sub(r"\\u007b", text)


def html_text(text: str) -> str:
    """Text escaped for HTML that Folium will also pass through Jinja: braces as character references."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


class _Raw(Element):
    """Script text put in the page as it is (a plain Element would compile it as a Jinja template)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text itself."""
        return self.text


def _add_script(element: MacroElement, text: str) -> None:
    """Put script text in the map's page under the element's name, outside Folium's templates."""
    figure = element.get_root()
    if isinstance(figure, Figure):
        figure.script.add_child(_Raw(text), name=element.get_name())


def _parent_name(element: Element) -> str:
    """The JS name of the map or layer an element was added to (it renders only once added)."""
    parent = element._parent
    if parent is None:
        raise ValueError(f"{element.get_name()} was rendered before it was added to a map")
    return parent.get_name()


def _js(value: Any) -> str:
    return script_safe(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


class GeoJsonLayer(Layer):
    """A Leaflet GeoJSON layer built by gridmgr-map.js from inline columns or from a URL it fetches."""

    _template = Template("")  # the script is added as raw text by render()

    def __init__(self, *, name: str, options: Mapping[str, Any], data_js: str, show: bool):
        super().__init__(name=html_text(name), overlay=True, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.options = dict(options)
        self.data_js = data_js
        self.feature_count: int | None = None

    # MacroElement's render adds to the page and returns nothing, where Element's returns the HTML
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add the layer's script (its key, its JS name, in the options so pages can find features)."""
        options = _js({**self.options, "key": self.get_name()})
        _add_script(
            self,
            f"var {self.get_name()} = GridmgrMap.geojson("
            f"{_parent_name(self)}, {options}, {self.data_js});\n",
        )
        super().render(**kwargs)

    @property
    def key(self) -> str:
        """The name pages pass to GridmgrMap.focus(key, id) to zoom to a feature."""
        return self.get_name()


def cells_layer(
    m: folium.Map,
    cells: gpd.GeoDataFrame | Mapping[str, Any] | str,
    *,
    name: str,
    style: Mapping[str, Any] | None = None,
    style_by: str | None = "status",
    tooltip_fields: Sequence[str] | Mapping[str, str] = ("code",),
    popup_fields: Sequence[str] | Mapping[str, str] = (),
    id_field: str | None = "code",
    precision: int = 6,
    show: bool = True,
    loaded_message: str | None = None,
    loading_message: str | None = None,
    pane: str | None = None,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
) -> GeoJsonLayer:
    """Add cells (or any polygons) to a map as one Leaflet GeoJSON layer styled by a column; returns it.

    Parameters
    ----------
    cells
        A GeoDataFrame (inlined in the page), a GeoJSON FeatureCollection (inlined), or a URL of one
        (or of the cells API's compact format) that the page fetches with its session cookie, for
        plans too large to inline.
    name
        The layer's name in the layer control (shown as text).
    style
        Leaflet path options per value of `style_by` (``{"ok": {...}, "due": {...}}``, default
        `STATUS_STYLES`), or one dict of path options for every feature when `style_by` is None.
        `CELL_STYLE` fills in weight and opacities. Each feature's SVG path gets the classes
        ``gm-feature gm-<value>`` and the attributes ``data-id`` and ``data-value``.
    style_by
        The property that picks the style.
    tooltip_fields, popup_fields
        Properties shown in the hover tooltip and the click popup, as text; a mapping gives labels.
        A list is shown joined by commas; a ``{"name", "role"}`` object as "name (role)".
    id_field
        The property `GridmgrMap.focus(layer.key, id)` finds a feature by.
    precision
        Decimals kept in coordinates of inlined features.
    loaded_message
        For a URL: text of the error shown on the map when the cells cannot be fetched.
    loading_message
        For a URL: text shown on the map while the cells are being fetched.
    pane
        A Leaflet pane above the cells to draw in (made on first use), for outlines drawn on top.
    value_labels
        Per property, the text shown for its values in tooltips and popups
        (``{"status": STATUS_LABELS}``); other values are shown as they are. The key ``"role"``
        gives the text of the role in a ``{"name", "role"}`` object (a warden's post).
    """
    tooltip = _labelled(tooltip_fields)
    popup = _labelled(popup_fields)
    if style_by is None:
        styles: dict[str, Any] = {}
        base = {**CELL_STYLE, **(style or {})}
    else:
        styles = {str(k): dict(v) for k, v in (style or STATUS_STYLES).items()}
        base = dict(CELL_STYLE)
    options = {
        "styleBy": style_by,
        "styles": styles,
        "base": base,
        "tooltip": tooltip,
        "popup": popup,
        "idField": id_field,
        "pane": pane,
        "valueLabels": {k: dict(v) for k, v in (value_labels or {}).items()},
    }
    if isinstance(cells, str):
        options["url"] = cells
        options["error"] = loaded_message or "the cells could not be loaded"
        options["loading"] = loading_message or "Loading cells…"
        layer = GeoJsonLayer(name=name, options=options, data_js="null", show=show)
    else:
        if not isinstance(cells, gpd.GeoDataFrame):
            features = list(cells.get("features") or [])
            cells = (
                gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
                if features
                else gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
            )
        wanted = [k for k, _ in tooltip] + [k for k, _ in popup] + [style_by, id_field]
        fields = [f for f in dict.fromkeys(wanted) if f is not None and f in cells.columns]
        data_js, count = cells_to_columns(cells, fields, precision=precision)
        layer = GeoJsonLayer(name=name, options=options, data_js=data_js, show=show)
        layer.feature_count = count
    layer.add_to(m)
    return layer


class VectorTilesLayer(GeoJsonLayer):
    """Cells drawn by gridmgr-map.js from vector tiles (Leaflet.VectorGrid), for plans too big to send."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as GeoJsonLayer.render
        """Add the layer's script: GridmgrMap.tiles(map, options)."""
        options = _js({**self.options, "key": self.get_name()})
        _add_script(
            self, f"var {self.get_name()} = GridmgrMap.tiles({_parent_name(self)}, {options});\n"
        )
        super(GeoJsonLayer, self).render(**kwargs)  # Layer.render, past GeoJsonLayer's script


def tiles_layer(
    m: folium.Map,
    url: str,
    *,
    name: str,
    script: str,
    layer: str = "cells",
    style: Mapping[str, Any] | None = None,
    style_by: str = "status",
    tooltip_fields: Sequence[str] | Mapping[str, str] = ("code",),
    popup_fields: Sequence[str] | Mapping[str, str] = (),
    id_field: str | None = "code",
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    merged_layer: str = "statuses",
    merged_text: str = "{status}: {count} cells",
) -> VectorTilesLayer:
    """Add cells drawn from Mapbox Vector Tiles to a map, styled, labelled and clickable as
    `cells_layer` draws them; returns the layer.

    `url` is the tiles' template with ``{z}``, ``{x}`` and ``{y}`` (the page fetches it with its
    session cookie), `script` the URL of the vendored Leaflet.VectorGrid (`VECTORGRID`) and `layer`
    the tiles' layer to draw; zoomed out, the tiles carry `merged_layer` instead (the cells merged
    per status, with `cells` and `cells_zoom`), drawn in the same colours, with `merged_text` (its
    "{status}" and "{count}" filled in) as the tooltip and a click zooming in to the single cells.
    The other parameters are those of `cells_layer`.
    """
    options = {
        "url": url,
        "layer": layer,
        "styleBy": style_by,
        "styles": {str(k): dict(v) for k, v in (style or STATUS_STYLES).items()},
        "base": dict(CELL_STYLE),
        "tooltip": _labelled(tooltip_fields),
        "popup": _labelled(popup_fields),
        "idField": id_field,
        "valueLabels": {k: dict(v) for k, v in (value_labels or {}).items()},
        "mergedLayer": merged_layer,
        "merged": merged_text,
    }
    m.default_js = [*m.default_js, ("leaflet_vectorgrid", script)]
    # gridmgr-map.js puts it on the map once the first view is settled (not folium, at once: the
    # tiles of the view before the bounds are fitted would be asked for too)
    made = VectorTilesLayer(name=name, options=options, data_js="null", show=False)
    made.add_to(m)
    return made


def _labelled(fields: Sequence[str] | Mapping[str, str]) -> list[list[str]]:
    if isinstance(fields, Mapping):
        return [[str(k), str(v)] for k, v in fields.items()]
    return [[str(f), str(f).replace("_", " ").capitalize()] for f in fields]


class _Legend(MacroElement):
    _template = Template("")  # the script is added as raw text by render()

    def __init__(self, spec: str):
        super().__init__()
        self._name = "Legend"
        self.spec = spec

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as GeoJsonLayer.render
        """Add the legend's script."""
        _add_script(self, f"GridmgrMap.legend({_parent_name(self)}, {self.spec});\n")
        super().render(**kwargs)


class _Basemaps(MacroElement):
    _template = Template("")  # the script is added as raw text by render()

    def __init__(self, basemaps: list[BaseMap], title: str = "Base map"):
        super().__init__()
        self._name = "Basemaps"
        self.basemaps = basemaps
        self.title = title

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as GeoJsonLayer.render
        """Add the script that builds the base maps and their layer switch (names HTML-escaped)."""
        specs = [{**b.spec(), "name": html.escape(b.name)} for b in self.basemaps]
        options = _js({"title": self.title})  # a title attribute: set as text, never parsed
        _add_script(
            self, f"GridmgrBasemaps.setup({_parent_name(self)}, {_js(specs)}, {options});\n"
        )
        super().render(**kwargs)


def legend(
    m: folium.Map,
    entries: Sequence[tuple[str, Mapping[str, Any]]] | None = None,
    *,
    title: str = "Cells",
    counts: Mapping[str, int] | None = None,
    position: str = "bottomright",
) -> None:
    """Add a legend control: a swatch per style with its label (and count), all shown as text.

    `entries` are (label, path options) pairs, default one per status in `STATUS_STYLES`; `counts`
    maps labels to numbers shown beside them.
    """
    if entries is None:
        entries = [(STATUS_LABELS[k], v) for k, v in STATUS_STYLES.items()]
    items = [
        {
            "label": label,
            "fill": style.get("fillColor", style.get("color", "#888")),
            "stroke": style.get("color", "#333"),
            "dash": style.get("dashArray"),
            "count": None if counts is None else counts.get(label),
        }
        for label, style in entries
    ]
    spec = _js({"title": title, "position": position, "items": items})
    m.add_child(_Legend(spec), name=f"legend_{m.get_name()}")


def map_parts(m: folium.Map, *, height: str = "100%", nonce: str = "") -> dict[str, str]:
    """The map split for a Jinja page: ``head`` (links and styles), ``html`` (the map's div), ``script``.

    Unlike Folium's standalone page, the head sets no page-wide styles (``html, body`` sizes, a
    no-zoom viewport); the map fills its container (`height` of it). All three are HTML to insert
    as is: every text in them came through `script_safe` or `html.escape`. `nonce` goes on the inline
    script and style so a Content-Security-Policy with that nonce lets them run.
    """
    root = cast(Figure, m.get_root())  # a map renders into the Figure it was made with
    for child in list(root._children.values()):
        child.render()
    skip = {m.get_name(), "meta_http"}
    head = [child.render() for key, child in root.header._children.items() if key not in skip]
    attr = f' nonce="{html.escape(nonce)}"' if nonce else ""
    head.append(
        f"<style{attr}>#{m.get_name()} {{ position: relative; width: 100%; height: {html.escape(height)}; }}</style>"
    )
    return {
        "head": "\n".join(head),
        "html": root.html.render(),
        "script": f"<script{attr}>\n" + root.script.render() + "\n</script>",
    }
