"""Shared fixtures: where the project's own and the shared sample data live."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from needs import shared_pg_url

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
SHARED_GEODATA = ROOT.parent / "shared" / "geodata"


@pytest.fixture
def shared_geodata() -> Path:
    """The real sample files of ../shared/geodata; tests using them skip on a user's fresh clone."""
    if not SHARED_GEODATA.is_dir():
        pytest.skip(
            "../shared/geodata is not beside this checkout (only CI and developers have it)"
        )
    return SHARED_GEODATA


@pytest.fixture(params=["sqlite", "postgis"])
def db_url(request, tmp_path):
    """A migrated, empty database: a SQLite file, and a fresh schema on the test PostGIS server.

    PostGIS comes from GRIDMGR_TEST_PG_URL (`.ci/run` starts one with `.ci/postgres.sh`); without it,
    or on a server without PostGIS, the PostGIS half skips on a developer machine and fails in CI.
    """
    from gridmgr.db.store import make_engine, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gridmgr.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    base = shared_pg_url()
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema},public"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def engine(db_url):
    """An engine on the `db_url` database, disposed after the test."""
    from gridmgr.db.store import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def app_factory(db_url, tmp_path):
    """Make gridmgr web apps on the `db_url` database (instance folder in tmp_path by default);
    their engines are disposed after the test."""
    from gridmgr.web import create_app

    made = []

    def make(instance: Path | None = None, **config):
        app = create_app(
            {
                "DATABASE_URL": db_url,
                "INSTANCE_PATH": str(instance or tmp_path / "instance"),
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["gridmgr.engine"].dispose()
