"""Managers' staff pages: wardens (add, import), posts by form, auto-assign, schedules, roles."""

from __future__ import annotations

import io

import pytest
from markupsafe import escape

from conftest import GEODATA
from webtools import csrf_of, login, seed_park

EVIL = "<script>alert(1)</script>王"


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=20)
    return app_factory(TILES_URL=""), seeded, engine


def manager(app):
    client = app.test_client()
    login(client, "manager")
    return client


def posts(engine, slug) -> dict[str, list[tuple[str, str]]]:
    from gridmgr import services

    staff = services.area_staff(engine, slug)
    return {c.code: [(p.name, p.role) for p in c.posts] for c in staff.cells}


def test_wardens_page_lists_every_warden_with_the_cells_held(site):
    app, seeded, _engine = site
    client = manager(app)
    got = client.get("/wardens")
    text = got.get_data(as_text=True)
    assert got.status_code == 200
    assert "warden1" in text and "13800000001" in text and seeded.codes[0] in text
    assert "20 wardens" in text


def test_add_a_warden_by_form(site):
    from gridmgr import services

    app, _seeded, engine = site
    client = manager(app)
    token = csrf_of(client, "/wardens")
    got = client.post(
        "/wardens",
        data={"csrf_token": token, "name": EVIL, "phone": "13900000000", "role": "leader"},
    )
    assert got.status_code == 302
    made = next(w for w in services.list_wardens(engine) if w.name == EVIL)
    assert (made.phone, made.role, made.cell_count) == ("13900000000", "leader", 0)
    page = client.get("/wardens").get_data(as_text=True)
    assert EVIL not in page and str(escape(EVIL)) in page
    again = client.post("/wardens", data={"csrf_token": token, "name": EVIL, "phone": "1"})
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "already exists" in text
    assert 'value="1"' in text  # the form is kept
    blank = client.post("/wardens", data={"csrf_token": token, "name": "  "})
    assert blank.status_code == 422 and "needs a name" in blank.get_data(as_text=True)


def test_import_wardens_from_a_csv_upload(site):
    from gridmgr import services

    app, _seeded, engine = site
    client = manager(app)
    token = csrf_of(client, "/wardens")
    good = "name,phone,role\n张伟,13800001111,leader\n李娜,,volunteer\n".encode()
    got = client.post(
        "/wardens/import",
        data={"csrf_token": token, "file": (io.BytesIO(good), "新网格员.csv")},
        content_type="multipart/form-data",
    )
    assert got.status_code == 302, got.get_data(as_text=True)
    roles = {w.name: w.role for w in services.list_wardens(engine)}
    assert roles["张伟"] == "leader" and roles["李娜"] == "volunteer" and len(roles) == 22
    bad = client.post(
        "/wardens/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"who,phone\nx,1\n"), "bad.csv")},
        content_type="multipart/form-data",
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "bad.csv: line 1: the header must be name,phone" in text and "gridmgr-upload" not in text
    twice = client.post(
        "/wardens/import",
        data={"csrf_token": token, "file": (io.BytesIO(good), "again.csv")},
        content_type="multipart/form-data",
    )
    assert twice.status_code == 409 and "nothing was imported" in twice.get_data(as_text=True)
    none = client.post("/wardens/import", data={"csrf_token": token})
    assert none.status_code == 422 and "choose a CSV file" in none.get_data(as_text=True)


def test_assign_and_remove_a_warden_by_form(site):
    app, seeded, engine = site
    slug, codes = seeded.slug, seeded.codes
    client = manager(app)
    page = client.get(f"/areas/{slug}/staff")
    assert page.status_code == 200 and codes[-1] in page.get_data(as_text=True)
    token = csrf_of(client, f"/areas/{slug}/staff")
    got = client.post(
        f"/areas/{slug}/staff/assign",
        data={"csrf_token": token, "codes": f"{codes[25]}, {codes[26]}", "warden": "warden3",
              "role": "leader"},
    )  # fmt: skip
    assert got.status_code == 302, got.get_data(as_text=True)
    held = posts(engine, slug)
    assert ("warden3", "leader") in held[codes[25]] and ("warden3", "leader") in held[codes[26]]
    gone = client.post(
        f"/areas/{slug}/staff/unassign",
        data={"csrf_token": token, "codes": codes[25], "warden": "warden3"},
    )
    assert gone.status_code == 302
    held = posts(engine, slug)
    assert ("warden3", "leader") not in held[codes[25]] and held[codes[26]]
    unknown = client.post(
        f"/areas/{slug}/staff/assign",
        data={"csrf_token": token, "codes": codes[0], "warden": "nobody"},
    )
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and "no warden named" in text
    assert f'value="{codes[0]}"' in text  # the form is kept
    nothing = client.post(
        f"/areas/{slug}/staff/assign", data={"csrf_token": token, "codes": " ", "warden": "warden1"}
    )
    assert nothing.status_code == 422 and "pick at least one cell" in nothing.get_data(as_text=True)
    bad_code = client.post(
        f"/areas/{slug}/staff/assign",
        data={"csrf_token": token, "codes": "NOPE-1", "warden": "warden1"},
    )
    assert bad_code.status_code == 404 and "NOPE-1" in bad_code.get_data(as_text=True)


def test_auto_assign_staffs_every_cell(site):
    app, seeded, engine = site
    assert sum(not p for p in posts(engine, seeded.slug).values()) == 10  # 20 wardens, 30 cells
    client = manager(app)
    got = client.post(
        f"/areas/{seeded.slug}/staff/auto", data={"csrf_token": csrf_of(client, "/wardens")}
    )
    assert got.status_code == 302
    assert all(posts(engine, seeded.slug).values())
    assert "20 wardens over 30 cells" in client.get(got.headers["Location"]).get_data(as_text=True)


def test_set_a_schedule_for_picked_or_all_cells(site):
    from gridmgr import services

    app, seeded, engine = site
    slug, codes = seeded.slug, seeded.codes
    client = manager(app)
    token = csrf_of(client, "/wardens")
    got = client.post(
        f"/areas/{slug}/staff/schedule",
        data={"csrf_token": token, "codes": f"{codes[0]} {codes[1]}", "times": "07:30, 19:00",
              "extra": "2", "before": "15", "after": "60"},
    )  # fmt: skip
    assert got.status_code == 302, got.get_data(as_text=True)
    by_code = {c.code: c.schedule for c in services.area_staff(engine, slug).cells}
    made = by_code[codes[0]]
    assert (made.times, made.extra, made.before_min, made.after_min) == (
        ("07:30", "19:00"),
        2,
        15,
        60,
    )
    assert by_code[codes[2]].times == ("08:00", "12:00", "18:00")
    every = client.post(
        f"/areas/{slug}/staff/schedule",
        data={"csrf_token": token, "all": "1", "times": "09:00", "extra": "0"},
    )
    assert every.status_code == 302
    assert {c.schedule.times for c in services.area_staff(engine, slug).cells} == {("09:00",)}
    bad = client.post(
        f"/areas/{slug}/staff/schedule",
        data={"csrf_token": token, "all": "1", "times": "25:00", "extra": "1"},
    )
    assert bad.status_code == 422 and "HH:MM" in bad.get_data(as_text=True)
    words = client.post(
        f"/areas/{slug}/staff/schedule",
        data={"csrf_token": token, "all": "1", "times": "09:00", "extra": "two"},
    )
    assert words.status_code == 422 and "whole number" in words.get_data(as_text=True)


def test_staff_map_is_served_locally_and_names_are_escaped(site):
    from gridmgr import services

    app, seeded, engine = site
    services.add_warden(engine, EVIL)
    services.assign(engine, seeded.slug, [seeded.codes[0]], EVIL)
    text = manager(app).get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert EVIL not in text and "<script>alert" not in text
    assert "/static/vendor/leaflet" in text and "https://" not in text.split("<main>")[1]
    assert 'data-layer="geo_json' in text


def test_only_managers_reach_the_staff_pages(site):
    app, seeded, _engine = site
    slug = seeded.slug
    gets = ["/wardens", f"/areas/{slug}/staff"]
    posts_ = ["/wardens", "/wardens/import"] + [
        f"/areas/{slug}/staff/{p}" for p in ("assign", "unassign", "auto", "schedule")
    ]
    for username in ("warden1", "planner"):
        client = app.test_client()
        login(client, username)
        token = csrf_of(client, "/login")
        for path in gets:
            assert client.get(path).status_code == 403, (username, path)
        for path in posts_:
            assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert app.test_client().get("/wardens").status_code == 302
    client = manager(app)
    for path in posts_:
        got = client.post(path, data={"codes": seeded.codes[0], "warden": "warden1"})
        assert got.status_code == 400 and "security token" in got.get_data(as_text=True)
    assert client.get("/areas/nowhere/staff").status_code == 404


def test_big_plans_load_their_cells_from_the_api(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=5)
    app = app_factory(TILES_URL="", INLINE_CELLS_MAX=10)
    client = manager(app)
    text = client.get(f"/areas/{seeded.slug}/staff").get_data(as_text=True)
    assert "30 cells are too many to list here" in text
    assert f"/api/v1/areas/{seeded.slug}/cells?fields" in text
    assert seeded.codes[5] not in text  # not inlined
    assert client.get(f"/api/v1/areas/{seeded.slug}/cells").status_code == 200
    got = client.post(
        f"/areas/{seeded.slug}/staff/assign",
        data={"csrf_token": csrf_of(client, "/wardens"), "codes": seeded.codes[9],
              "warden": "warden1"},
    )  # fmt: skip
    assert got.status_code == 302


def test_an_area_without_cells_says_to_grid_it_first(site):
    from gridmgr import services

    app, _seeded, engine = site
    slug = services.add_area(engine, GEODATA / "demo_community.geojson", name="Xinhe").slug
    client = manager(app)
    got = client.get(f"/areas/{slug}/staff")
    assert got.status_code == 200 and "has no cells yet" in got.get_data(as_text=True)
    post = client.post(
        f"/areas/{slug}/staff/auto", data={"csrf_token": csrf_of(client, "/wardens")}
    )
    assert post.status_code == 422 and "no cells yet" in post.get_data(as_text=True)
