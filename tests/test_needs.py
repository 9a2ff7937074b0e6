"""The tests' own rule for what the machine lacks (tests/needs.py): skip on a developer's machine with
how to include the test, fail in CI; and asking a server whether it has PostGIS."""

from __future__ import annotations

import os

import pytest

import needs

SKIPPED, FAILED = pytest.skip.Exception, pytest.fail.Exception


@pytest.mark.parametrize(
    ("available", "env", "want"),
    [
        (True, {}, "run"),
        (True, {"CI": "true"}, "run"),
        (False, {}, "skip"),
        (False, {"CI": ""}, "skip"),
        (False, {"CI": "true"}, "fail"),
        (False, {"CI": "1"}, "fail"),
    ],
)
def test_outcome_runs_skips_or_fails_in_ci(available, env, want):
    assert needs.outcome(available, env) == want


def test_require_skips_or_fails_with_the_reason():
    needs.require(True, "never said", {"CI": "true"})
    with pytest.raises(SKIPPED, match="PostGIS is not installed: `apt-get install"):
        needs.require(False, needs.NO_POSTGIS, {})
    with pytest.raises(FAILED, match="CI must run this test: PostGIS is not installed"):
        needs.require(False, needs.NO_POSTGIS, {"CI": "true"})


def test_the_shared_server_must_be_named_and_have_postgis(monkeypatch):
    """A fresh machine: no GRIDMGR_TEST_PG_URL, or one naming a PostgreSQL without PostGIS."""
    with pytest.raises(SKIPPED, match=r"export GRIDMGR_TEST_PG_URL=\$\(bash .ci/postgres.sh\)"):
        needs.shared_pg_url({})
    with pytest.raises(FAILED, match="GRIDMGR_TEST_PG_URL"):
        needs.shared_pg_url({"CI": "true"})
    monkeypatch.setattr(needs, "postgis_available", lambda url: False)
    plain = {"GRIDMGR_TEST_PG_URL": "postgresql+psycopg://postgres@127.0.0.1:1/plain"}
    with pytest.raises(SKIPPED, match=r"postgresql-15-postgis-3`, or run `\.ci/run`"):
        needs.shared_pg_url(plain)
    with pytest.raises(FAILED, match="CI must run this test: PostGIS is not installed"):
        needs.shared_pg_url({**plain, "CI": "true"})
    monkeypatch.setattr(needs, "postgis_available", lambda url: True)
    assert needs.shared_pg_url(plain) == plain["GRIDMGR_TEST_PG_URL"]


def test_the_test_server_is_asked_whether_it_has_postgis():
    url = os.environ.get("GRIDMGR_TEST_PG_URL")
    needs.require(bool(url), needs.NO_TEST_SERVER)
    assert needs.postgis_available(url) is True
