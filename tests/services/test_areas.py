"""Adding areas: slugs read from Chinese names, chosen slugs, cell-code prefixes (SQLite and PostGIS)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from gridmgr import services
from gridmgr.db.models import Area, Cell, GridPlan
from gridmgr.db.store import transaction
from gridmgr.errors import Conflict, InvalidInput, NotFound

from conftest import GEODATA

PARK = GEODATA / "demo_park.geojson"


def slugs(engine) -> list[str]:
    return [a.slug for a in services.list_areas(engine)]


def test_chinese_names_give_pinyin_slugs_and_initials_for_codes(engine):
    first = services.add_area(engine, PARK, name="儿童公园", kind="park")
    assert first.slug == "ertong-gongyuan" and first.name == "儿童公园"
    assert services.add_area(engine, PARK, name="兆麟公园", kind="park").slug == "zhaolin-gongyuan"
    assert services.add_area(engine, PARK, name="儿童公园", kind="park").slug == "ertong-gongyuan-2"
    services.grid(engine, "ertong-gongyuan", count=4)
    codes = list(services.plan_cells(engine, "ertong-gongyuan")["code"])
    assert codes == ["ETGY-001", "ETGY-002", "ETGY-003", "ETGY-004"]
    services.grid(engine, "zhaolin-gongyuan", count=2)
    assert list(services.plan_cells(engine, "zhaolin-gongyuan")["code"]) == ["ZLGY-001", "ZLGY-002"]


def test_latin_and_unreadable_names(engine):
    assert services.add_area(engine, PARK, name="Daoli").slug == "daoli"
    assert services.add_area(engine, PARK, name="Haibin 儿童公园 2").slug == (
        "haibin-ertong-gongyuan-2"
    )
    assert services.add_area(engine, PARK, name="★★", kind="park").slug == "park"
    assert services.add_area(engine, PARK, name="★★★", kind="park").slug == "park-2"
    services.grid(engine, "daoli", count=2)  # a Latin name's codes come from its slug, as before
    assert list(services.plan_cells(engine, "daoli")["code"]) == ["DAOLI-001", "DAOLI-002"]


def test_a_chosen_slug_is_checked_and_a_taken_one_is_a_conflict(engine):
    made = services.add_area(engine, PARK, name="儿童公园", slug="etpark")
    assert made.slug == "etpark"
    services.grid(engine, "etpark", count=2)  # the codes still read the name
    assert list(services.plan_cells(engine, "etpark")["code"]) == ["ETGY-001", "ETGY-002"]
    with pytest.raises(Conflict, match="slug 'etpark' is taken by the area '儿童公园'"):
        services.add_area(engine, PARK, name="Another", slug="etpark")
    for bad in ("ErTong", "儿童", "-x", "x" * 81, "a b"):
        with pytest.raises(InvalidInput, match="lower-case letters a-z, digits and '-'"):
            services.add_area(engine, PARK, name="Another", slug=bad)
    assert slugs(engine) == ["etpark"]  # nothing written by the refusals
    # a slug made from a name steps around a chosen one
    assert services.add_area(engine, PARK, name="Etpark").slug == "etpark-2"
    assert services.add_area(engine, PARK, name="x", slug=" padded ").slug == "padded"


def test_a_slug_taken_between_the_check_and_the_write_is_a_conflict(engine):
    """Two planners choosing one slug at once: the second write gets the Conflict, not a 500."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite writes one transaction at a time (BEGIN IMMEDIATE): no such race")
    raced = []

    def quicker_planner(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO AREAS") and not raced:
            raced.append(True)  # another connection adds and commits its area first
            services.add_area(engine, PARK, name="Quicker", slug="first")

    event.listen(engine, "before_cursor_execute", quicker_planner)
    try:
        with pytest.raises(Conflict, match="slug 'first' is taken by the area 'Quicker'"):
            services.add_area(engine, PARK, name="Slower", slug="first")
    finally:
        event.remove(engine, "before_cursor_execute", quicker_planner)
    assert raced and slugs(engine) == ["first"]


def test_an_area_coded_from_its_slug_before_keeps_its_codes_one_series(engine):
    """A Chinese-named area from before slugs were read in pinyin: slug `area`, cells AREA-001....
    Its slug stays, and a re-grid numbers the new cells on in AREA-, not in a second prefix."""
    services.add_area(engine, PARK, name="儿童公园", slug="area")
    services.grid(engine, "area", count=4)
    with transaction(engine) as s:  # the codes an earlier gridmgr gave it
        plan = s.execute(select(GridPlan.id).join(Area).where(Area.slug == "area")).scalar_one()
        for cell_id, seq in s.execute(select(Cell.id, Cell.seq).where(Cell.plan_id == plan)).all():
            s.execute(update(Cell).where(Cell.id == cell_id).values(code=f"AREA-{seq:03d}"))
    services.grid(engine, "area", count=6)
    codes = list(services.plan_cells(engine, "area")["code"])
    assert len(codes) == 6 and all(c.startswith("AREA-") for c in codes), codes


def test_area_add_and_list(engine, park):
    again = services.add_area(engine, PARK, name="Haibin Children's Park")
    assert again.slug == f"{park}-2"
    rows = services.list_areas(engine)
    assert [r.slug for r in rows] == [park, f"{park}-2"]
    assert rows[0].cells == 30 and rows[0].plan_version == 1 and rows[1].cells == 0
    assert rows[1].plan_version is None
    info = services.get_area(engine, park)
    assert (info.slug, info.kind, info.plan_version, info.cells) == (park, "park", 1, 30)
    assert info.area_m2 == pytest.approx(rows[0].area_m2) and info.outline.geom_type.endswith(
        "Polygon"
    )
    with pytest.raises(NotFound, match="no area"):
        services.grid(engine, "nowhere", count=3)
    with pytest.raises(InvalidInput, match="time zone"):
        services.add_area(engine, PARK, name="x", timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("code", "first"),
    [("230102", "230102001"), ("230102001", "230102001001"), ("230102001002", "230102001002001"),
     ("HB-", "HB-001")],
)  # fmt: skip
def test_administrative_code_prefixes(engine, code, first):
    slug = services.add_area(engine, PARK, name=f"Park {code}", code=code).slug
    services.grid(engine, slug, count=30)
    codes = sorted(services.plan_cells(engine, slug)["code"])
    assert codes[0] == first and codes[-1] == first[:-3] + "030"
    assert all(c.startswith(code) and len(c) == len(first) for c in codes)


@pytest.mark.parametrize("code", ["2301020", "23010", "2301020010020", "37 02 12"])
def test_administrative_codes_of_the_wrong_length_are_refused(engine, code):
    with pytest.raises(InvalidInput, match="code prefix"):
        services.add_area(engine, PARK, name="Park", code=code)
    assert services.list_areas(engine) == []


def test_tree_order_puts_children_under_parents_at_any_depth():
    from gridmgr.services.areas import AreaSummary, area_tree

    def row(slug, parent=None):
        return AreaSummary(slug, slug, "area", 1.0, None, 0, parent)

    rows = [row("b"), row("a"), row("c1", "b"), row("c0", "b"), row("d", "c1"), row("x", "gone")]
    tree = area_tree(rows)
    assert [(d, a.slug) for d, a in tree] == [
        (0, "a"), (0, "b"), (1, "c0"), (1, "c1"), (2, "d"), (0, "x"),
    ]  # fmt: skip
    assert sorted(a.slug for _, a in tree) == sorted(r.slug for r in rows)
