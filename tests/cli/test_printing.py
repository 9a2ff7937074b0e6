"""What the commands print: areas as an indented tree, plan history, users, and the JSON made here for
what the API does not serve."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from gridmgr.cli.printing import areas_text, plans_text, plans_to_json, users_text, users_to_json
from gridmgr.services.areas import AreaSummary, Leaders
from gridmgr.services.reports import PlanRow
from gridmgr.services.users import UserInfo


def test_areas_as_an_indented_tree_with_leaders():
    rows = [
        AreaSummary("daoli", "道里区", "district", 12_345_678.9, 2, 0),
        AreaSummary("xinyang", "新阳路街道", "street", 1_000_000.0, 1, 40, parent="daoli",
                    leaders=Leaders(leader="王伟", leader_phone="139", deputy="李娜", deputy_phone=None)),
        AreaSummary("park", "Park", "park", 50_000.0, None, 0),
    ]  # fmt: skip
    lines = areas_text(rows).split("\n")
    assert [line.split()[0] for line in lines] == ["daoli", "xinyang", "park"]
    assert lines[1].startswith("  xinyang") and lines[0].startswith("daoli ")
    assert "1234.57 ha  plan v2  0 cells" in lines[0]
    assert lines[1].endswith("plan v1  40 cells  leader 王伟, deputy 李娜")
    assert lines[2].endswith("5.00 ha  plan v-  0 cells")
    assert areas_text([]) == "no areas yet (gridmgr area add FILE --name NAME)"


plan = st.builds(
    PlanRow, version=st.integers(1, 9999), active=st.booleans(),
    mode=st.sampled_from(["count", "cell_size", "import", "restore"]), cells=st.integers(0, 10**6),
    created_at=st.datetimes(datetime(2020, 1, 1), datetime(2040, 1, 1)), created_by=st.none() | st.text("abc", max_size=5),
)  # fmt: skip


@given(rows=st.lists(plan, max_size=5))
def test_plan_history_text_and_json_say_the_same(rows):
    text = plans_text(rows)
    data = plans_to_json(rows)
    assert len(data) == len(rows)
    if not rows:
        assert text == "no plans yet"
        return
    for line, row, item in zip(text.split("\n"), rows, data, strict=True):
        assert line.startswith(f"v{row.version}") and (" active " in line) is row.active
        assert f"{row.cells:>7} cells" in line and row.created_at.isoformat()[:19] in line
        assert item == {
            "version": row.version, "active": row.active, "mode": row.mode, "cells": row.cells,
            "created_at": row.created_at.isoformat(), "created_by": row.created_by,
        }  # fmt: skip


def test_users_with_their_warden_or_scope():
    rows = [
        UserInfo(1, "boss", "manager", None),
        UserInfo(2, "local", "planner", None, "daoli", 7),
        UserInfo(3, "zhang", "warden", "张伟"),
    ]
    assert users_text(rows).split("\n") == [
        f"{'boss':<24} manager",
        f"{'local':<24} planner  scope daoli",
        f"{'zhang':<24} warden   张伟",
    ]
    assert users_to_json(rows)[1] == {
        "id": 2, "username": "local", "role": "planner", "warden": None, "scope": "daoli",
    }  # fmt: skip
    assert users_text([]) == "" and users_to_json([]) == []
