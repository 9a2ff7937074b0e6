"""Areas inside areas: children clipped to their parent, the tree listed, a gridded parent's cells
moved down to its children with everything attached to them (SQLite and PostGIS)."""

from __future__ import annotations

import pytest
import shapely

from gridmgr import services
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.area_import import import_areas
from gridmgr.services.areas import area_tree

from nesttools import EAST, NORTH, SOUTH, WEST, district, strips, write_features
from webtools import table_counts


@pytest.fixture
def daoli(engine, tmp_path):
    """The made-up district as a root area; its slug."""
    path = write_features(tmp_path / "district.geojson", [district()])
    return services.add_area(engine, path, name="道里区", kind="district", code="230102").slug


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


def test_tree_order_puts_children_under_parents_at_any_depth():
    from gridmgr.services.areas import AreaSummary

    def row(slug, parent=None):
        return AreaSummary(slug, slug, "area", 1.0, None, 0, parent)

    rows = [row("b"), row("a"), row("c1", "b"), row("c0", "b"), row("d", "c1"), row("x", "gone")]
    tree = area_tree(rows)
    assert [(d, a.slug) for d, a in tree] == [
        (0, "a"), (0, "b"), (1, "c0"), (1, "c1"), (2, "d"), (0, "x"),
    ]  # fmt: skip
    assert sorted(a.slug for _, a in tree) == sorted(r.slug for r in rows)


def test_a_gridded_parent_refuses_a_child_that_leaves_cells_without_one(engine, daoli, tmp_path):
    services.grid(engine, daoli, count=12)
    before = table_counts(engine)
    west = write_features(tmp_path / "west.geojson", strips([WEST + 0.02])[:1])
    with pytest.raises(
        InvalidInput,
        match=r"'daoli-qu' is gridded and \d+ of its cells would belong to no child area \(230102\d{3}",
    ):
        services.add_area(engine, west, name="West", parent=daoli)
    assert table_counts(engine) == before
    # a child covering the whole district takes every cell
    whole = write_features(tmp_path / "whole.geojson", [district()])
    made = services.add_area(engine, whole, name="All", parent=daoli)
    assert made.moved is not None and made.moved.cells == {made.slug: 12}
    assert services.get_area(engine, daoli).cells == 0
    assert services.get_area(engine, made.slug).cells == 12
    with pytest.raises(InvalidInput, match="holds child areas"):
        services.grid(engine, daoli, from_file=whole)


# --- importing children ---------------------------------------------------------------------------

STREETS = ["新阳路街道", "抚顺街道", "安静街道"]


def street_file(tmp_path, cuts, names=STREETS, codes=("230102001", "230102002", "230102003"), **kw):
    shapes = strips(cuts, **kw)
    props = [{"name": n, "code": c, "pop": 1} for n, c in zip(names, codes, strict=False)]
    return write_features(tmp_path / "streets.geojson", shapes, props)


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


def _history(engine):
    """Every row that hangs off a cell, as plain tuples, and each cell's area slug now."""
    from sqlalchemy import select

    from gridmgr.db.models import (
        Area,
        Assignment,
        Cell,
        Checkpoint,
        Finding,
        GridPlan,
        Round,
        Schedule,
    )
    from gridmgr.db.store import reading

    with reading(engine) as s:
        where = dict(
            s.execute(
                select(Cell.id, Area.slug)
                .join(GridPlan, GridPlan.id == Cell.plan_id)
                .join(Area, Area.id == GridPlan.area_id)
                .where(GridPlan.active)
            ).all()
        )
        slug_of = dict(s.execute(select(Area.id, Area.slug)).all())
        return {
            "cells": sorted(s.execute(select(Cell.id, Cell.code, Cell.seq)).all()),
            "where": where,
            "posts": sorted(
                s.execute(select(Assignment.cell_id, Assignment.warden_id, Assignment.role)).all()
            ),
            "schedules": sorted(
                s.execute(select(Schedule.cell_id, Schedule.times, Schedule.extra)).all()
            ),
            "rounds": sorted(
                s.execute(select(Round.id, Round.cell_id, Round.warden_id, Round.at_s)).all()
            ),
            "findings": sorted(
                (i, c, slug_of[a])
                for i, c, a in s.execute(select(Finding.id, Finding.cell_id, Finding.area_id))
            ),
            "gates": sorted(
                (i, slug_of[a]) for i, a in s.execute(select(Checkpoint.id, Checkpoint.area_id))
            ),
        }


def test_children_imported_under_a_gridded_area_take_its_cells_and_all_their_history(
    engine, daoli, tmp_path
):
    """Issue acceptance 3: a district gridded first and given streets later keeps every cell, warden,
    schedule and round under the right street."""
    from datetime import UTC, datetime, timedelta

    from gridmgr.services import findings as f
    from gridmgr.services.checkpoints import add_checkpoint

    services.grid(engine, daoli, count=24)
    csv = tmp_path / "wardens.csv"
    csv.write_text("name,phone\n" + "".join(f"w{k},1380000{k:04d}\n" for k in range(30)), "utf-8")
    services.import_wardens(engine, csv)
    services.auto_assign(engine, daoli)
    services.set_schedule(engine, daoli, None, times=["08:00", "12:00"], extra=1)
    cells = services.plan_cells(engine, daoli)
    codes = list(cells["code"])
    at = datetime.now(UTC) - timedelta(hours=2)
    staff = services.area_staff(engine, daoli)
    for cell in staff.cells[::3]:
        services.record_round(engine, daoli, cell.code, cell.posts[0].name, at=at)
    boss = f.Actor("manager", "manager")
    for code in codes[::5]:
        f.record_finding(
            engine, daoli, code, f.NewFinding(category="waste", text=code, fixed_now=True), boss
        )
    gate = add_checkpoint(engine, daoli, name="east gate", lon=EAST - 0.001, lat=SOUTH + 0.01)
    before, counts = _history(engine), table_counts(engine)
    assert (
        len(before["rounds"]) >= 8 and len(before["findings"]) >= 4 and len(before["posts"]) >= 24
    )

    cuts = [WEST + 0.0213, WEST + 0.0377]  # not along the cells' edges: some cells straddle two
    got = import_areas(
        engine, street_file(tmp_path, cuts), parent=daoli, level="street", name_field="name"
    )
    after, now = _history(engine), table_counts(engine)

    # nothing lost, nothing copied: only the streets, their plans and audit lines are new rows
    grown = {t: now[t] - counts[t] for t in now if now[t] != counts[t]}
    assert set(grown) <= {"areas", "grid_plans", "audit_events"}, grown
    assert grown["areas"] == 3 and grown["grid_plans"] == 3
    for key in ("cells", "posts", "schedules", "rounds"):
        assert after[key] == before[key], key
    # each cell is under the street covering most of it, with everything attached to it
    geoms = dict(zip(cells["code"], cells.geometry, strict=True))
    code_of = {i: c for i, c, _ in before["cells"]}
    shapes = strips(cuts)
    expected = {
        i: got.slugs[max(range(3), key=lambda k: geoms[c].intersection(shapes[k]).area)]
        for i, c in code_of.items()
    }
    assert after["where"] == expected
    assert {expected[c] for c in expected} == set(got.slugs)
    assert got.moved is not None and got.moved.from_plan == 1
    assert got.moved.cells == {s: list(expected.values()).count(s) for s in got.slugs}
    assert [(i, c, expected[c]) for i, c, _ in before["findings"]] == after["findings"]
    assert after["gates"] == [(gate.id, got.slugs[2])]
    # the district keeps its plan as history and holds no cells; each street's plan is active
    assert services.get_area(engine, daoli).cells == 0
    plans = services.list_plans(engine, daoli)
    assert [(p.version, p.active) for p in plans] == [(1, False)]
    for slug in got.slugs:
        street = services.get_area(engine, slug)
        assert street.plan_version == 1 and street.cells == got.moved.cells[slug]
        report = services.coverage_report(engine, slug)
        assert report.cells_total == street.cells and not report.unstaffed


def test_a_regrid_committed_while_children_arrive_makes_the_import_a_conflict(
    engine, daoli, tmp_path
):
    """The move checks the parent's version as it read it: cells of a plan that is no longer the
    parent's active one are never moved."""
    from sqlalchemy import event

    from gridmgr.errors import Conflict

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite writes one transaction at a time (BEGIN IMMEDIATE): no such race")
    services.grid(engine, daoli, count=6)
    raced = []

    def quicker_planner(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE AREAS SET VERSION") and not raced:
            raced.append(True)  # another planner re-grids the district and commits first
            services.grid(engine, daoli, count=8)

    event.listen(engine, "before_cursor_execute", quicker_planner)
    try:
        with pytest.raises(Conflict, match="'daoli-qu' was re-gridded by someone else meanwhile"):
            import_areas(
                engine,
                street_file(tmp_path, [WEST + 0.02, WEST + 0.035]),
                parent=daoli,
                level="street",
                name_field="name",
            )
    finally:
        event.remove(engine, "before_cursor_execute", quicker_planner)
    assert raced
    assert services.list_areas(engine, parent=daoli) == []
    assert (
        services.get_area(engine, daoli).cells == 8
        and services.get_area(engine, daoli).plan_version == 2
    )


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
