"""An area's settings changed together (`gridmgr area set`): whether rounds need a position, and
its leaders; everything given is written in one transaction, or nothing is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from gridmgr.db.queries import get_area
from gridmgr.db.store import transaction
from gridmgr.services.areas import Leaders
from gridmgr.services.leaders import apply_leaders, checked_leaders
from gridmgr.services.location_rule import apply_require_location


@dataclass(frozen=True)
class SettingsChanged:
    """What `set_area_settings` did: None for a setting not given."""

    require_location_changed: bool | None = None
    leaders: Leaders | None = None


def set_area_settings(
    engine: Engine,
    slug: str,
    *,
    require_location: bool | None = None,
    leaders: dict[str, str | None] | None = None,
    actor: str = "cli",
) -> SettingsChanged:
    """Change the settings given (None: leave it), in one transaction, each audited; bad input in any
    of them writes none."""
    checked = checked_leaders(**(leaders or {}))
    with transaction(engine) as s:
        area = get_area(s, slug)
        changed = (
            None
            if require_location is None
            else apply_require_location(s, area, require_location, actor=actor)
        )
        people = apply_leaders(s, area, checked, actor=actor) if checked else None
    return SettingsChanged(changed, people)
