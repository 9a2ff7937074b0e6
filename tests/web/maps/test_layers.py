"""gridmgr.web.maps.layers: Folium maps that load only gridmgr's own assets and put user text in pages as data."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import pytest
import shapely

from gridmgr.web.maps import layers as maps

AREA = shapely.box(120.46, 36.10, 120.47, 36.11)
EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"


def _cells(n: int = 4) -> gpd.GeoDataFrame:
    boxes = [shapely.box(120.46 + k * 0.001234567891, 36.10, 120.461 + k * 0.0012, 36.101) for k in range(n)]  # fmt: skip
    return gpd.GeoDataFrame(
        {
            "code": [f"C-{k:03d}" for k in range(n)],
            "status": ["ok", "due", "overdue", "unstaffed"][:n] + ["ok"] * (n - 4),
            "wardens": [EVIL] + ["张伟 (leader)"] * (n - 1),
            "area_m2": [1234.5] * n,
        },
        geometry=boxes,
        crs="EPSG:4326",
    )


def _parts(m: folium.Map) -> dict[str, str]:
    folium.LayerControl().add_to(m)
    return maps.map_parts(m)


def _data_of(script: str, layer: maps.GeoJsonLayer) -> dict:
    """The inline data a layer hands to GridmgrMap.geojson, parsed back."""
    call = script[script.index(f"var {layer.key} = GridmgrMap.geojson(") :]
    end = call.index(");\n")
    text = call[call.index("}, ") + 3 : end]
    return json.loads(text)


def test_every_asset_is_served_by_gridmgr():
    m = maps.base_map(AREA, tiles_url="", attribution="", assets="/static/vendor")
    maps.cells_layer(m, _cells(), name="Cells")
    maps.legend(m)
    parts = _parts(m)
    urls = re.findall(r'(?:src|href)="([^"]+)"', "".join(parts.values()))
    assert sorted(urls) == [
        "/static/js/gridmgr-basemaps.js",
        "/static/js/gridmgr-map.js",
        "/static/vendor/leaflet-1.9.4/leaflet.css",
        "/static/vendor/leaflet-1.9.4/leaflet.js",
    ]
    assert "http" not in "".join(parts.values())
    assert "tileLayer" not in parts["script"]  # no base map asked for
    # Folium's own class-level CDN lists are left alone for other users of Folium
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_vendored_files_exist_with_their_licence():
    from gridmgr.web import STATIC

    folder = STATIC / "vendor" / maps.LEAFLET
    for name in ("leaflet.js", "leaflet.css", "LICENSE", "images/layers.png"):
        assert (folder / name).is_file(), name
    assert maps.LEAFLET in (STATIC / "vendor" / "README.md").read_text(encoding="utf-8")
    assert (STATIC / "js" / "gridmgr-map.js").is_file()


def test_a_base_map_when_configured():
    m = maps.base_map(
        AREA, tiles_url="https://tiles.example/{z}/{x}/{y}.png", attribution="© Example"
    )
    script = _parts(m)["script"]
    assert "https://tiles.example/{z}/{x}/{y}.png" in script and "Example" in script


def test_the_head_sets_no_page_wide_styles():
    head = maps.map_parts(maps.base_map(AREA, tiles_url="", attribution=""))["head"]
    assert "html, body" not in head and "user-scalable" not in head and "#map {" not in head


def test_user_text_goes_in_as_escaped_data():
    m = maps.base_map(AREA, tiles_url="", attribution="", name=EVIL)
    cells = _cells()
    cells.loc[1, "code"] = EVIL
    layer = maps.cells_layer(m, cells, name=EVIL, tooltip_fields=["code", "wardens"])
    maps.legend(m, [(EVIL, maps.STATUS_STYLES["ok"])], title=EVIL)
    parts = _parts(m)
    everything = "".join(parts.values())
    assert "<img" not in everything and "<script>alert" not in everything
    assert everything.count("</script>") == everything.count("<script")  # no early close
    # the layer control sets names as HTML: escaped, so they show as text
    assert "\\u0026lt;/script\\u0026gt;" in parts["script"]
    data = _data_of(parts["script"], layer)
    assert data["columns"]["code"][1] == EVIL and data["columns"]["wardens"][0] == EVIL


def test_inline_cells_are_trimmed_and_rounded():
    m = maps.base_map(AREA, tiles_url="", attribution="")
    layer = maps.cells_layer(m, _cells(), name="Cells", tooltip_fields={"code": "Cell"})
    data = _data_of(_parts(m)["script"], layer)
    assert set(data["columns"]) == {"code", "status"}  # area_m2 and wardens not asked for
    assert layer.feature_count == 4
    coords = json.dumps(data["geometries"])
    assert max(len(d) for d in re.findall(r"\.(\d+)", coords)) <= 6


def test_big_plans_are_fetched_not_inlined():
    m = maps.base_map(AREA, tiles_url="", attribution="")
    url = "/api/v1/areas/park/cells?fields=code,status,wardens&precision=6"
    layer = maps.cells_layer(m, url, name="Cells")
    script = _parts(m)["script"]
    assert layer.feature_count is None
    assert "geometries" not in script.split(layer.key, 1)[1].split(");", 1)[0]
    assert url.replace("&", "\\u0026") in script and f"var {layer.key} = " in script


def test_feature_collections_and_single_styles():
    m = maps.base_map(AREA, tiles_url="", attribution="")
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"area_m2": 12.5},
                "geometry": json.loads(
                    shapely.to_geojson(shapely.box(120.461, 36.101, 120.462, 36.102))
                ),
            }
        ],
    }
    gaps = maps.cells_layer(
        m, fc, name="Gaps", style=maps.GAP_STYLE, style_by=None, tooltip_fields=["area_m2"]
    )
    empty = maps.cells_layer(m, {"type": "FeatureCollection", "features": []}, name="Overlaps")
    script = _parts(m)["script"]
    assert gaps.feature_count == 1 and empty.feature_count == 0
    assert _data_of(script, gaps)["columns"] == {"area_m2": [12.5]}
    assert '"dashArray":"4 3"' in script


@pytest.mark.parametrize("n", [654])
def test_inline_page_weight_stays_small(n):
    import numpy as np

    side = int(np.ceil(np.sqrt(n)))
    cells = gpd.GeoDataFrame(
        {"code": [f"D-{k:04d}" for k in range(n)], "status": ["ok"] * n, "wardens": ["王伟 (member)"] * n},
        geometry=[shapely.box(126.6 + (k % side) * 0.01, 45.7 + (k // side) * 0.01,
                              126.61 + (k % side) * 0.01, 45.71 + (k // side) * 0.01) for k in range(n)],
        crs="EPSG:4326",
    )  # fmt: skip
    m = maps.base_map(shapely.box(126.6, 45.7, 126.9, 46.0), tiles_url="", attribution="")
    maps.cells_layer(m, cells, name="Cells", tooltip_fields=["code", "status", "wardens"])
    assert len("".join(_parts(m).values()).encode()) < 150_000


def test_jinja_in_user_text_is_never_run():
    """Folium compiles what its elements render as a Jinja template again: user text must stay inert."""
    sneaky = "{{ 7*7 }} {% if true %}RAN{% endif %} {{{ 6*7 }}} {#x#}"
    m = maps.base_map(AREA, tiles_url="", attribution="", name=sneaky)
    cells = _cells()
    cells["code"] = [sneaky, "{{ lipsum.__globals__ }}", "C-2", "C-3"]
    layer = maps.cells_layer(m, cells, name=sneaky, tooltip_fields=["code"])
    maps.legend(m, [(sneaky, maps.STATUS_STYLES["ok"])], title=sneaky)
    script = _parts(m)["script"]
    ran = [script[hit.start() - 5 : hit.start()] for hit in re.finditer("RAN", script)]
    assert ran and all(before.endswith(("%}", "#125;")) for before in ran), ran  # only as text
    assert "{{" not in script and "{%" not in script and "{#" not in script
    assert _data_of(script, layer)["columns"]["code"][:2] == [sneaky, "{{ lipsum.__globals__ }}"]
    assert "\\u0026#123;\\u0026#123; 7*7" in script  # the layer control's name, as HTML text
