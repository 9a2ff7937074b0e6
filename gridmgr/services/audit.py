"""Reading the audit log: who changed what, when — for managers."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from gridmgr.db.models import Area, AuditEvent
from gridmgr.db.queries import get_area
from gridmgr.db.store import reading
from gridmgr.errors import InvalidInput
from gridmgr.rules.clock import aware_utc

MAX_LIMIT = 1000


def list_audit(
    engine: Engine, *, area: str | None = None, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """The newest audit events first (optionally of one area, and older than event id `before`)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}, got {limit}")
    with reading(engine) as s:
        query = (
            select(AuditEvent, Area.slug)
            .outerjoin(Area, Area.id == AuditEvent.area_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        if area is not None:
            query = query.where(AuditEvent.area_id == get_area(s, area).id)
        # past 2**62 every event (or, below -2**62, none) is older: no integer overflow in SQL
        if before is not None and abs(before) < 2**62:
            query = query.where(AuditEvent.id < before)
        elif before is not None and before < 0:
            return []
        rows = s.execute(query).all()
    return [
        {
            "id": e.id,
            "at": aware_utc(e.at).isoformat(),
            "actor": e.actor,
            "action": e.action,
            "area": slug,
            "details": json.loads(e.details or "{}"),
        }
        for e, slug in rows
    ]


def audit_areas(engine: Engine) -> list[dict[str, Any]]:
    """Every area's slug, name and time zone, by name: the audit page's filter and local times."""
    with reading(engine) as s:
        rows = s.execute(select(Area.slug, Area.name, Area.timezone).order_by(Area.name)).all()
    return [{"slug": slug, "name": name, "timezone": tz} for slug, name, tz in rows]
