"""What a test needs from the machine (a PostgreSQL server with PostGIS, PostgreSQL's programs), and
what it does when that is missing: skip on a developer's machine, saying how to include it; fail in
CI (the CI environment variable set), which must run every test."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

import pytest

NO_TEST_SERVER = (
    "no PostGIS: run `export GRIDMGR_TEST_PG_URL=$(bash .ci/postgres.sh)` to include it"
)
NO_POSTGIS = "PostGIS is not installed: `apt-get install postgresql-15-postgis-3`, or run `.ci/run`"


def outcome(available: bool, env: Mapping[str, str]) -> Literal["run", "skip", "fail"]:
    """Run when what the test needs is there; otherwise fail in CI, skip elsewhere."""
    if available:
        return "run"
    return "fail" if env.get("CI") else "skip"


def require(available: bool, reason: str, env: Mapping[str, str] | None = None) -> None:
    """Go on when `available`; else skip with `reason` (which says how to include the test), or
    fail with it in CI."""
    verdict = outcome(available, os.environ if env is None else env)
    if verdict == "fail":
        pytest.fail(f"CI must run this test: {reason}")
    if verdict == "skip":
        pytest.skip(reason)


@lru_cache(maxsize=8)
def postgis_available(url: str) -> bool:
    """Whether the PostgreSQL server at `url` can create the postgis extension (asked once a URL)."""
    from gridmgr.db import store

    engine = store.make_engine(url)
    try:
        return store.postgis_available(engine)
    finally:
        engine.dispose()


def shared_pg_url(env: Mapping[str, str] | None = None) -> str:
    """GRIDMGR_TEST_PG_URL, a server with PostGIS that tests make their own schemas on; a test
    without one skips (fails in CI)."""
    env = os.environ if env is None else env
    url = env.get("GRIDMGR_TEST_PG_URL", "")
    require(bool(url), NO_TEST_SERVER, env)
    require(postgis_available(url), NO_POSTGIS, env)
    return url
