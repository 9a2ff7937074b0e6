"""Whether an area requires a position with every warden's round (`gridmgr area set SLUG
--require-location`, the toggle on the staff page)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridmgr.db.models import Area
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import reading, transaction


def set_require_location(engine: Engine, slug: str, required: bool, *, actor: str = "cli") -> bool:
    """Require (or stop requiring) a position in the cell with each warden's round; audited.

    Returns whether the setting changed (setting what is already set changes nothing)."""
    with transaction(engine) as s:
        return apply_require_location(s, get_area(s, slug), required, actor=actor)


def apply_require_location(s: Session, area: Area, required: bool, *, actor: str) -> bool:
    """`set_require_location` in the caller's transaction; whether the setting changed."""
    if bool(area.require_location) == required:
        return False
    area.require_location = required
    record_audit(s, actor, "area.require_location", area.id, required=required)
    return True


def requires_location(engine: Engine, slug: str) -> bool:
    """Whether the area requires a position with each warden's round."""
    with reading(engine) as s:
        return bool(get_area(s, slug).require_location)
