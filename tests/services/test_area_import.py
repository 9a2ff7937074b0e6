"""Adding and importing child areas: children clipped to their parent and listed under it, one child per
feature with codes and a coverage report, bad imports refused whole (SQLite and PostGIS)."""

from __future__ import annotations

import pytest
import shapely

from gridmgr import services
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.area_import import import_areas
from gridmgr.services.areas import area_tree

from nesttools import (
    EAST,
    NORTH,
    SOUTH,
    STREETS,
    WEST,
    district,
    street_file,
    strips,
    write_features,
)
from webtools import table_counts


def test_a_child_is_clipped_to_its_parent_and_listed_under_it(engine, daoli, tmp_path):
    # the west street sticks out 10 % past the district's west edge: it is clipped to the district
    wide = shapely.box(WEST - 0.002, SOUTH, WEST + 0.02, NORTH)
    path = write_features(tmp_path / "west.geojson", [wide])
    made = services.add_area(
        engine, path, name="新阳路街道", kind="street", parent=daoli, code="230102001"
    )
    assert made.slug == "xinyang-lu-jiedao" and made.parent == daoli
    child = services.get_area(engine, made.slug)
    assert child.parent == daoli and child.code_prefix == "230102001"
    inside = shapely.box(WEST, SOUTH, WEST + 0.02, NORTH)
    assert shapely.equals_exact(shapely.normalize(child.outline), shapely.normalize(inside), 1e-7)
    assert child.area_m2 < services.get_area(engine, daoli).area_m2 * 0.5
    assert services.get_area(engine, daoli).parent is None
    assert [a.slug for a in services.list_areas(engine, parent=daoli)] == [made.slug]
    assert services.list_areas(engine, parent=made.slug) == []
    with pytest.raises(NotFound, match="no area 'nowhere'"):
        services.list_areas(engine, parent="nowhere")
    tree = area_tree(services.list_areas(engine))
    assert [(d, a.slug, a.parent) for d, a in tree] == [(0, daoli, None), (1, made.slug, daoli)]


def test_a_child_outside_or_mostly_outside_its_parent_is_refused_and_nothing_written(
    engine, daoli, tmp_path
):
    before = table_counts(engine)
    away = write_features(
        tmp_path / "away.geojson", [shapely.box(EAST + 0.01, SOUTH, EAST + 0.02, NORTH)]
    )
    with pytest.raises(
        InvalidInput, match=r"not within the parent area 'daoli-qu': it lies outside"
    ):
        services.add_area(engine, away, name="Away", parent=daoli)
    # 80 % of it east of the district
    mostly = write_features(
        tmp_path / "mostly.geojson", [shapely.box(EAST - 0.005, SOUTH, EAST + 0.02, NORTH)]
    )
    with pytest.raises(InvalidInput, match=r"has only 20\.\d% of its land inside it"):
        services.add_area(engine, mostly, name="Mostly", parent=daoli)
    with pytest.raises(NotFound, match="no area 'nowhere'"):
        services.add_area(engine, away, name="Orphan", parent="nowhere")
    assert table_counts(engine) == before


# --- importing children ---------------------------------------------------------------------------


def test_import_makes_one_child_per_feature_with_codes_and_a_coverage_report(
    engine, daoli, tmp_path
):
    # the streets leave a strip along the north edge uncovered and the first two overlap a little
    path = street_file(tmp_path, [WEST + 0.02, WEST + 0.035], north=NORTH - 0.001)
    shapes = strips([WEST + 0.02, WEST + 0.035], north=NORTH - 0.001)
    shapes[1] = shapely.box(WEST + 0.019, SOUTH, WEST + 0.035, NORTH - 0.001)
    write_features(
        path, shapes, [{"name": n, "code": f"23010200{k + 1}"} for k, n in enumerate(STREETS)]
    )
    got = import_areas(
        engine, path, parent=daoli, level="street", name_field="name", code_field="code"
    )
    assert got.slugs == ("xinyang-lu-jiedao", "fushun-jiedao", "anjing-jiedao")
    kids = {a.slug: a for a in services.list_areas(engine, parent=daoli)}
    assert set(kids) == set(got.slugs) and {a.kind for a in kids.values()} == {"street"}
    assert [services.get_area(engine, s).code_prefix for s in got.slugs] == [
        "230102001", "230102002", "230102003",
    ]  # fmt: skip
    g = got.ground
    district_m2 = services.get_area(engine, daoli).area_m2
    assert g.area_m2 == pytest.approx(district_m2, rel=1e-6)
    # the gap is the north strip, 0.001° of latitude (~111 m) across the district; the overlap the
    # 0.001° of longitude (~78 m) two streets share
    width_m, height_m = (EAST - WEST) * 111_320 * 0.6975, (NORTH - SOUTH) * 111_000
    assert sum(a for _, a in g.gaps) == pytest.approx(width_m * 111, rel=0.05)
    assert sum(a for _, a in g.overlaps) == pytest.approx(78 * (height_m - 111), rel=0.05)
    assert 0 < got.coverage_error < 0.1 and got.moved is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"field": "nom"}, r"no field 'nom' \(--name-field\); the features have: code, name, pop"),
        ({"names": ["A", "", "C"]}, r"feature 1 has an empty 'name'"),
        ({"names": ["A", "B", "A"]}, r"features 0 and 2 are both named 'A'"),
        (
            {"codes": ["230102001", "23", "230102003"]},
            r"feature 1 \(B\): code prefix '23' has 2 digits",
        ),
        (
            {"outside": True},
            r"feature 2 \(C\) is not within the parent area 'daoli-qu': it lies outside",
        ),
        ({"level": "no level"}, r"--level 'no level'"),
    ],
)
def test_bad_imports_name_the_feature_and_write_nothing(engine, daoli, tmp_path, change, words):
    names = change.get("names", ["A", "B", "C"])
    codes = change.get("codes", ["230102001", "230102002", "230102003"])
    shapes = strips([WEST + 0.02, WEST + 0.035])
    if change.get("outside"):
        shapes[2] = shapely.box(EAST + 0.01, SOUTH, EAST + 0.02, NORTH)
    props = [{"name": n, "code": c, "pop": 1} for n, c in zip(names, codes, strict=True)]
    path = write_features(tmp_path / "bad.geojson", shapes, props)
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=words):
        import_areas(
            engine, path, parent=daoli, level=change.get("level", "street"),
            name_field=change.get("field", "name"), code_field="code",
        )  # fmt: skip
    assert table_counts(engine) == before


def test_a_second_import_with_a_sibling_name_taken_is_refused(engine, daoli, tmp_path):
    path = street_file(tmp_path, [WEST + 0.02, WEST + 0.035])
    import_areas(engine, path, parent=daoli, level="street", name_field="name")
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match="already has a child named '新阳路街道'"):
        import_areas(engine, path, parent=daoli, level="street", name_field="name")
    assert table_counts(engine) == before


# --- moving a gridded parent's cells down -----------------------------------------------------------


def test_an_area_over_the_size_limit_holds_children_but_no_cells_of_its_own(
    engine, tmp_path, monkeypatch
):
    from gridmgr.errors import LimitExceeded
    from gridmgr.services.leaf_grid import grid_leaves

    monkeypatch.setenv("GRIDMGR_MAX_AREA_KM2", "8")  # the district is about 12 km², a street 4
    top = write_features(tmp_path / "district.geojson", [district()])
    made = services.add_area(engine, top, name="道里区")
    assert any("over the limit of 8 km² for one area's cells" in w for w in made.warnings)
    with pytest.raises(LimitExceeded, match=r"'daoli-qu' is 1\d\.\d km², over the limit of 8 km²"):
        services.grid(engine, made.slug, count=4)
    path = street_file(tmp_path, [WEST + 0.017, WEST + 0.034])
    import_areas(engine, path, parent=made.slug, level="street", name_field="name")
    assert grid_leaves(engine, made.slug, count=10).cells == 10
    # up to 20 times the limit only: past it an area is refused as before, nothing written
    monkeypatch.setenv("GRIDMGR_MAX_AREA_KM2", "0.5")
    before = table_counts(engine)
    with pytest.raises(LimitExceeded, match="over the limit of 10 km²"):
        services.add_area(engine, top, name="Too big")
    assert table_counts(engine) == before
