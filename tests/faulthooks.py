"""Fault injection for the crash tests, installed by the tests in a gridmgr process they start (never
shipped in the package): run this file instead of `python -m gridmgr`, with the same arguments.

- GRIDMGR_TEST_PAUSE_IN_WRITE=FILE: a plan's first chunk of cells is written, then the process holds
  inside its transaction (the test kills it there, mid-write).
- GRIDMGR_TEST_PAUSE_AFTER_ROUND=FILE: the first round logged through the API is committed, then held
  before its answer (the test kills the server between the two).

The first process to reach the point writes FILE (its content: the round's Idempotency-Key) and holds
for ten minutes; later callers go on.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from pathlib import Path

HOLD_S = 600


def hold_once(marker: str, note: str) -> None:
    """The first caller writes `note` into `marker` (atomically) and holds; later callers return."""
    draft = f"{marker}.{os.getpid()}.{threading.get_ident()}"
    Path(draft).write_text(note, encoding="utf-8")
    try:
        os.link(draft, marker)  # atomic: exactly one caller makes the marker
    except FileExistsError:
        return
    finally:
        os.unlink(draft)
    time.sleep(HOLD_S)


def install(env: dict[str, str] | None = None) -> None:
    """Wrap the functions named by the environment's GRIDMGR_TEST_PAUSE_* variables."""
    env = dict(os.environ if env is None else env)
    if in_write := env.get("GRIDMGR_TEST_PAUSE_IN_WRITE"):
        from gridmgr.db import models, store

        insert = store.bulk_insert

        @functools.wraps(insert)
        def insert_then_hold(session, model, rows):
            insert(session, model, rows)
            if model is models.Cell:
                hold_once(in_write, "")

        store.bulk_insert = insert_then_hold
    if after_round := env.get("GRIDMGR_TEST_PAUSE_AFTER_ROUND"):
        from gridmgr.web.api import routes

        record = routes.record_round

        @functools.wraps(record)
        def record_then_hold(*args, **kwargs):
            made = record(*args, **kwargs)
            hold_once(after_round, kwargs.get("idempotency_key") or "")
            return made

        routes.record_round = record_then_hold


def command() -> list[str]:
    """The command line that runs gridmgr with these hooks (arguments follow)."""
    return [sys.executable, str(Path(__file__).resolve())]


if __name__ == "__main__":
    install()
    from gridmgr.cli import main

    sys.exit(main())
