"""The roll-up as text: a line per child and the total, columns aligned in a terminal even with Chinese
names (which take two columns a character)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.cli.printing_rollup import HEADERS, rollup_text
from gridmgr.services.rollup import Rollup, RollupRow

count = st.integers(0, 10**6)
ratio = st.floats(0, 1)
name = (
    st.text(st.sampled_from("abcxyz 道里区新阳路街道-"), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)


def width(text: str) -> int:
    """Terminal columns: the CJK characters used here take two."""
    return sum(2 if "\u4e00" <= ch <= "\u9fff" else 1 for ch in text)


def rows(slug: st.SearchStrategy[str]) -> st.SearchStrategy[RollupRow]:
    return st.builds(
        RollupRow, slug=slug, name=name, cells=count, wardens=count, coverage_ratio=ratio,
        unstaffed=count, due=count, overdue=count, ok=count, rounds_expected_today=count,
        rounds_done_today=count, findings_open=count, findings_overdue=count,
        rectification_rate=st.none() | ratio, area_m2=st.floats(0, 1e9), findings_found=count,
        findings_rectified=count,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    total=rows(st.just("top")),
    children=st.lists(rows(st.from_regex(r"[a-z]{1,10}", fullmatch=True)), max_size=6),
)
def test_a_line_per_child_then_the_total_in_aligned_columns(total, children):
    r = Rollup(
        "top",
        "道里区",
        datetime(2026, 11, 20, 15, tzinfo=ZoneInfo("Asia/Shanghai")),
        total,
        tuple(children),
        (),
    )
    lines = rollup_text(r).split("\n")
    assert lines[0] == "道里区 (top) at 2026-11-20T15:00+08:00"
    table = lines[1:]
    assert len(table) == 2 + len(children)
    assert table[0].split() == [w for h in HEADERS for w in h.split()]
    for line, child in zip(table[1:-1], children, strict=True):
        assert line.startswith(f"{child.slug} {child.name}")
        assert line.endswith("-" if child.rectification_rate is None else "%")
        assert f"{child.rounds_done_today:,}/{child.rounds_expected_today:,}" in line
    assert table[-1].startswith("total")
    # right-aligned columns: every line ends at the same terminal column
    assert len({width(line) for line in table[1:]}) == 1
    assert width(table[0]) <= width(table[1])
