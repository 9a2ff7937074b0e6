"""`gridmgr area add --parent`, `area import`, `area list` as a tree, `grid` over leaves, `area set`
leaders: the command line in this process, on SQLite and PostGIS."""

from __future__ import annotations

import json

from nesttools import WEST, district, strips, write_features


def test_area_add_with_a_parent_and_the_list_as_a_tree(run, tmp_path):
    top = write_features(tmp_path / "d.geojson", [district()])
    assert run("area", "add", top, "--name", "Daoli", "--kind", "district").strip() == "daoli"
    west = write_features(tmp_path / "w.geojson", strips([WEST + 0.02])[:1])
    slug = run("area", "add", west, "--name", "West", "--kind", "street", "--parent", "daoli")
    assert slug.strip() == "west"
    lines = run("area", "list").splitlines()
    assert lines[0].startswith("daoli ") and lines[1].startswith("  west ")
    listed = json.loads(run("area", "list", "--json"))
    assert {a["slug"]: a["parent"] for a in listed} == {"daoli": None, "west": "daoli"}
    err = run.fails("area", "add", west, "--name", "X", "--parent", "nowhere")
    assert err.startswith("gridmgr: error: no area 'nowhere'")


def test_area_import_prints_one_slug_a_line_and_reports_gaps_on_stderr(run, tmp_path, capsys):
    top = write_features(tmp_path / "d.geojson", [district()])
    run("area", "add", top, "--name", "道里区", "--code", "230102")
    shapes = strips([WEST + 0.02])
    streets = write_features(
        tmp_path / "s.geojson",
        shapes,
        [{"名称": "安静街道", "adcode": 230102001}, {"名称": "抚顺街道", "adcode": 230102002}],
    )
    out = run(
        "area",
        "import",
        streets,
        "--parent",
        "daoli-qu",
        "--level",
        "street",
        "--name-field",
        "名称",
        "--code-field",
        "adcode",
    )
    assert out.splitlines() == ["anjing-jiedao", "fushun-jiedao"]
    listed = json.loads(run("area", "list", "--json"))
    assert [(a["slug"], a["parent"]) for a in listed] == [
        ("anjing-jiedao", "daoli-qu"), ("daoli-qu", None), ("fushun-jiedao", "daoli-qu"),
    ]  # fmt: skip
    err = run.fails(
        "area",
        "import",
        streets,
        "--parent",
        "daoli-qu",
        "--level",
        "street",
        "--name-field",
        "name",
    )
    assert "no field 'name' (--name-field); the features have: adcode, 名称" in err


def test_the_import_report_names_gaps_overlaps_and_moves(engine, tmp_path):
    from gridmgr import services
    from gridmgr.cli.printing import import_report_text
    from gridmgr.services.area_import import import_areas

    top = write_features(tmp_path / "d.geojson", [district()])
    services.add_area(engine, top, name="Daoli")
    services.grid(engine, "daoli", count=4)
    halves = write_features(
        tmp_path / "h.geojson", strips([WEST + 0.02], north=45.766), [{"n": "A"}, {"n": "B"}]
    )
    got = import_areas(engine, halves, parent="daoli", level="street", name_field="n")
    text = import_report_text(got).splitlines()
    assert text[0].startswith("2 child areas of daoli; the children cover 96.")
    assert text[1].startswith("gaps: 1 (") and "overlaps: 0 (0.0 m²)" in text[1]
    assert text[2].startswith("plan v1 of daoli moved to its children: a ") and "b " in text[2]


def test_grid_on_a_parent_grids_its_leaves_and_prints_the_counts(run, tmp_path):
    top = write_features(tmp_path / "d.geojson", [district()])
    run("area", "add", top, "--name", "Daoli", "--code", "230102")
    props = [{"n": "A", "c": "230102001"}, {"n": "B", "c": "230102002"}]
    streets = write_features(tmp_path / "s.geojson", strips([WEST + 0.015]), props)
    run(
        "area",
        "import",
        streets,
        "--parent",
        "daoli",
        "--level",
        "street",
        "--name-field",
        "n",
        "--code-field",
        "c",
    )
    got = json.loads(run("grid", "daoli", "--count", "40", "--json"))
    assert got["cells"] == 40 and [x["slug"] for x in got["leaves"]] == ["a", "b"]
    assert sum(x["cells"] for x in got["leaves"]) == 40
    assert all(abs(x["cells"] - x["share"]) < 1 for x in got["leaves"])
    assert got["leaves"][0]["first_code"] == "230102001001"
    text = run("grid", "daoli", "--count", "41").splitlines()
    assert text[0] == "written: 41 cells over 2 leaf areas of daoli"
    assert text[1].split()[0] == "a" and "230102001001 … 230102001" in text[1]
    err = run.fails("grid", "daoli", "--count", "1")
    assert "1 cells cannot cover 2 areas" in err
    err = run.fails("grid", "daoli", "--from", streets)
    assert "holds child areas" in err and "--from" in err


def test_area_set_leaders_shows_them_in_the_list_and_json(run, tmp_path):
    top = write_features(tmp_path / "d.geojson", [district()])
    run("area", "add", top, "--name", "Daoli")
    out = run(
        "area",
        "set",
        "daoli",
        "--leader",
        "王伟",
        "--leader-phone",
        "13900000000",
        "--deputy",
        "李娜",
    )
    assert out.strip() == "daoli: leader 王伟 13900000000, deputy 李娜"
    assert "leader 王伟, deputy 李娜" in run("area", "list")
    listed = json.loads(run("area", "list", "--json"))[0]
    assert (listed["leader"], listed["leader_phone"], listed["deputy"]) == (
        "王伟",
        "13900000000",
        "李娜",
    )
    assert (
        run("area", "set", "daoli", "--deputy", "").strip()
        == "daoli: leader 王伟 13900000000, deputy -"
    )
    err = run.fails("area", "set", "daoli")
    assert "name a setting to change" in err and "--leader" in err
    run("warden", "add", "楼长甲", "--role", "building_leader")
    err = run.fails("warden", "add", "x", "--role", "boss")
    assert "invalid choice: 'boss'" in err and "unit_leader" in err
