"""Scoped users (DESIGN.md, "Areas nest"): a manager or planner limited to one area and the areas
below it. The one answer to "may this user act on that area", which the web layer asks of every
request naming an area, a finding or a photo, and the filter of the lists it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol, TypeVar

from sqlalchemy import Engine, select

from gridmgr.db.models import Area, Finding, Photo
from gridmgr.db.store import reading
from gridmgr.db.tree import is_within, subtree_ids
from gridmgr.errors import NotFound
from gridmgr.services.roster import WardenRow


class Scoped(Protocol):
    """Who acts: its area of scope, by id (None: every area)."""

    @property
    def scope_id(self) -> int | None: ...

    @property
    def scope(self) -> str | None: ...


class Slugged(Protocol):
    """Anything listed by an area's slug."""

    @property
    def slug(self) -> str: ...


S = TypeVar("S", bound=Slugged)


def may_act_on(engine: Engine, user: Scoped, slug: str) -> bool:
    """Whether the user may see and change the area: unscoped users any area (an unknown one is the
    view's to refuse, listing the areas), scoped ones their area and its descendants only."""
    if user.scope_id is None:
        return True
    with reading(engine) as s:
        area_id = s.execute(select(Area.id).where(Area.slug == slug)).scalar()
        return area_id is not None and is_within(s, int(area_id), user.scope_id)


def check_area(engine: Engine, user: Scoped, slug: str) -> None:
    """NotFound unless the user may act on the area (a scoped user is told nothing of other areas,
    not even which exist)."""
    if user.scope_id is not None and not may_act_on(engine, user, slug):
        raise NotFound.of(
            "no area {slug!r} within your area {scope!r}", slug=slug[:80], scope=user.scope or ""
        )


def check_finding(engine: Engine, user: Scoped, finding_id: int) -> None:
    """NotFound unless the finding lies in an area the user may act on."""
    if user.scope_id is None:
        return
    with reading(engine) as s:
        area_id = s.execute(select(Finding.area_id).where(Finding.id == finding_id)).scalar()
        inside = area_id is None or is_within(s, int(area_id), user.scope_id)
    if not inside:
        raise NotFound(f"no finding {finding_id} within your area {user.scope!r}")


def check_photo(engine: Engine, user: Scoped, photo_id: int) -> None:
    """NotFound unless the photo's finding lies in an area the user may act on."""
    if user.scope_id is None:
        return
    with reading(engine) as s:
        area_id = s.execute(
            select(Finding.area_id)
            .join(Photo, Photo.finding_id == Finding.id)
            .where(Photo.id == photo_id)
        ).scalar()
        inside = area_id is None or is_within(s, int(area_id), user.scope_id)
    if not inside:
        raise NotFound(f"no photo {photo_id} within your area {user.scope!r}")


def visible_area_ids(engine: Engine, user: Scoped) -> set[int] | None:
    """The ids of the areas the user may act on; None for every area."""
    if user.scope_id is None:
        return None
    with reading(engine) as s:
        return set(subtree_ids(s, user.scope_id))


def visible(engine: Engine, user: Scoped, rows: Iterable[S]) -> list[S]:
    """The rows (areas by slug) the user may act on, in their order."""
    rows = list(rows)
    ids = visible_area_ids(engine, user)
    if ids is None:
        return rows
    with reading(engine) as s:
        slugs = set(s.execute(select(Area.slug).where(Area.id.in_(ids))).scalars())
    return [r for r in rows if r.slug in slugs]


def wardens_in_scope(engine: Engine, user: Scoped, rows: Iterable[WardenRow]) -> list[WardenRow]:
    """The roster as the user may see it: a scoped user sees the wardens holding no cell (to post
    them) and those holding cells in its areas, with only those cells."""
    rows = list(rows)
    ids = visible_area_ids(engine, user)
    if ids is None:
        return rows
    with reading(engine) as s:
        slugs = set(s.execute(select(Area.slug).where(Area.id.in_(ids))).scalars())
    out = []
    for w in rows:
        cells = {slug: codes for slug, codes in w.cells.items() if slug in slugs}
        if cells or not w.cells:
            out.append(replace(w, cells=cells, cell_count=sum(map(len, cells.values()))))
    return out
