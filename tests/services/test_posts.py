"""A cell's wardens replaced as a whole: every warden must exist, names once, roles checked; a bad
list changes nothing."""

from __future__ import annotations

import pytest

from gridmgr import services
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.posts import set_cell_wardens

from servicetools import active

CELL = "HAIBIN-CHILDRENS-PARK-001"


def posts_of(engine, slug, code=CELL):
    _, _, posts, _ = active(engine, slug)
    return sorted((n, r) for c, n, r in posts if c == code)


def test_a_cells_wardens_are_replaced_whole(engine, park):
    for name in ("张伟", "李娜", "王芳"):
        services.add_warden(engine, name)
    got = set_cell_wardens(
        engine, park, CELL, [{"name": "张伟", "role": "leader"}, {"name": "李娜"}]
    )
    assert [(p.name, p.role) for p in got.wardens] == [("张伟", "leader"), ("李娜", "member")]
    assert posts_of(engine, park) == [("张伟", "leader"), ("李娜", "member")]
    set_cell_wardens(engine, park, CELL, [{"name": "王芳"}])
    assert posts_of(engine, park) == [("王芳", "member")]
    set_cell_wardens(engine, park, CELL, [])
    assert posts_of(engine, park) == []


@pytest.mark.parametrize(
    ("wardens", "words"),
    [
        ("张伟", "must be an array"),
        ([{"role": "leader"}], 'wardens\\[0\\]: needs an object with a "name"'),
        ([{"name": "张伟"}, {"name": "张伟"}], "wardens\\[1\\]: '张伟' is named twice"),
        ([{"name": "张伟", "role": 3}], "the role must be a string"),
        ([{"name": "张伟", "role": "chief"}], "chief"),
        ([{"name": "张伟"}, {"name": "nobody"}], "no warden named 'nobody'"),
    ],
)
def test_a_bad_list_is_refused_and_changes_nothing(engine, park, wardens, words):
    services.add_warden(engine, "张伟")
    set_cell_wardens(engine, park, CELL, [{"name": "张伟", "role": "leader"}])
    with pytest.raises(InvalidInput, match=words):
        set_cell_wardens(engine, park, CELL, wardens)
    assert posts_of(engine, park) == [("张伟", "leader")]


def test_a_cell_not_in_the_active_plan_is_not_found(engine, park):
    with pytest.raises(NotFound):
        set_cell_wardens(engine, park, "X-999", [])
    services.grid(engine, park, count=12)  # the first plan's codes 013.. are gone
    with pytest.raises(NotFound):
        set_cell_wardens(engine, park, "HAIBIN-CHILDRENS-PARK-013", [])


def test_set_cell_wardens_replaces_in_one_go_and_refuses_unknown_names(engine, seeded):
    from gridmgr import services
    from gridmgr.errors import InvalidInput
    from gridmgr.services.posts import Post, set_cell_wardens

    code = seeded.codes[2]
    got = set_cell_wardens(
        engine, seeded.slug, code, [{"name": "warden7", "role": "leader"}, {"name": "warden8"}]
    )
    assert got.wardens == (Post("warden7", "leader"), Post("warden8", "member"))
    with pytest.raises(InvalidInput, match="no warden named 'ghost'"):
        set_cell_wardens(engine, seeded.slug, code, [{"name": "warden9"}, {"name": "ghost"}])
    cells = services.plan_cells(engine, seeded.slug).set_index("code")
    assert cells.loc[code, "wardens"] == "warden7 (leader); warden8 (member)"  # unchanged
    set_cell_wardens(engine, seeded.slug, code, [], actor="li")
    assert services.plan_cells(engine, seeded.slug).set_index("code").loc[code, "wardens"] == ""
    from gridmgr.db.models import AuditEvent
    from gridmgr.db.store import reading

    with reading(engine) as s:
        lines = s.query(AuditEvent).filter(AuditEvent.action == "cell.wardens").all()
    assert [e.actor for e in lines] == ["cli", "li"]  # the refused change left no line
