"""The `gridmgr` command as a user runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmgr.files.areas import read_area
from gridmgr.geometry.projection import metric_crs, to_metric

from conftest import GEODATA, ROOT

DATA = ROOT / "tests" / "data"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("gridmgr")
    cmd = [exe] if exe else [sys.executable, "-m", "gridmgr"]
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("gridmgr: error: ")
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_count_mode_writes_exactly_n_rounded_cells(tmp_path):
    out = tmp_path / "park.geojson"
    done = run("cells", GEODATA / "demo_park.geojson", "--count", "30", "-o", out)
    assert done.returncode == 0, done.stderr
    assert "wrote 30 cells" in done.stdout and "mean Polsby-Popper" in done.stdout
    cells = gpd.read_file(out)
    assert len(cells) == 30
    assert cells["code"].tolist()[0] == "HAIBIN-CHILDRENS-PARK-001"
    xy = shapely.get_coordinates(np.asarray(cells.geometry.values))
    np.testing.assert_array_equal(xy, np.round(xy, 7))
    # still a tiling after rounding: no overlaps, and the union is the park to within the rounding
    area = read_area(GEODATA / "demo_park.geojson").geometry
    crs = metric_crs(area)
    m = to_metric(np.asarray(cells.geometry.values), crs)
    assert shapely.is_valid(m).all()
    assert abs(shapely.area(m).sum() - shapely.area(shapely.union_all(m))) < 1e-3
    assert (
        shapely.area(shapely.symmetric_difference(shapely.union_all(m), to_metric(area, crs))) < 5.0
    )


def test_cell_size_hex_split_and_json_report(tmp_path):
    out = tmp_path / "park.geojson"
    done = run(
        "cells", GEODATA / "demo_park.geojson", "--cell-size", "40", "--shape", "hex",
        "--split-by", GEODATA / "demo_paths.geojson", "--prefix", "P", "--json", "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["blocks"] >= 4 and report["coverage_error"] < 1e-9
    cells = gpd.read_file(out)
    assert len(cells) == report["cells"] and cells["code"].iloc[0] == "P001"


def test_gpkg_output_and_chinese_datum(tmp_path):
    out = tmp_path / "square.gpkg"
    done = run("cells", DATA / "gbk_names.geojson", "--count", "4", "--crs", "gcj02", "-o", out)
    assert done.returncode == 0, done.stderr
    assert len(gpd.read_file(out)) == 4


def test_warnings_go_to_stderr_and_do_not_stop_the_run(tmp_path):
    done = run(
        "cells", DATA / "polygon_and_points.geojson", "--count", "2", "-o", tmp_path / "o.geojson"
    )
    assert done.returncode == 0
    assert "gridmgr: warning: 2 features that are not areas were skipped" in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["cells", DATA / "open_line.geojson", "--count", "3"], ["open_line.geojson", "no area"]),
        (["cells", DATA / "truncated.geojson", "--count", "3"], ["not valid JSON", "line 1"]),
        (["cells", DATA / "no-such-file.geojson", "--count", "3"], ["no such file"]),
        (
            ["cells", DATA / "square_feature.geojson", "--count", "3", "--crs", "etrs89"],
            ["unknown coordinate datum"],
        ),
        (["cells", DATA / "square_feature.geojson", "--count", "0"], ["--count", "at least 1"]),
        (
            ["cells", DATA / "square_feature.geojson", "--count", "3", "--cell-size", "9"],
            ["not allowed with"],
        ),
        (
            ["cells", DATA / "square_feature.geojson"],
            ["one of the arguments --count --cell-size --target-weight is required"],
        ),
        (
            ["cells", DATA / "square_feature.geojson", "--count", "3", "--shape", "hex"],
            ["hexagons"],
        ),
        (["cells", DATA / "square_feature.geojson", "--cell-size", "0.01"], ["at least 1"]),
        (["bogus"], ["invalid choice"]),
    ],
)
def test_bad_input_is_one_plain_line_and_exit_2(tmp_path, args, words):
    out = tmp_path / "out.geojson"
    done = run(*args, "-o", out) if args[0] == "cells" else run(*args)
    assert_one_line_error(done, *words)
    assert not out.exists()


def test_an_area_with_no_area_is_refused_by_every_command_and_nothing_is_written(tmp_path):
    """Issue 12: three corners on one line (GEOS measures 1e-22 degrees²) once gave 'wrote 1 cells'
    and a cell [[]]; now every command refuses the file with one line naming it, and writes nothing."""
    from gridmgr import services
    from gridmgr.db.store import make_engine, upgrade

    flat = DATA / "zero_area_by_rounding.geojson"
    words = ["zero_area_by_rounding.geojson: feature 0", "encloses no area", "on one line"]
    out = tmp_path / "out.geojson"
    assert_one_line_error(run("cells", flat, "--cell-size", "2000", "-o", out), *words)
    assert not out.exists()
    db = f"sqlite:///{tmp_path / 'g.db'}"
    engine = make_engine(db)
    try:
        upgrade(engine)
        services.add_area(engine, GEODATA / "demo_park.geojson", name="Park")
        assert_one_line_error(run("--db", db, "area", "add", flat, "--name", "Flat"), *words)
        assert_one_line_error(run("--db", db, "grid", "park", "--from", flat), *words)
        assert [(a.slug, a.cells) for a in services.list_areas(engine)] == [("park", 0)]
    finally:
        engine.dispose()


def test_bad_output_path(tmp_path):
    done = run(
        "cells",
        DATA / "square_feature.geojson",
        "--count",
        "3",
        "-o",
        tmp_path / "nowhere" / "o.geojson",
    )
    assert_one_line_error(done, "does not exist")
    done = run("cells", DATA / "square_feature.geojson", "--count", "3", "-o", tmp_path / "o.kml")
    assert_one_line_error(done, "unknown output format")


def test_limits_come_from_the_environment(tmp_path):
    env = {**__import__("os").environ, "GRIDMGR_MAX_CELLS": "10"}
    done = run(
        "cells",
        DATA / "square_feature.geojson",
        "--count",
        "11",
        "-o",
        tmp_path / "o.geojson",
        env=env,
    )
    assert_one_line_error(done, "over the limit of 10")
    done = run(
        "cells",
        DATA / "square_feature.geojson",
        "--cell-size",
        "100",
        "-o",
        tmp_path / "o.geojson",
        env=env,
    )
    assert_one_line_error(done, "about 107 cells", "GRIDMGR_MAX_CELLS")


def test_shared_bad_files_through_the_cli(shared_geodata, tmp_path):
    for path in sorted((shared_geodata / "bad").iterdir()):
        done = run("cells", path, "--count", "3", "-o", tmp_path / "o.geojson")
        if path.name == "polygon_winding_order.geojson":
            assert done.returncode == 0, done.stderr
        else:
            assert_one_line_error(done, path.name)


def test_daoli_from_gcj02_through_the_cli(shared_geodata, tmp_path):
    out = tmp_path / "daoli.geojson"
    done = run(
        "cells", shared_geodata / "admin" / "harbin_daoli_230102.json", "--crs", "gcj02", "--count", "654", "-o", out
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cells = gpd.read_file(out)
    assert len(cells) == 654 and cells["code"].is_unique


def test_storage_commands_refuse_bad_input_with_one_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    assert run("--db", db, "init").returncode == 0
    assert (
        run(
            "--db", db, "area", "add", GEODATA / "demo_park.geojson", "--name", "Park"
        ).stdout.strip()
        == "park"
    )
    assert run("--db", db, "grid", "park", "--count", "6").returncode == 0
    csv = tmp_path / "w.csv"
    csv.write_text("name,phone\n张伟,13800000000\n李娜,not-a-phone\n", encoding="utf-8")
    assert_one_line_error(run("--db", db, "warden", "import", csv), "line 3", "phone")
    assert_one_line_error(run("--db", db, "grid", "nowhere", "--count", "3"), "no area 'nowhere'")
    assert_one_line_error(
        run("--db", db, "assign", "park", "PARK-999", "--warden", "x"), "no cell 'PARK-999'"
    )
    assert run("--db", db, "warden", "add", "张伟").returncode == 0
    assert_one_line_error(run("--db", db, "warden", "add", "张伟"), "already exists")
    assert_one_line_error(
        run("--db", db, "log", "park", "PARK-001", "--warden", "张伟"),
        "does not hold cell PARK-001",
    )
    assert_one_line_error(run("--db", db, "schedule", "set", "park", "--times", "25:00"), "HH:MM")
    assert_one_line_error(
        run("--db", db, "schedule", "set", "park", "--window", "soon"), "--window"
    )
    assert_one_line_error(run("--db", db, "assign", "park"), "--auto")
    assert_one_line_error(run("--db", db, "plan", "restore", "park", "7"), "no plan version 7")
    assert_one_line_error(
        run("--db", db, "export", "park", "-o", tmp_path / "x.shp"), "unknown output format"
    )
    assert_one_line_error(
        run("--db", db, "area", "add", DATA / "open_line.geojson", "--name", "X"), "no area"
    )
    listed = json.loads(run("--db", db, "area", "list", "--json").stdout)
    assert [a["slug"] for a in listed] == ["park"] and listed[0]["cells"] == 6


def test_area_add_reads_chinese_names_in_pinyin_and_takes_a_slug(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    park = GEODATA / "demo_park.geojson"
    assert run("--db", db, "init").returncode == 0

    def add(*args: str) -> subprocess.CompletedProcess:
        return run("--db", db, "area", "add", park, *args)

    first = add("--name", "儿童公园", "--kind", "park")
    assert first.returncode == 0 and first.stdout.strip() == "ertong-gongyuan", first.stderr
    assert add("--name", "兆麟公园").stdout.strip() == "zhaolin-gongyuan"
    assert add("--name", "儿童公园").stdout.strip() == "ertong-gongyuan-2"
    assert add("--name", "儿童公园", "--slug", "haibin").stdout.strip() == "haibin"
    assert_one_line_error(
        add("--name", "Other", "--slug", "haibin"), "slug 'haibin' is taken by the area '儿童公园'"
    )
    assert_one_line_error(add("--name", "Other", "--slug", "Hai Bin"), "lower-case letters")
    assert run("--db", db, "grid", "ertong-gongyuan", "--count", "3").returncode == 0
    out = tmp_path / "cells.geojson"
    assert run("--db", db, "export", "ertong-gongyuan", "-o", out).returncode == 0
    assert gpd.read_file(out)["code"].tolist() == ["ETGY-001", "ETGY-002", "ETGY-003"]
    listed = json.loads(run("--db", db, "area", "list", "--json").stdout)
    assert sorted(a["slug"] for a in listed) == [
        "ertong-gongyuan", "ertong-gongyuan-2", "haibin", "zhaolin-gongyuan",
    ]  # fmt: skip


def test_log_refuses_a_time_in_the_future_as_the_api_does(tmp_path):
    """Issue 12: `gridmgr log --at` tomorrow was stored while the API refused it. The command now
    gives the API's 422 message word for word (exit 2, one line) and stores nothing; a past time is
    still logged."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import func, select

    from gridmgr import services
    from gridmgr.db.models import Round
    from gridmgr.db.store import make_engine, reading, upgrade
    from gridmgr.web import create_app

    db = f"sqlite:///{tmp_path / 'g.db'}"
    engine = make_engine(db)
    try:
        upgrade(engine)
        slug = services.add_area(engine, GEODATA / "demo_park.geojson", name="Park").slug
        services.grid(engine, slug, count=3)
        code = services.plan_cells(engine, slug)["code"].iloc[0]
        services.add_warden(engine, "张伟")
        services.assign(engine, slug, [code], "张伟")
        user = services.add_user(engine, "zhang", role="warden", password="pw-" * 4, warden="张伟")
        token = services.issue_token(engine, user.id)
        local = datetime.now(ZoneInfo("Asia/Shanghai"))
        tomorrow = f"{(local + timedelta(days=1)).date()}T08:10"
        app = create_app({"DATABASE_URL": db, "INSTANCE_PATH": str(tmp_path / "instance")})
        api = app.test_client().post(
            f"/api/v1/areas/{slug}/cells/{code}/rounds",
            json={"at": tomorrow},
            headers={"Authorization": f"Bearer {token}"},
        )
        app.extensions["gridmgr.engine"].dispose()
        assert api.status_code == 422
        message = api.get_json()["error"]["message"]
        assert "is in the future" in message

        done = run("--db", db, "log", slug, code, "--warden", "张伟", "--at", tomorrow)
        assert_one_line_error(done)
        assert done.stderr.strip() == f"gridmgr: error: {message}"
        with reading(engine) as s:
            assert s.execute(select(func.count()).select_from(Round)).scalar() == 0

        earlier = f"{(local - timedelta(hours=1)).replace(tzinfo=None):%Y-%m-%dT%H:%M}"
        done = run("--db", db, "log", slug, code, "--warden", "张伟", "--at", earlier)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"round logged: {code} by 张伟 at {earlier}:00+08:00"
        with reading(engine) as s:
            assert s.execute(select(func.count()).select_from(Round)).scalar() == 1
    finally:
        engine.dispose()


def _square_and_lines(tmp_path):
    """A 1 km square near Beijing and three lines: a main road across it, a side road stopping
    60 cm short of the main road (a junction not noded), and a footpath across the other half."""
    from gridmgr.geometry.projection import to_wgs84

    crs = metric_crs(shapely.Point(116.3, 39.9))
    x0, y0 = to_metric(shapely.Point(116.3, 39.9), crs).coords[0]
    square = to_wgs84(shapely.box(x0, y0, x0 + 1000, y0 + 1000), crs)
    lines = {
        "main": [(x0 + 500, y0 - 10), (x0 + 500, y0 + 1010)],
        "side": [(x0 - 10, y0 + 400), (x0 + 499.4, y0 + 400)],
        "path": [(x0 + 800, y0 - 10), (x0 + 800, y0 + 1010)],
    }
    kinds = {"main": "primary", "side": "residential", "path": "footway"}
    feats = [
        {
            "type": "Feature",
            "properties": {"name": name, "highway": kinds[name]},
            "geometry": shapely.geometry.mapping(to_wgs84(shapely.LineString(xy), crs)),
        }
        for name, xy in lines.items()
    ]
    area_file, lines_file = tmp_path / "square.geojson", tmp_path / "roads.geojson"
    area_file.write_text(shapely.to_geojson(square))
    lines_file.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return area_file, lines_file


@pytest.mark.parametrize(
    ("options", "blocks", "joined"),
    [
        ([], 4, 1),  # every line, the side road joined to the main road
        (["--snap", "0"], 3, 0),  # the side road a dead end
        (["--split-where", "highway in ('primary', 'residential')"], 3, 1),
        (["--split-where", "highway != 'residential' and name != 'path'"], 2, 0),
    ],
)
def test_snap_and_split_where_choose_what_divides(tmp_path, options, blocks, joined):
    area_file, lines_file = _square_and_lines(tmp_path)
    out = tmp_path / "cells.geojson"
    done = run(
        "cells", area_file, "--cell-size", "100", "--split-by", lines_file, *options,
        "--json", "-o", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["blocks"] == blocks
    assert report["ends_joined"] == joined


def test_crumbs_crossed_are_reported_by_line_name(tmp_path):
    area_file, lines_file = _square_and_lines(tmp_path)
    done = run(
        "cells", area_file, "--cell-size", "800", "--split-by", lines_file,
        "-o", tmp_path / "cells.geojson",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # at 800 m a crumb is under 0.35 x 640,000 m²: the 200 m strip east of the path joins the block
    # across the path (the only line it shares), and the 500 x 400 m block south of the side road
    # joins the one across the main road (400 m, shorter than the side road's 500 m)
    assert "crumbs joined:       2 blocks" in done.stdout
    assert "lines crossed:       path 1000 m, main 400 m" in done.stdout


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--split-where", "highway in 'primary'"], ["split-where", "character 12", "'('"]),
        (["--split-where", "lanes > 2"], ["'lanes'", "highway, name", "roads.geojson"]),
        (["--split-where", "highway = 'motorway'"], ["no line matches", "3 lines"]),
        (["--snap", "-1"], ["--snap", "0 to 1000 metres"]),
    ],
)
def test_bad_split_options_get_one_clear_line(tmp_path, options, words):
    area_file, lines_file = _square_and_lines(tmp_path)
    done = run(
        "cells", area_file, "--cell-size", "100", "--split-by", lines_file, *options,
        "-o", tmp_path / "cells.geojson",
    )  # fmt: skip
    assert_one_line_error(done, *words)


def test_split_where_needs_split_by(tmp_path):
    area_file, _ = _square_and_lines(tmp_path)
    done = run(
        "cells", area_file, "--count", "4", "--split-where", "a = 'b'", "-o", tmp_path / "c.json"
    )
    assert_one_line_error(done, "--split-where", "--split-by")


def _households_files(tmp_path):
    """The weighted test's district and its 22,000 households as files, each point with a
    `hh` of 2 (so the field doubles the weight) and one feature with a bad figure on request."""
    sys.path.insert(0, str(ROOT / "tests" / "geometry"))
    from test_weighted import DISTRICT, household_weights

    w = household_weights()
    area_file, points_file = tmp_path / "district.geojson", tmp_path / "households.geojson"
    area_file.write_text(shapely.to_geojson(DISTRICT))
    gpd.GeoDataFrame({"hh": [2] * len(w.geometry)}, geometry=list(w.geometry), crs=4326).to_file(
        points_file, driver="GeoJSON"
    )
    return area_file, points_file


def test_weight_balances_households_and_target_weight_sets_the_count(tmp_path):
    area_file, points_file = _households_files(tmp_path)
    out = tmp_path / "cells.geojson"
    done = run("cells", area_file, "--target-weight", "400", "--weight", points_file, "-o", out)
    assert done.returncode == 0, done.stderr
    assert "wrote 55 cells" in done.stdout and "weight CV:" in done.stdout
    cells = gpd.read_file(out)
    assert len(cells) == 55 and cells["weight"].sum() == pytest.approx(22_000)
    done = run(
        "cells", area_file, "--count", "50", "--weight", f"{points_file}:hh", "--json", "-o", out
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["weight_total"] == pytest.approx(44_000) and report["weight_cv"] <= 0.05


@pytest.mark.parametrize(
    ("suffix", "options", "words"),
    [
        (":people", [], ["no field 'people'", "hh"]),
        ("", ["--target-weight", "0"], ["--target-weight", "positive weight"]),
    ],
)
def test_bad_weight_options_get_one_clear_line(tmp_path, suffix, options, words):
    area_file, points_file = _households_files(tmp_path)
    done = run(
        "cells", area_file, "--count", "5", "--weight", f"{points_file}{suffix}", *options,
        "-o", tmp_path / "c.geojson",
    )  # fmt: skip
    assert_one_line_error(done, *words)


def test_a_figure_that_is_not_a_number_is_named(tmp_path):
    area_file = tmp_path / "square.geojson"
    area_file.write_text(shapely.to_geojson(shapely.box(116.3, 39.9, 116.31, 39.91)))
    points = tmp_path / "entrances.geojson"
    feats = [
        {
            "type": "Feature",
            "properties": {"n": n},
            "geometry": {"type": "Point", "coordinates": xy},
        }
        for n, xy in [(3, [116.301, 39.901]), ("many", [116.305, 39.905])]
    ]
    points.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    done = run(
        "cells", area_file, "--count", "2", "--weight", f"{points}:n", "-o", tmp_path / "c.geojson"
    )
    assert_one_line_error(done, "entrances.geojson", "feature 1", "'many'", "not a weight")
