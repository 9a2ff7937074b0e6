"""`gridmgr checkpoint|capacity|count|occupancy` as a user types them, on SQLite and PostGIS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import GEODATA, ROOT


def gridmgr(db_url: str, *args: str) -> subprocess.CompletedProcess:
    """The real command in its own process."""
    exe = shutil.which("gridmgr")
    cmd = [exe] if exe else [sys.executable, "-m", "gridmgr"]
    env = {**os.environ, "GRIDMGR_DATABASE_URL": db_url}
    return subprocess.run(
        [*cmd, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )


def test_old_daowai_and_sun_island_through_the_command_line(run):
    slug = run("area", "add", GEODATA / "demo_park.geojson", "--name", "Old Daowai").strip()
    run("warden", "add", "张伟")
    gate = run("checkpoint", "add", slug, "--name", "北门", "--lonlat", "120.4641,36.1030").strip()
    assert gate.isdigit()
    assert "张伟 (08:00-16:00)" in run(
        "checkpoint", "staff", slug, gate, "--warden", "张伟", "--shift", "08:00-16:00"
    )
    listed = json.loads(run("checkpoint", "list", slug, "--json"))
    assert listed == [
        {"id": int(gate), "area": slug, "name": "北门", "lon": 120.4641, "lat": 36.1030,
         "wardens": [{"name": "张伟", "shift": "08:00-16:00"}]},
    ]  # fmt: skip
    assert "limit 600 inside at once" in run("capacity", "set", slug, "--instant", "600")
    for _ in range(6):
        run("count", slug, gate, "--in", "100")
    err = run.fails("count", slug, gate, "--in", "1")
    assert err.startswith("gridmgr: error: at capacity: 600 of 600 people inside, room for 0")
    assert "599 inside of 600: near" in run("count", slug, gate, "--out", "1")
    now = json.loads(run("occupancy", slug, "--json"))
    assert {k: now[k] for k in ("occupancy", "limit", "status", "entries_today", "slots")} == {
        "occupancy": 599, "limit": 600, "status": "near", "entries_today": 600, "slots": [],
    }  # fmt: skip
    assert now["checkpoints"][0] | {"last_count": None} == {
        "id": int(gate), "name": "北门", "in": 600, "out": 1, "lon": 120.4641, "lat": 36.1030,
        "last_count": None,
    }  # fmt: skip
    caps = json.loads(
        run("capacity", "set", slug, "--max-capacity", "20000", "--percent", "30",
            "--slot", "08:00-11:00=3000", "--slot", "11:00-14:00=3000", "--json")
    )  # fmt: skip
    assert caps["limit"] == 6000 and caps["slots"][1] == {
        "from": "11:00",
        "to": "14:00",
        "quota": 3000,
    }
    assert "slot 08:00-11:00: 3,000 entries" in run("capacity", "show", slug)
    assert "overlap" in run.fails(
        "capacity", "set", slug, "--slot", "08:00-11:00=1", "--slot", "10:00-12:00=1"
    )
    assert "go together" in run.fails("capacity", "set", slug, "--max-capacity", "20000")
    assert "longitude,latitude" in run.fails(
        "checkpoint", "add", slug, "--name", "x", "--lonlat", "east"
    )
    assert "no checkpoint 999" in run.fails("checkpoint", "staff", slug, "999", "--warden", "张伟")
    assert 'needs a "reason"' in run.fails("count", slug, gate, "--in", "1", "--override")


def test_the_real_command_prints_the_checkpoints_id(db_url):
    slug = gridmgr(db_url, "area", "add", GEODATA / "demo_park.geojson", "--name", "Gate").stdout
    got = gridmgr(
        db_url, "checkpoint", "add", slug.strip(), "--name", "东门", "--lonlat", "120.4641,36.103"
    )
    assert got.returncode == 0 and got.stdout.strip().isdigit(), got.stderr
    bad = gridmgr(db_url, "capacity", "set", slug.strip(), "--percent", "30")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_parents_occupancy_and_caps_are_its_childrens_summed(run, tmp_path):
    import shapely

    slug = run("area", "add", GEODATA / "demo_park.geojson", "--name", "Old Daowai").strip()
    outline = shapely.from_geojson((GEODATA / "demo_park.geojson").read_text("utf-8"))
    x0, y0, x1, y1 = outline.bounds
    mid = (x0 + x1) / 2
    halves = [shapely.box(x0, y0, mid, y1), shapely.box(mid, y0, x1, y1)]
    features = [
        {"type": "Feature", "properties": {"name": f"block {k}"},
         "geometry": json.loads(shapely.to_geojson(h.intersection(outline)))}
        for k, h in enumerate(halves)
    ]  # fmt: skip
    blocks = tmp_path / "blocks.geojson"
    blocks.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    kids = run(
        "area", "import", blocks, "--parent", slug, "--level", "block", "--name-field", "name"
    ).split()
    assert len(kids) == 2
    gates = []
    for k, (kid, half) in enumerate(zip(kids, halves, strict=True)):
        at = half.intersection(outline).representative_point()
        gates.append(run("checkpoint", "add", kid, "--name", "门", "--lonlat", f"{at.x},{at.y}"))
        run("capacity", "set", kid, "--instant", str(100 * (k + 1)))
        run("count", kid, gates[-1].strip(), "--in", str(50 * (k + 1)))
    now = json.loads(run("occupancy", slug, "--json"))
    assert (now["occupancy"], now["limit"], now["limit_from"]) == (150, 300, "children")
    assert sorted(c["in"] for c in now["checkpoints"]) == [50, 100]
    assert "limit 300 inside at once (the sum of its 2 child areas' limits)" in run(
        "capacity", "show", slug
    )
    assert "sum of its children" in run.fails("capacity", "set", slug, "--instant", "600")
    assert "add it there" in run.fails(
        "checkpoint", "add", slug, "--name", "x", "--lonlat", "120.4641,36.1030"
    )
