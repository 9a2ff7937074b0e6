"""Reading the audit log: who changed what, when — for managers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from gridmgr.db.models import Area, AuditEvent
from gridmgr.db.queries import get_area
from gridmgr.db.store import reading
from gridmgr.errors import InvalidInput
from gridmgr.rules.clock import aware_utc

MAX_LIMIT = 1000


@dataclass(frozen=True)
class AuditEntry:
    """One change: its id, when (UTC), who, what (an action code such as `plan.create`), in which
    area (None for wardens and users), and the action's own details."""

    id: int
    at: datetime
    actor: str
    action: str
    area: str | None  # the area's slug
    details: dict[str, Any]  # as the action wrote them (JSON values)


@dataclass(frozen=True)
class AuditArea:
    """An area as the audit log names it: slug, name, and the time zone its events are shown in."""

    slug: str
    name: str
    timezone: str


def list_audit(
    engine: Engine, *, area: str | None = None, limit: int = 100, before: int | None = None
) -> list[AuditEntry]:
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
        AuditEntry(e.id, aware_utc(e.at), e.actor, e.action, slug, json.loads(e.details or "{}"))
        for e, slug in rows
    ]


def audit_areas(engine: Engine) -> list[AuditArea]:
    """Every area's slug, name and time zone, by name: the audit page's filter and local times."""
    with reading(engine) as s:
        rows = s.execute(select(Area.slug, Area.name, Area.timezone).order_by(Area.name)).all()
    return [AuditArea(slug, name, tz) for slug, name, tz in rows]
