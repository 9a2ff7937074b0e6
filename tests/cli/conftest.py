"""The CLI tests' shared fixture: the command line run in this process."""

from __future__ import annotations

import pytest

from gridmgr.cli.main import main


@pytest.fixture
def run(db_url, capsys, monkeypatch):
    """The command line in this process (each command's engine disposed after it)."""
    from gridmgr.db import store

    made = []
    make = store.make_engine
    monkeypatch.setattr(store, "make_engine", lambda url=None: made.append(make(url)) or made[-1])

    def call(args, status: int) -> str:
        try:
            assert main(["--db", db_url, *map(str, args)]) == status, capsys.readouterr()
        finally:
            while made:
                made.pop().dispose()
        out = capsys.readouterr()
        return out.out if status == 0 else out.err

    def ok(*args: str) -> str:
        return call(args, 0)

    ok.fails = lambda *args: call(args, 2)  # type: ignore[attr-defined]
    return ok
