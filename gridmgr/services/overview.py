"""The overview of an area (责任链 at a glance): its roll-up with the outlines of its children, for a
map coloured by a figure, and the path up limited to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select

from gridmgr.db.models import Area
from gridmgr.db.store import reading
from gridmgr.services.areas import Leaders, leaders_of
from gridmgr.services.rollup import AreaRef, Rollup, rollup_in


@dataclass(frozen=True)
class Overview:
    """An area's roll-up, its outline and its children's (WGS84, by slug), and its clock."""

    rollup: Rollup
    outline: BaseGeometry
    shapes: dict[str, BaseGeometry]
    timezone: str
    breadcrumb: tuple[AreaRef, ...]  # the ancestors the viewer may see, from the top down
    leaders: dict[str, Leaders] = field(default_factory=dict)  # the area's and its children's


def overview(
    engine: Engine, slug: str, *, at: str | datetime | None = None, scope: str | None = None
) -> Overview:
    """The overview of an area at `at` (default now), in one session; `scope` (a scoped viewer's
    area) cuts the breadcrumb at that area."""
    with reading(engine) as s:
        r = rollup_in(s, engine, slug, at=at)
        slugs = [r.area, *(c.slug for c in r.children)]
        rows = s.execute(
            select(Area.slug, Area.geometry, Area.timezone, Area).where(Area.slug.in_(slugs))
        ).all()
        leaders = {str(sl): leaders_of(area) for sl, _, _, area in rows}
    geoms = {str(sl): shapely.from_wkb(g) for sl, g, _, _ in rows}
    tz = next(str(z) for sl, _, z, _ in rows if sl == r.area)
    crumbs = r.ancestors
    if scope is not None:
        seen = [a.slug for a in crumbs]
        crumbs = crumbs[seen.index(scope) :] if scope in seen else ()
    return Overview(
        rollup=r,
        outline=geoms[r.area],
        shapes={c.slug: geoms[c.slug] for c in r.children},
        timezone=tz,
        breadcrumb=crumbs,
        leaders=leaders,
    )
