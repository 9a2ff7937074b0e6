"""The service tests' shared fixture: the demo park on a real database."""

from __future__ import annotations

import pytest

from gridmgr import services

from servicetools import PARK


@pytest.fixture
def park(engine):
    """The demo park stored and split into 30 cells."""
    slug = services.add_area(engine, PARK, name="Haibin Children's Park", kind="park").slug
    services.grid(engine, slug, count=30)
    return slug
