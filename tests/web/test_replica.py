"""Reports read from a replica when REPORTS_DATABASE_URL names one (gridmgr.web.reports_engine_of):
the coverage report, the coverage map and the ledger; everything else, and every write, from the
database itself."""

from __future__ import annotations

import pytest

from gridmgr.db.store import make_engine, upgrade

from webtools import api_token, login, seed_park


def test_reports_read_from_the_replica_and_the_rest_from_the_primary(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path, wardens=2)
    replica_url = f"sqlite:///{tmp_path / 'replica.db'}"  # a replica that has not caught up at all
    replica = make_engine(replica_url)
    upgrade(replica)
    replica.dispose()
    app = app_factory(REPORTS_DATABASE_URL=replica_url)
    try:
        client = app.test_client()
        headers = api_token(client, "manager")
        area = f"/api/v1/areas/{seeded.slug}"
        assert client.get(area, headers=headers).status_code == 200  # the primary
        for path in (f"{area}/coverage", f"{area}/ledger"):
            assert client.get(path, headers=headers).status_code == 404  # the replica
        login(client, "manager")
        assert client.get(f"/areas/{seeded.slug}/map").status_code == 404
    finally:
        app.extensions["gridmgr.reports_engine"].dispose()
    plain = app_factory().test_client()  # without one, reports read the database itself
    assert plain.get(f"{area}/coverage", headers=api_token(plain, "manager")).status_code == 200


def test_a_replica_without_the_schema_is_refused_at_start(app_factory, tmp_path):
    from gridmgr.errors import InvalidInput

    with pytest.raises(InvalidInput, match="GRIDMGR_REPORTS_DATABASE_URL"):
        app_factory(REPORTS_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
