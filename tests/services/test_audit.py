"""The audit log: every change leaves one line (SQLite and PostGIS)."""

from __future__ import annotations

from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import AuditEvent
from gridmgr.db.store import reading


def test_every_change_is_audited(engine, park):
    services.add_warden(engine, "张伟")
    with reading(engine) as s:
        actions = s.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["area.add", "plan.create", "warden.add"]
