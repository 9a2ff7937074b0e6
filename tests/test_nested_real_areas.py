"""Issue 15's acceptance 1 on real boundaries from ../shared/geodata: Harbin's 18 districts imported
under the city (GCJ-02), Daoli cut into five streets, 654 cells shared over them by land with codes
under each street's code, and 2,078 wardens spread street by street (SQLite and PostGIS)."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from gridmgr import services
from gridmgr.cli.main import main
from gridmgr.db.models import Area, Assignment, Cell, GridPlan
from gridmgr.db.store import make_engine, reading

from nesttools import write_features

STREET_CODES = [f"230102{k:03d}" for k in range(1, 6)]
# made-up streets: Daoli cut west to east at these fractions of its width (unequal on purpose)
CUTS = [0.3, 0.5, 0.62, 0.8]


@pytest.fixture
def gridmgr(db_url, capsys, monkeypatch):
    """`gridmgr ARGS...` in this process on the test database; its stdout, or fails on exit != 0."""
    from gridmgr.db import store

    made = []
    make = store.make_engine
    monkeypatch.setattr(store, "make_engine", lambda url=None: made.append(make(url)) or made[-1])
    monkeypatch.delenv("GRIDMGR_MAX_AREA_KM2", raising=False)  # the default limit, 50,000 km²

    def run(*args: object) -> str:
        try:
            status = main(["--db", db_url, *map(str, args)])
        finally:
            while made:
                made.pop().dispose()
        out = capsys.readouterr()
        assert status == 0, out.err
        return out.out

    return run


def daoli_streets(outline: shapely.Geometry, tmp_path):
    """A file of five made-up streets of Daoli: its outline cut by meridians at CUTS of its width."""
    west, south, east, north = outline.bounds
    xs = [west - 0.01, *(west + f * (east - west) for f in CUTS), east + 0.01]
    shapes = [
        shapely.intersection(outline, shapely.box(a, south - 0.01, b, north + 0.01))
        for a, b in itertools.pairwise(xs)
    ]
    props = [{"name": f"道里第{k + 1}街道", "code": c} for k, c in enumerate(STREET_CODES)]
    return write_features(tmp_path / "daoli_streets.geojson", shapes, props)


def test_harbin_districts_daoli_streets_654_cells_and_2078_wardens(
    shared_geodata, gridmgr, db_url, tmp_path
):
    harbin = shared_geodata / "admin" / "harbin_230100_full.json"
    city = gridmgr(
        "area",
        "add",
        harbin,
        "--name",
        "哈尔滨市",
        "--kind",
        "city",
        "--code",
        "230100",
        "--crs",
        "gcj02",
    ).strip()
    assert city == "haerbin-shi"  # 53,000 km², over the area limit: it holds districts, no cells
    districts = gridmgr(
        "area", "import", harbin, "--parent", city, "--level", "district", "--name-field", "name",
        "--code-field", "adcode", "--crs", "gcj02",
    ).split()  # fmt: skip
    assert len(districts) == 18 and districts[0] == "daoli-qu"
    engine = make_engine(db_url)
    try:
        daoli = services.get_area(engine, "daoli-qu")
        assert daoli.parent == city and daoli.code_prefix == "230102" and daoli.kind == "district"
        # GCJ-02 converted: Daoli's WGS84 outline lies west-south-west of the source by a few hundred m
        assert 126.0 < daoli.outline.centroid.x < 126.8 and 45.4 < daoli.outline.centroid.y < 45.9
        path = daoli_streets(daoli.outline, tmp_path)
        streets = gridmgr(
            "area", "import", path, "--parent", "daoli-qu", "--level", "street", "--name-field",
            "name", "--code-field", "code",
        ).split()  # fmt: skip
        assert len(streets) == 5
        report = json.loads(gridmgr("grid", "daoli-qu", "--count", "654", "--json"))
        assert report["cells"] == 654
        leaves = {x["slug"]: x for x in report["leaves"]}
        assert set(leaves) == set(streets)
        land = {s: services.get_area(engine, s).area_m2 for s in streets}
        codes_seen = set()
        for k, slug in enumerate(streets):
            exact = 654 * land[slug] / sum(land.values())
            cells = services.plan_cells(engine, slug)
            assert len(cells) == leaves[slug]["cells"] and abs(len(cells) - exact) < 1
            assert all(re.fullmatch(STREET_CODES[k] + r"\d{3}", c) for c in cells["code"])
            codes_seen |= set(cells["code"])
        assert len(codes_seen) == 654
        assert services.get_area(engine, "daoli-qu").cells == 0

        csv = tmp_path / "wardens.csv"
        csv.write_text(
            "name,phone\n" + "".join(f"网格员{k:04d},139{k:08d}\n" for k in range(2078)), "utf-8"
        )
        assert "2078" in gridmgr("warden", "import", csv)
        gridmgr("assign", "daoli-qu", "--auto")
        with reading(engine) as s:
            rows = s.execute(
                select(Area.slug, Assignment.warden_id, Cell.id)
                .join(Cell, Cell.id == Assignment.cell_id)
                .join(GridPlan, (GridPlan.id == Cell.plan_id) & GridPlan.active)
                .join(Area, Area.id == GridPlan.area_id)
            ).all()
            total_cells = s.execute(
                select(func.count(Cell.id)).join(
                    GridPlan, (GridPlan.id == Cell.plan_id) & GridPlan.active
                )
            ).scalar_one()
        street_of: dict[int, set[str]] = {}
        for slug, warden, _cell in rows:
            street_of.setdefault(warden, set()).add(slug)
        assert len(street_of) == 2078 and all(len(v) == 1 for v in street_of.values())
        assert len({c for _, _, c in rows}) == total_cells == 654  # every cell staffed
        per_street = {s: sum(1 for v in street_of.values() if v == {s}) for s in streets}
        for s in streets:
            exact = 2078 * leaves[s]["cells"] / 654
            assert abs(per_street[s] - exact) < 1
        # the tree reads city > districts > Daoli's streets
        lines = gridmgr("area", "list").splitlines()
        assert lines[0].startswith("haerbin-shi ") and len(lines) == 1 + 18 + 5
        at = next(k for k, ln in enumerate(lines) if ln.startswith("  daoli-qu "))
        assert [ln.split()[0] for ln in lines[at + 1 : at + 6]] == streets
        assert all(ln.startswith("    ") for ln in lines[at + 1 : at + 6])
        assert sum(ln.startswith("  ") and not ln.startswith("    ") for ln in lines) == 18
        assert np.isclose(
            sum(land.values()), services.get_area(engine, "daoli-qu").area_m2, rtol=1e-6
        )
        # every level's roll-up: its children add up to its total, district → city
        for slug in [city, "daoli-qu"]:
            got = json.loads(gridmgr("rollup", slug, "--json"))
            kids, total = got["children"], got["total"]
            for key in ("cells", "wardens", "unstaffed", "due", "overdue", "ok"):
                assert total[key] == sum(k[key] for k in kids), (slug, key)
        city_total = json.loads(gridmgr("rollup", city, "--json"))["total"]
        assert city_total["cells"] == 654 and city_total["wardens"] == 2078
        daoli_row = json.loads(gridmgr("rollup", "daoli-qu", "--json"))["total"]
        assert daoli_row == next(
            k
            for k in json.loads(gridmgr("rollup", city, "--json"))["children"]
            if k["slug"] == "daoli-qu"
        )
    finally:
        engine.dispose()
