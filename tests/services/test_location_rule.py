"""Whether an area requires a position with each round: set, read back, audited once per change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridmgr.db.models import AuditEvent
from gridmgr.db.store import reading
from gridmgr.errors import NotFound
from gridmgr.services.location_rule import requires_location, set_require_location


def audited(engine) -> list[str]:
    with reading(engine) as s:
        return list(
            s.execute(
                select(AuditEvent.action).where(AuditEvent.action == "area.require_location")
            ).scalars()
        )


def test_the_rule_is_set_read_back_and_each_change_audited(engine, park):
    assert requires_location(engine, park) is False
    assert set_require_location(engine, park, False) is False  # already so: nothing changes
    assert audited(engine) == []
    for required in (True, True, False, True):
        before = requires_location(engine, park)
        assert set_require_location(engine, park, required, actor="mgr") is (before != required)
        assert requires_location(engine, park) is required
    assert len(audited(engine)) == 3
    with pytest.raises(NotFound):
        requires_location(engine, "nowhere")
    with pytest.raises(NotFound):
        set_require_location(engine, "nowhere", True)
