"""The service tests' shared fixtures: the demo park and a made-up district on a real database."""

from __future__ import annotations

import pytest

from gridmgr import services

from nesttools import district, write_features
from servicetools import PARK


@pytest.fixture
def park(engine):
    """The demo park stored and split into 30 cells."""
    slug = services.add_area(engine, PARK, name="Haibin Children's Park", kind="park").slug
    services.grid(engine, slug, count=30)
    return slug


@pytest.fixture
def daoli(engine, tmp_path):
    """The made-up district as a root area; its slug."""
    path = write_features(tmp_path / "district.geojson", [district()])
    return services.add_area(engine, path, name="道里区", kind="district", code="230102").slug
