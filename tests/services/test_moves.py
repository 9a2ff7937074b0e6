"""A gridded parent's cells moved down to its new children with everything attached to them: wardens,
schedules, rounds, findings, checkpoints; a child that leaves cells without one, or a re-grid meanwhile,
refused (SQLite and PostGIS)."""

from __future__ import annotations

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput
from gridmgr.services.area_import import import_areas

from nesttools import (
    EAST,
    SOUTH,
    WEST,
    district,
    street_file,
    strips,
    write_features,
)
from webtools import table_counts


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
