"""The base maps a page may offer (OpenStreetMap, Tianditu, AMap, a self-hosted XYZ server, none), from config.

Pure data, no Flask: `from_config(mapping)` turns an app's configuration into the base maps its map
pages offer in their layer switch, first the default. Each base map is one or more tile layers drawn
one above the other (Tianditu's annotation over its vector or imagery tiles) and names the datum of
its tiles: geometries are drawn shifted into that datum (AMap's tiles are GCJ-02) by
`gridmgr/static/js/gridmgr-basemaps.js`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gridmgr.errors import InvalidInput
from gridmgr.web.words import N_

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_TIANDITU_WMTS = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}"
)
TIANDITU_ATTRIBUTION = (
    '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> 国家地理信息公共服务平台'
)
AMAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_ATTRIBUTION = '&copy; <a href="https://www.amap.com/">高德地图</a> AutoNavi'

# the catalogue's keys; "tianditu" in BASEMAPS stands for both of its base maps
KEYS = ("osm", "tianditu_vec", "tianditu_img", "amap", "xyz", "none")
GROUPS: dict[str, tuple[str, ...]] = {"tianditu": ("tianditu_vec", "tianditu_img")}
DEFAULT_ORDER = ("osm", "tianditu", "amap", "xyz", "none")
# the names in the layer switch, in English (the catalog, translations/, has them in Chinese)
NAMES = {
    "osm": N_("OpenStreetMap"),
    "tianditu_vec": N_("Tianditu"),
    "tianditu_img": N_("Tianditu imagery"),
    "amap": N_("AMap"),
    "xyz": N_("Local tiles"),
    "none": N_("No base map"),
}
# the tile layers whose URL template BASEMAP_URLS may replace (tests point them at their own server)
URL_KEYS = ("osm", "tianditu_vec", "tianditu_cva", "tianditu_img", "tianditu_cia", "amap")


@dataclass(frozen=True)
class Tiles:
    """One XYZ tile layer: a Leaflet URL template, its subdomains and attribution (trusted HTML)."""

    url: str
    attribution: str = ""
    subdomains: str = ""
    max_zoom: int = 19
    max_native_zoom: int = 18

    def options(self) -> dict[str, Any]:
        """The layer as the JSON gridmgr-basemaps.js builds an L.tileLayer from."""
        out: dict[str, Any] = {
            "url": self.url,
            "attribution": self.attribution,
            "maxZoom": self.max_zoom,
            "maxNativeZoom": self.max_native_zoom,
        }
        if self.subdomains:
            out["subdomains"] = self.subdomains
        return out


@dataclass(frozen=True)
class BaseMap:
    """A base map of the layer switch: its key, its name there, its tile layers and their datum."""

    key: str
    name: str
    datum: str = "wgs84"
    tiles: tuple[Tiles, ...] = field(default_factory=tuple)

    def spec(self) -> dict[str, Any]:
        """The base map as JSON for gridmgr-basemaps.js."""
        return {
            "key": self.key,
            "name": self.name,
            "datum": self.datum,
            "tiles": [t.options() for t in self.tiles],
        }


def _url(urls: Mapping[str, str], key: str, default: str) -> str:
    return str(urls.get(key) or default)


def catalogue(
    *,
    tianditu_key: str = "",
    tiles_url: str = "",
    tiles_name: str = "",
    tiles_attribution: str = "",
    urls: Mapping[str, str] | None = None,
    translate: Callable[[str], str] | None = None,
) -> dict[str, BaseMap]:
    """Every base map that can be offered with these settings, by key (Tianditu only with a key,
    xyz only with a URL other than OpenStreetMap's, none always).

    The built-in names are English (`NAMES`); `translate` (the web page's gettext) puts them in the
    page's language. A configured TILES_NAME is shown as it is.
    """
    urls = dict(urls or {})
    tr = translate or (lambda text: text)
    out: dict[str, BaseMap] = {
        "osm": BaseMap(
            "osm",
            tr(NAMES["osm"]),
            tiles=(Tiles(_url(urls, "osm", OSM_TILES), OSM_ATTRIBUTION, max_native_zoom=19),),
        )
    }
    if tianditu_key:
        tk = quote(str(tianditu_key), safe="")

        def tdt(layer: str) -> Tiles:
            default = _TIANDITU_WMTS.replace("{layer}", layer)
            url = _url(urls, f"tianditu_{layer}", default).replace("{tk}", tk)
            return Tiles(url, TIANDITU_ATTRIBUTION, subdomains="01234567")

        out["tianditu_vec"] = BaseMap(
            "tianditu_vec", tr(NAMES["tianditu_vec"]), tiles=(tdt("vec"), tdt("cva"))
        )
        out["tianditu_img"] = BaseMap(
            "tianditu_img", tr(NAMES["tianditu_img"]), tiles=(tdt("img"), tdt("cia"))
        )
    out["amap"] = BaseMap(
        "amap",
        tr(NAMES["amap"]),
        datum="gcj02",
        tiles=(Tiles(_url(urls, "amap", AMAP_TILES), AMAP_ATTRIBUTION, subdomains="1234"),),
    )
    if tiles_url and tiles_url != OSM_TILES:
        out["xyz"] = BaseMap(
            "xyz",
            tiles_name or tr(NAMES["xyz"]),
            tiles=(Tiles(tiles_url, tiles_attribution or "", max_native_zoom=19),),
        )
    out["none"] = BaseMap("none", tr(NAMES["none"]))
    return out


def choose(
    available: Mapping[str, BaseMap], order: Sequence[str], default: str | None = None
) -> list[BaseMap]:
    """The base maps named in `order` that are available, the default first, "none" always last-or-kept."""
    keys: list[str] = []
    for name in order:
        name = str(name).strip().lower()
        expanded = GROUPS.get(name, (name,))
        for key in expanded:
            if key not in KEYS:
                raise InvalidInput(
                    f"unknown base map {name!r} in BASEMAPS: use {', '.join(DEFAULT_ORDER)}"
                )
            if key in available and key not in keys:
                keys.append(key)
    if "none" not in keys:
        keys.append("none")
    if default:
        wanted = GROUPS.get(default, (default,))[0]
        if wanted in keys:
            keys.remove(wanted)
            keys.insert(0, wanted)
    return [available[k] for k in keys]


def from_config(
    config: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    *,
    translate: Callable[[str], str] | None = None,
) -> list[BaseMap]:
    """The base maps an app's pages offer, the default first.

    Keys: BASEMAPS (order and selection, default osm, tianditu, amap, xyz, none), DEFAULT_BASEMAP,
    TIANDITU_KEY, TILES_URL / TILES_NAME / TILES_ATTRIBUTION (the self-hosted "xyz" server),
    BASEMAP_URLS (URL templates replacing the catalogue's, by `URL_KEYS`). Without BASEMAPS, a
    TILES_URL of "" means no base map at all and another server's URL means only that one (and none),
    as before there were several. A key missing from `config` is read from `env` (default the
    process environment) as GRIDMGR_<KEY> (BASEMAPS there separated by commas). `translate` puts
    the built-in names in the page's language (see `catalogue`).
    """
    env = os.environ if env is None else env

    def get(key: str) -> Any:
        value = config.get(key)
        return env.get(f"GRIDMGR_{key}") if value is None else value

    tiles_url = str(get("TILES_URL") or "")
    available = catalogue(
        tianditu_key=str(get("TIANDITU_KEY") or ""),
        tiles_url=tiles_url,
        tiles_name=str(get("TILES_NAME") or ""),
        tiles_attribution=str(get("TILES_ATTRIBUTION") or ""),
        urls=config.get("BASEMAP_URLS") or {},
        translate=translate,
    )
    order = get("BASEMAPS")
    if isinstance(order, str):
        order = [k for k in order.replace(",", " ").split() if k]
    if not order:
        if not tiles_url:
            order = ["none"]
        elif tiles_url != OSM_TILES:
            order = ["xyz", "none"]
        else:
            order = list(DEFAULT_ORDER)
    default = get("DEFAULT_BASEMAP") or None
    return choose(available, order, str(default).strip().lower() if default else None)


def tile_sources(basemaps: Sequence[BaseMap]) -> list[str]:
    """The CSP sources (``https://*.tianditu.gov.cn``…) the base maps' tiles load from, for img-src.

    A subdomain placeholder (``t{s}.tianditu.gov.cn``) becomes a ``*.`` wildcard; tiles served by
    gridmgr's own host (a relative URL) need none ('self' covers them).
    """
    out: list[str] = []
    for base in basemaps:
        for tiles in base.tiles:
            source = _source_of(tiles.url)
            if source and source not in out:
                out.append(source)
    return out


def _source_of(url: str) -> str | None:
    """One tile URL template's CSP source expression, or None for a URL on gridmgr's own host."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    host = rest.split("/", 1)[0].split("?", 1)[0].split("@")[-1]
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
        if len(labels) < 3:  # "*.com" is not a source CSP allows: fall back to the scheme
            return f"{scheme.lower()}:"
    return f"{scheme.lower()}://{'.'.join(labels).lower()}"
