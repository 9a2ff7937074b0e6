"""Finding categories: added by name (English=中文, either order, or one name for both), found by key
or either name in any case, an existing one never added twice, unknown names refused with the list."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmgr.db.store import reading
from gridmgr.errors import InvalidInput
from gridmgr.services.categories import MAX_NAME, add_categories, list_categories, resolve_category

ONCE = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
english = st.from_regex(r"[A-Z][a-z]{2,10}( [a-z]{2,8})?", fullmatch=True)


def test_both_names_in_either_order_and_keys_from_english_or_pinyin(engine):
    seeded = list_categories(engine)
    got = add_categories(engine, ["Fire exits=消防通道", "占道经营=Street stalls", "占道经营"])
    assert [(c.key, c.name_en, c.name_zh) for c in got] == [
        ("fire_exits", "Fire exits", "消防通道"),
        ("street_stalls", "Street stalls", "占道经营"),
        ("street_stalls", "Street stalls", "占道经营"),  # the same one, named again
    ]
    alone = add_categories(engine, ["垃圾满溢"])[0]
    assert (alone.key, alone.name_en, alone.name_zh) == ("lajimanyi", "垃圾满溢", "垃圾满溢")
    assert list_categories(engine)[: len(seeded)] == seeded  # the new ones come last
    assert len(list_categories(engine)) == len(seeded) + 3


@ONCE
@given(name=english, spelled=st.sampled_from([str.lower, str.upper, str.title, str]))
def test_a_category_is_found_by_key_or_either_name_in_any_case(engine, name, spelled):
    made = add_categories(engine, [f"{name}=类别{name}"])[0]  # the database is shared by examples
    assert (made.name_en, made.name_zh) == (name, f"类别{name}")
    with reading(engine) as s:
        for given in (
            made.key,
            spelled(made.key),
            spelled(made.name_en),
            made.name_zh,
            f" {name} ",
        ):
            assert resolve_category(s, given).key == made.key
    again = add_categories(engine, [spelled(name)])
    assert again == [made] and sum(c.key == made.key for c in list_categories(engine)) == 1


def test_unknown_names_are_refused_listing_the_categories(engine):
    keys = [c.key for c in list_categories(engine)]
    with reading(engine) as s:
        for given in ("nothing like it", "", None, 7):
            with pytest.raises(InvalidInput, match=r"unknown category .*use one of: .*\(") as info:
                resolve_category(s, given)
            assert all(key in str(info.value) for key in keys)


@pytest.mark.parametrize(
    "names", [[], [""], ["="], ["x" * (MAX_NAME + 1)], ["a\nb"], ["ok", "x" * (MAX_NAME + 1)]]
)
def test_bad_names_are_refused_and_add_nothing(engine, names):
    before = list_categories(engine)
    with pytest.raises(InvalidInput):
        add_categories(engine, names)
    assert list_categories(engine) == before
