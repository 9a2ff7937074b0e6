"""gridmgr.cli.json_output: `--json` prints the API's object as JSON that reads back the same, with
Chinese names as written and dates as ISO text."""

from __future__ import annotations

import json
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from gridmgr.cli.json_output import print_json

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSONISH)
def test_what_is_printed_reads_back_the_same(data):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_json(data)
    assert json.loads(out.getvalue()) == data


def test_chinese_is_kept_indented_and_dates_are_text(capsys):
    print_json({"name": "道里区", "day": date(2026, 12, 2), "at": datetime(2026, 12, 2, 8, 30)})
    out = capsys.readouterr().out
    assert '"name": "道里区"' in out and "\\u" not in out
    assert out.startswith("{\n  ")
    assert json.loads(out) == {"name": "道里区", "day": "2026-12-02", "at": "2026-12-02 08:30:00"}
