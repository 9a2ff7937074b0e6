"""The page tests' shared fixture: an app on the seeded park."""

from __future__ import annotations

import pytest

from webtools import seed_park


@pytest.fixture
def site(engine, app_factory, tmp_path):
    """An app (no map tiles) on the seeded park, and the park."""
    seeded = seed_park(engine, tmp_path)
    return app_factory(TILES_URL=""), seeded
