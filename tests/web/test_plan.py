"""The planner's pages: preview a new grid (nothing written), commit it, restore, new areas from uploads."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape

from conftest import GEODATA, ROOT
from webtools import PASSWORD, csrf_of, login, seed_park

DATA = ROOT / "tests" / "data"


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    return app_factory(), seeded, engine


def planner(app):
    client = app.test_client()
    login(client, "planner")
    return client


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden inputs of the form posting to `action`."""
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    return {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


def upload(path: Path, name: str | None = None) -> tuple[io.BytesIO, str]:
    return io.BytesIO(path.read_bytes()), name or path.name


def posts_of(engine) -> dict[str, int]:
    from gridmgr import services

    return {w.name: w.cell_count for w in services.list_wardens(engine)}


def test_preview_writes_nothing_and_commit_keeps_every_post(site):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    page = client.get(f"/areas/{seeded.slug}/plan")
    assert page.status_code == 200 and "Plan history" in page.get_data(as_text=True)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    form = {"csrf_token": token, "mode": "count", "count": "40", "crs": "wgs84"}
    got = client.post(f"/areas/{seeded.slug}/plan/preview", data=form)
    text = got.get_data(as_text=True)
    assert got.status_code == 200, text
    assert "Preview (nothing written yet)" in text and "Commit as plan v2" in text
    assert "folium-map" in text and "/static/vendor/leaflet" in text  # the new cells on a map
    assert len(services.list_plans(engine, seeded.slug)) == 1  # a dry run writes nothing
    fields = hidden_fields(text, f"/areas/{seeded.slug}/plan/commit")
    assert fields["mode"] == "count" and fields["count"] == "40"
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    plans = services.list_plans(engine, seeded.slug)
    assert [(p.version, p.active, p.cells) for p in plans] == [
        (1, False, 30),
        (2, True, 40),
    ]
    assert plans[1].created_by == "planner"
    assert all(n >= 1 for n in posts_of(engine).values())  # no warden lost a post
    assert "plan v2 is active" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_preview_codes_are_the_codes_a_commit_writes(site):
    from gridmgr import services

    _app, seeded, engine = site
    preview = services.preview_grid(engine, seeded.slug, cell_size=60, shape="hex")
    report, cells = preview.report, preview.cells
    assert report.dry_run and len(cells) == report.cells
    assert set(cells["change"]) <= {"kept", "new", "gained", "lost", "changed"}
    assert int(cells["wardens"].min()) >= 1  # staffed ground stays staffed
    services.grid(engine, seeded.slug, cell_size=60, shape="hex")
    assert list(cells["code"]) == list(services.plan_cells(engine, seeded.slug)["code"])


def test_cells_file_upload_is_kept_between_preview_and_commit(site, tmp_path):
    from gridmgr import services

    app, seeded, engine = site
    drawn = tmp_path / "drawn.geojson"
    services.export_plan(engine, seeded.slug, drawn)
    client = planner(app)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "import", "crs": "wgs84", "cells": upload(drawn)},
        content_type="multipart/form-data",
    )
    text = got.get_data(as_text=True)
    assert got.status_code == 200, text
    fields = hidden_fields(text, f"/areas/{seeded.slug}/plan/commit")
    kept = fields["cells_token"]
    assert re.fullmatch(r"[0-9a-f]{32}", kept)
    stash = Path(app.instance_path) / "uploads" / kept
    assert (stash / "drawn.geojson").exists()
    assert len(services.list_plans(engine, seeded.slug)) == 1
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    plans = services.list_plans(engine, seeded.slug)
    assert plans[-1].mode == "import" and plans[-1].cells == 30 and plans[-1].active
    assert not stash.exists()  # removed after the commit
    again = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert again.status_code == 409  # that preview is stale now
    fields.pop("area_version")
    again = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert again.status_code == 422 and "upload it again" in again.get_data(as_text=True)


@pytest.mark.parametrize("token", ["../../secret_key", "0" * 31, "x" * 32, ""])
def test_commit_takes_only_well_formed_tokens(site, token):
    app, seeded, _engine = site
    client = planner(app)
    got = client.post(
        f"/areas/{seeded.slug}/plan/commit",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "import", "cells_token": token},
    )
    assert got.status_code == 422
    text = got.get_data(as_text=True)
    assert "upload" in text and "secret" not in text.replace(token, "")


def test_restore_an_earlier_plan(site):
    from gridmgr import services

    app, seeded, engine = site
    services.grid(engine, seeded.slug, count=12)
    client = planner(app)
    page = client.get(f"/areas/{seeded.slug}/plan").get_data(as_text=True)
    assert page.count(">Restore</button>") == 1
    got = client.post(
        f"/areas/{seeded.slug}/plan/restore",
        data={"csrf_token": csrf_of(client, "/areas"), "version": "1"},
    )
    assert got.status_code == 302, got.get_data(as_text=True)
    plans = services.list_plans(engine, seeded.slug)
    assert (plans[-1].version, plans[-1].mode, plans[-1].cells) == (3, "restore", 30)
    assert list(services.plan_cells(engine, seeded.slug)["code"]) == seeded.codes
    bad = client.post(
        f"/areas/{seeded.slug}/plan/restore",
        data={"csrf_token": csrf_of(client, "/areas"), "version": "9"},
    )
    assert bad.status_code == 404 and "no plan version 9" in bad.get_data(as_text=True)


def test_new_area_from_a_geojson_upload(site):
    from gridmgr import services

    app, _seeded, engine = site
    client = planner(app)
    assert client.get("/areas/new").status_code == 200
    got = client.post(
        "/areas/new",
        data={
            "csrf_token": csrf_of(client, "/areas/new"),
            "name": "<b>东湖</b> Park",
            "kind": "park",
            "code": "370212",
            "timezone": "Asia/Shanghai",
            "crs": "wgs84",
            "boundary": upload(GEODATA / "demo_park.geojson", "公园.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert got.status_code == 302, got.get_data(as_text=True)
    slug = got.headers["Location"].split("/")[2]
    area = services.get_area(engine, slug)
    assert area.name == "<b>东湖</b> Park" and area.cells == 0
    page = client.get(got.headers["Location"]).get_data(as_text=True)
    assert "&lt;b&gt;东湖&lt;/b&gt; Park" in page and "<b>东湖</b>" not in page
    client.post(
        f"/areas/{slug}/plan/commit",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "count", "count": "5"},
    )
    assert services.plan_cells(engine, slug)["code"].iloc[0] == "370212001"
    page = client.get(f"/areas/{slug}/plan").get_data(as_text=True)
    assert "folium-map" in page and "<b>东湖</b>" not in page  # the name is escaped on the map too


def test_new_area_slug_from_the_chinese_name_or_chosen_on_the_form(site):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    form = client.get("/areas/new").get_data(as_text=True)
    assert 'name="slug"' in form and "ertong-gongyuan" in form

    def add(name: str, slug: str = ""):
        data = {"csrf_token": csrf_of(client, "/areas/new"), "name": name, "kind": "park",
                "slug": slug, "boundary": upload(GEODATA / "demo_park.geojson")}  # fmt: skip
        return client.post("/areas/new", data=data, content_type="multipart/form-data")

    made = add("儿童公园")
    assert made.status_code == 302 and made.headers["Location"] == "/areas/ertong-gongyuan/plan"
    assert add("兆麟公园").headers["Location"] == "/areas/zhaolin-gongyuan/plan"
    assert add("儿童公园", " et-2 ").headers["Location"] == "/areas/et-2/plan"
    taken = add("Another", seeded.slug)
    page = html.unescape(taken.get_data(as_text=True))
    assert taken.status_code == 409
    assert f"slug '{seeded.slug}' is taken by the area 'Haibin Park'" in page
    assert f'name="slug" value="{seeded.slug}"' in page  # the form keeps what was typed
    bad = add("Another", "Not/A Slug")
    assert bad.status_code == 422 and "lower-case letters a-z" in bad.get_data(as_text=True)
    slugs = {a.slug for a in services.list_areas(engine)}
    assert slugs == {seeded.slug, "ertong-gongyuan", "zhaolin-gongyuan", "et-2"}


def test_new_area_from_a_zipped_shapefile(site, tmp_path):
    import geopandas as gpd

    from gridmgr import services

    app, _seeded, engine = site
    shp = tmp_path / "shp"
    shp.mkdir()
    gpd.read_file(GEODATA / "demo_park.geojson").to_file(shp / "park.shp", engine="pyogrio")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    zipped.seek(0)
    client = planner(app)
    got = client.post(
        "/areas/new",
        data={
            "csrf_token": csrf_of(client, "/areas/new"),
            "name": "Zipped park",
            "kind": "park",
            "crs": "wgs84",
            "boundary": (zipped, "park.zip"),
        },
        content_type="multipart/form-data",
    )
    assert got.status_code == 302, got.get_data(as_text=True)
    area = services.get_area(engine, "zipped-park")
    direct = services.add_area(engine, GEODATA / "demo_park.geojson", name="Direct")
    assert area.area_m2 == pytest.approx(direct.area_m2, rel=1e-6)


def cli_message(name: str, monkeypatch, **kw) -> str:
    """What `gridmgr area add NAME` prints after 'gridmgr: error: ' when run beside the file."""
    from gridmgr.errors import InvalidInput
    from gridmgr.files.areas import read_area

    monkeypatch.chdir(DATA)
    with pytest.raises(InvalidInput) as caught:
        read_area(name, **kw)
    return str(caught.value)


@pytest.mark.parametrize(
    "bad",
    ["bowtie.geojson", "not_json.geojson", "points_only.geojson", "zero_area_by_rounding.geojson"],
)
def test_bad_boundary_upload_shows_the_cli_message(site, bad, monkeypatch):
    from gridmgr import services

    app, _seeded, engine = site
    want = cli_message(bad, monkeypatch)
    client = planner(app)
    before = len(services.list_areas(engine))
    got = client.post(
        "/areas/new",
        data={
            "csrf_token": csrf_of(client, "/areas/new"),
            "name": "Bad park",
            "kind": "park",
            "crs": "wgs84",
            "boundary": upload(DATA / bad),
        },
        content_type="multipart/form-data",
    )
    text = got.get_data(as_text=True)
    assert got.status_code == 422
    assert str(escape(want)) in text
    assert 'value="Bad park"' in text  # the form is kept
    assert "Traceback" not in text and "gridmgr-upload" not in text
    assert len(services.list_areas(engine)) == before


def test_bad_cells_or_lines_upload_on_the_plan_page(site, monkeypatch):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    want = cli_message("not_json.geojson", monkeypatch)
    for mode, field in [("import", "cells"), ("count", "lines")]:
        got = client.post(
            f"/areas/{seeded.slug}/plan/preview",
            data={
                "csrf_token": token,
                "mode": mode,
                "count": "7",
                "crs": "wgs84",
                field: upload(DATA / "not_json.geojson"),
            },
            content_type="multipart/form-data",
        )
        text = got.get_data(as_text=True)
        assert got.status_code == 422, text
        assert str(escape(want)) in text
        assert 'value="7"' in text  # the form is kept
    assert not any((Path(app.instance_path) / "uploads").iterdir())  # refused files not kept
    bad_count = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "count", "count": "many"},
    )
    assert bad_count.status_code == 422 and "positive whole number" in bad_count.get_data(
        as_text=True
    )
    assert len(services.list_plans(engine, seeded.slug)) == 1


def test_drawn_cells_with_one_of_no_area_are_refused_on_the_plan_page(site, tmp_path):
    """Issue 12 on the planner's page: a drawn cell whose corners lie on one line is refused by
    feature, in the page's language, and the plan stays as it was."""
    from gridmgr import services

    app, seeded, engine = site
    flat = json.loads((DATA / "zero_area_by_rounding.geojson").read_text())
    square = {"type": "Polygon", "coordinates": [[[120, 36], [120.004, 36], [120.004, 36.003],
                                                  [120, 36.003], [120, 36]]]}  # fmt: skip
    drawn = tmp_path / "drawn.geojson"
    drawn.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": g} for g in (square, flat)
    ]}))  # fmt: skip
    client = planner(app)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={
            "csrf_token": csrf_of(client, f"/areas/{seeded.slug}/plan"),
            "mode": "import",
            "crs": "wgs84",
            "cells": upload(drawn),
        },
        content_type="multipart/form-data",
    )
    text = html.unescape(got.get_data(as_text=True))
    assert got.status_code == 422, text
    assert "drawn.geojson: feature 1 (Polygon)：多边形没有围出面积" in text
    assert len(services.list_plans(engine, seeded.slug)) == 1


def test_an_upload_over_the_limit_is_refused_with_413(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    app = app_factory(MAX_UPLOAD_MB=0.01)
    client = planner(app)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    big = io.BytesIO(b" " * 20_000 + (GEODATA / "demo_park.geojson").read_bytes())
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "import", "cells": (big, "big.geojson")},
        content_type="multipart/form-data",
    )
    assert got.status_code == 413 and "larger than the limit" in got.get_data(as_text=True)


def test_roles_on_the_plan_pages(site):
    app, seeded, _engine = site
    slug = seeded.slug
    warden = app.test_client()
    login(warden, "warden1")
    token = csrf_of(warden, "/login")
    for path in [f"/areas/{slug}/plan", "/areas/new"]:
        assert warden.get(path).status_code == 403
    for path in ["preview", "commit", "restore"]:
        got = warden.post(f"/areas/{slug}/plan/{path}", data={"csrf_token": token})
        assert got.status_code == 403
    manager = app.test_client()
    login(manager, "manager")
    page = manager.get(f"/areas/{slug}/plan").get_data(as_text=True)
    assert "Plan history" in page and "New grid" not in page and ">Restore<" not in page
    token = csrf_of(manager, "/areas")
    for path in ["preview", "commit", "restore"]:
        got = manager.post(
            f"/areas/{slug}/plan/{path}",
            data={"csrf_token": token, "mode": "count", "count": "5", "version": "1"},
        )
        assert got.status_code == 403
    assert manager.get("/areas/new").status_code == 403
    nobody = app.test_client()
    assert nobody.get(f"/areas/{slug}/plan").status_code == 302
    assert planner(app).get("/areas/nowhere/plan").status_code == 404


def test_plan_forms_need_the_csrf_token(site):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    for path in ["preview", "commit", "restore"]:
        got = client.post(
            f"/areas/{seeded.slug}/plan/{path}",
            data={"mode": "count", "count": "5", "version": "1"},
        )
        assert got.status_code == 400 and "security token" in got.get_data(as_text=True)
    got = client.post("/areas/new", data={"name": "x"})
    assert got.status_code == 400
    assert len(services.list_plans(engine, seeded.slug)) == 1


def test_big_previews_show_figures_without_a_map(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=5)
    app = app_factory(TILES_URL="", INLINE_CELLS_MAX=10)
    client = planner(app)
    page = client.get(f"/areas/{seeded.slug}/plan").get_data(as_text=True)
    assert f"/api/v1/areas/{seeded.slug}/cells?fields" in page
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "cell_size", "cell_size": "40",
              "shape": "hex"},
    )  # fmt: skip
    text = got.get_data(as_text=True)
    assert got.status_code == 200 and "Preview (nothing written yet)" in text
    assert "folium-map" not in text
    fields = hidden_fields(text, f"/areas/{seeded.slug}/plan/commit")
    assert (fields["mode"], fields["cell_size"], fields["shape"]) == ("cell_size", "40", "hex")


def test_cut_along_an_uploaded_lines_file(site):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "count", "count": "24",
              "crs": "wgs84", "lines": upload(GEODATA / "demo_paths.geojson", "路径.geojson")},
        content_type="multipart/form-data",
    )  # fmt: skip
    text = got.get_data(as_text=True)
    assert got.status_code == 200, text
    assert "Using the uploaded <strong>路径.geojson</strong>" in text
    fields = hidden_fields(text, f"/areas/{seeded.slug}/plan/commit")
    assert "lines_token" in fields and "cells_token" not in fields
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    direct = services.preview_grid(
        engine, seeded.slug, count=24, split_by=GEODATA / "demo_paths.geojson"
    ).cells
    assert services.list_plans(engine, seeded.slug)[-1].cells == len(direct) == 24


def _preview_then_another_commit(client, seeded, engine) -> dict:
    """A preview of 20 cells, then another planner's 25-cell plan; the preview's commit fields."""
    from gridmgr import services

    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "count", "count": "20"},
    )
    fields = hidden_fields(got.get_data(as_text=True), f"/areas/{seeded.slug}/plan/commit")
    services.grid(engine, seeded.slug, count=25)
    return fields


def test_a_stale_preview_is_not_committed(site):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    fields = _preview_then_another_commit(client, seeded, engine)  # someone commits meanwhile
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 409 and "preview again" in done.get_data(as_text=True)
    assert [p.cells for p in services.list_plans(engine, seeded.slug)] == [30, 25]


def test_the_commit_itself_writes_only_on_the_previewed_version(site, monkeypatch):
    from gridmgr import services

    app, seeded, engine = site
    client = planner(app)
    fields = _preview_then_another_commit(client, seeded, engine)  # just after the early check
    monkeypatch.setattr(services, "check_unchanged", lambda *_args: None)
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 409 and "preview again" in done.get_data(as_text=True)
    assert [p.cells for p in services.list_plans(engine, seeded.slug)] == [30, 25]


def test_an_upload_kept_for_one_planner_is_not_anothers(site, tmp_path):
    from gridmgr import services

    app, seeded, engine = site
    services.add_user(engine, "planner2", role="planner", password=PASSWORD)
    drawn = tmp_path / "drawn.geojson"
    services.export_plan(engine, seeded.slug, drawn)
    client = planner(app)
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": csrf_of(client, "/areas"), "mode": "import", "cells": upload(drawn)},
        content_type="multipart/form-data",
    )
    fields = hidden_fields(got.get_data(as_text=True), f"/areas/{seeded.slug}/plan/commit")
    other = app.test_client()
    login(other, "planner2")
    stolen = other.post(
        f"/areas/{seeded.slug}/plan/commit",
        data={**fields, "csrf_token": csrf_of(other, "/areas")},
    )
    assert stolen.status_code == 422 and "upload it again" in stolen.get_data(as_text=True)
    assert client.post(f"/areas/{seeded.slug}/plan/commit", data=fields).status_code == 302


def test_new_area_form_takes_the_datum_and_checks_the_time_zone(site):
    from gridmgr import services

    app, _seeded, engine = site
    client = planner(app)

    def add(name: str, **fields: str):
        data = {"csrf_token": csrf_of(client, "/areas/new"), "name": name, "kind": "park",
                "boundary": upload(GEODATA / "demo_park.geojson"), **fields}  # fmt: skip
        return client.post("/areas/new", data=data, content_type="multipart/form-data")

    bad = add("Zoned", timezone="Mars/Olympus", crs="gcj02")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "unknown time zone" in text
    assert '<option value="gcj02" selected>' in text  # the datum choice is kept
    assert add("Shifted", crs="gcj02").status_code == 302
    assert add("Plain", crs="wgs84").status_code == 302
    assert add("Odd", crs="utm").status_code == 422
    shifted, plain = (
        services.get_area(engine, slug).outline.centroid for slug in ("shifted", "plain")
    )
    assert 200 < shifted.distance(plain) * 111_000 < 800  # GCJ-02 is a few hundred metres off


def test_a_file_chosen_again_replaces_the_kept_one(site, tmp_path):
    from gridmgr import services

    app, seeded, engine = site
    drawn = tmp_path / "drawn.geojson"
    services.export_plan(engine, seeded.slug, drawn)
    client = planner(app)
    token = csrf_of(client, "/areas")
    first = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "import", "cells": upload(drawn, "one.geojson")},
        content_type="multipart/form-data",
    )
    kept = hidden_fields(first.get_data(as_text=True), f"/areas/{seeded.slug}/plan/commit")
    again = client.post(
        f"/areas/{seeded.slug}/plan/preview",
        data={"csrf_token": token, "mode": "import", "cells_token": kept["cells_token"],
              "cells": upload(drawn, "two.geojson")},
        content_type="multipart/form-data",
    )  # fmt: skip
    text = again.get_data(as_text=True)
    assert again.status_code == 200 and "<strong>two.geojson</strong>" in text
    folders = list((Path(app.instance_path) / "uploads").iterdir())
    assert [f.name for f in folders] != [kept["cells_token"]] and len(folders) == 1


def test_a_weight_upload_is_balanced_coloured_and_committed(site, tmp_path):
    """Issue 18 on the planner's page: a points file balanced at a target weight per cell, the
    preview coloured by weight with its figures, and the commit storing the cells' weights."""
    import numpy as np
    import shapely
    from sqlalchemy import select

    from gridmgr import services
    from gridmgr.db.models import Cell
    from gridmgr.db.store import reading

    app, seeded, engine = site
    cells = services.plan_cells(engine, seeded.slug)
    rng = np.random.default_rng(3)
    points = []
    for k, geom in enumerate(cells.geometry):
        xmin, ymin, xmax, ymax = geom.bounds
        xy = rng.uniform([xmin, ymin], [xmax, ymax], size=(30 if k < 5 else 3, 2))
        points += [p for p in xy.tolist() if geom.contains(shapely.Point(p))]
    weight = tmp_path / "entrances.geojson"
    weight.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"people": 2}, "geometry": {"type": "Point", "coordinates": p}}
        for p in points
    ]}))  # fmt: skip
    client = planner(app)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    form = {
        "csrf_token": token, "mode": "target_weight", "target_weight": "20", "crs": "wgs84",
        "weight": upload(weight), "weight_field": "people", "colour": "weight",
    }  # fmt: skip
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview", data=form, content_type="multipart/form-data"
    )
    text = got.get_data(as_text=True)
    assert got.status_code == 200, text
    want = -(-2 * len(points) // 20)  # ceil
    assert "Weight per cell" in text and "Furthest off the mean" in text
    assert "Within 5 % of the mean" in text  # the legend of the map coloured by weight
    fields = hidden_fields(text, f"/areas/{seeded.slug}/plan/commit")
    assert fields["weight_field"] == "people" and re.fullmatch(
        r"[0-9a-f]{32}", fields["weight_token"]
    )
    done = client.post(f"/areas/{seeded.slug}/plan/commit", data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)
    plan = services.list_plans(engine, seeded.slug)[-1]
    assert plan.active and plan.cells == want
    with reading(engine) as s:
        stored = (
            s.execute(
                select(Cell.weight).where(
                    Cell.code.in_(list(services.plan_cells(engine, seeded.slug)["code"]))
                )
            )
            .scalars()
            .all()
        )
    assert sum(stored) == pytest.approx(2 * len(points))
    # the committed plan keeps its weights: plain by default, coloured by weight on asking
    plain = client.get(f"/areas/{seeded.slug}/plan").get_data(as_text=True)
    assert 'id="colour-weight"' in plain and "Within 5 % of the mean" not in plain
    coloured = client.get(f"/areas/{seeded.slug}/plan?colour=weight").get_data(as_text=True)
    assert "Within 5 % of the mean" in coloured and "Weight per cell" in coloured


def test_split_where_and_snap_reach_the_grid_from_the_page(site):
    app, seeded, _engine = site
    client = planner(app)
    token = csrf_of(client, f"/areas/{seeded.slug}/plan")
    form = {
        "csrf_token": token, "mode": "cell_size", "cell_size": "40", "crs": "wgs84",
        "lines": upload(GEODATA / "demo_paths.geojson"), "split_where": "nosuchfield = 'x'",
        "snap": "2",
    }  # fmt: skip
    got = client.post(
        f"/areas/{seeded.slug}/plan/preview", data=form, content_type="multipart/form-data"
    )
    text = got.get_data(as_text=True)
    assert got.status_code == 422
    assert "split-where" in html.unescape(text) and "nosuchfield" in html.unescape(text)
