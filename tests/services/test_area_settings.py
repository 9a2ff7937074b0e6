"""gridmgr.services.area_settings: an area's settings given together are written in one transaction,
each audited, and bad input in any of them writes none (SQLite and PostGIS)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import AuditEvent
from gridmgr.db.store import reading
from gridmgr.errors import InvalidInput, NotFound
from gridmgr.services.area_settings import set_area_settings

from conftest import GEODATA


@pytest.fixture
def park(engine):
    return services.add_area(engine, GEODATA / "demo_park.geojson", name="Park").slug


def _audit(engine):
    with reading(engine) as s:
        return s.execute(select(AuditEvent.action, AuditEvent.actor)).all()


def test_both_settings_are_written_and_audited(engine, park):
    before = _audit(engine)
    done = set_area_settings(
        engine, park, require_location=True, leaders={"leader": " 王伟 ", "deputy_phone": "139"},
        actor="boss",
    )  # fmt: skip
    assert done.require_location_changed is True
    assert done.leaders is not None and (done.leaders.leader, done.leaders.deputy_phone) == (
        "王伟",
        "139",
    )
    assert services.requires_location(engine, park)
    assert _audit(engine)[len(before) :] == [
        ("area.require_location", "boss"),
        ("area.leaders", "boss"),
    ]
    again = set_area_settings(engine, park, require_location=True)
    assert (again.require_location_changed, again.leaders) == (False, None)


@pytest.mark.parametrize(
    "leaders, error",
    [({"leader_phone": "call me"}, "phone number"), ({"leader": "x" * 121}, "at most 120")],
)
def test_bad_input_in_one_setting_writes_neither(engine, park, leaders, error):
    before = _audit(engine)
    with pytest.raises(InvalidInput, match=error):
        set_area_settings(engine, park, require_location=True, leaders=leaders)
    assert not services.requires_location(engine, park) and _audit(engine) == before


def test_an_unknown_area_is_not_found(engine):
    with pytest.raises(NotFound):
        set_area_settings(engine, "nowhere", require_location=True)
