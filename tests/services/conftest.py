"""The service tests' shared fixtures: the demo park, a made-up district and its three streets on a real database."""

from __future__ import annotations

import pytest

from gridmgr import services
from gridmgr.services.area_import import import_areas

from nesttools import WEST, district, strips, write_features
from servicetools import PARK
from webtools import seed_park


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


STREET_CUTS = [WEST + 0.0113, WEST + 0.0301]


@pytest.fixture
def streets(engine, tmp_path):
    """The made-up district with three streets coded 230102001..3; (district slug, street slugs)."""
    top = write_features(tmp_path / "d.geojson", [district()])
    slug = services.add_area(engine, top, name="道里区", code="230102").slug
    props = [{"name": f"S{k}", "code": f"23010200{k + 1}"} for k in range(3)]
    path = write_features(tmp_path / "s.geojson", strips(STREET_CUTS), props)
    got = import_areas(
        engine, path, parent=slug, level="street", name_field="name", code_field="code"
    )
    return slug, got.slugs


@pytest.fixture
def seeded(engine, tmp_path):
    """The demo park with wardens, schedules and users (tests/webtools.py's seed_park)."""
    return seed_park(engine, tmp_path)
