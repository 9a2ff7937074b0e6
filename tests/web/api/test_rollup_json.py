"""The roll-up's JSON: the area, the moment with its offset, and for the total and each child exactly
the contract's fields, the figures unchanged."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gridmgr.services.rollup import Rollup, RollupRow
from gridmgr.web.api.rollup_json import ROW_FIELDS, rollup_to_json, row_to_json

count = st.integers(0, 10**6)
ratio = st.floats(0, 1)
row = st.builds(
    RollupRow, slug=st.from_regex(r"[a-z]{1,8}", fullmatch=True), name=st.text(max_size=8),
    cells=count, wardens=count, coverage_ratio=ratio, unstaffed=count, due=count, overdue=count,
    ok=count, rounds_expected_today=count, rounds_done_today=count, findings_open=count,
    findings_overdue=count, rectification_rate=st.none() | ratio, area_m2=st.floats(0, 1e9),
    findings_found=count, findings_rectified=count,
)  # fmt: skip


@given(total=row, children=st.lists(row, max_size=5))
def test_the_json_holds_exactly_the_contracts_fields(total, children):
    at = datetime(2026, 11, 20, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    got = rollup_to_json(Rollup("top", "Top", at, total, tuple(children), ()))
    assert json.loads(json.dumps(got)) == got  # plain JSON
    assert set(got) == {"area", "at", "total", "children"}
    assert got["area"] == "top" and got["at"] == "2026-11-20T15:00:00+08:00"
    for out, r in zip([got["total"], *got["children"]], [total, *children], strict=True):
        assert tuple(out) == ROW_FIELDS
        assert out == {k: v for k, v in dataclasses.asdict(r).items() if k in ROW_FIELDS}
    assert row_to_json(total) == got["total"]
    # what the ratios are worked out from stays out of the contract
    assert not {"area_m2", "findings_found", "findings_rectified"} & set(ROW_FIELDS)
