"""Areas: storing an outline, reading one, listing them."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from gridmgr.db.models import Area, Cell, GridPlan
from gridmgr.db.queries import active_plan, record_audit
from gridmgr.db.queries import get_area as area_row
from gridmgr.db.store import reading, transaction
from gridmgr.errors import Conflict, InvalidInput, LimitExceeded, Phrase
from gridmgr.files.areas import Limits, area_from_geojson, read_area
from gridmgr.geometry.nesting import MIN_INSIDE_SHARE, clip_to_parent
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.rules.naming import area_slug, check_slug
from gridmgr.services.moves import MovedCells, move_cells_to_children

# --- areas ----------------------------------------------------------------------------------

# how far over the area limit an area may be that holds child areas and no cells of its own
HOLDER_FACTOR = 20


@dataclass(frozen=True)
class AreaInfo:
    """One area: its names, clock, size and outline (WGS84), and its active plan."""

    slug: str
    name: str
    kind: str
    code_prefix: str | None
    timezone: str
    area_m2: float
    outline: shapely.Geometry
    plan_version: int | None  # the active plan's, None before the first grid
    cells: int  # in the active plan
    parent: str | None = None  # the parent area's slug (None: a root)
    leaders: Leaders | None = None


@dataclass(frozen=True)
class Leaders:
    """The people answerable for an area (the chain of responsibility): its leader and deputy."""

    leader: str | None = None
    leader_phone: str | None = None
    deputy: str | None = None
    deputy_phone: str | None = None


@dataclass(frozen=True)
class AreaSummary:
    """One line of the list of areas: names, size and the active plan."""

    slug: str
    name: str
    kind: str
    area_m2: float
    plan_version: int | None  # None before the first grid
    cells: int
    parent: str | None = None  # the parent area's slug (None: a root)
    leaders: Leaders | None = None


@dataclass(frozen=True)
class AreaAdded:
    """A new area: its slug (made from the name), name, kind, size, and notes on its file."""

    slug: str
    name: str
    kind: str
    area_m2: float
    warnings: tuple[str, ...]  # what was repaired or left out while reading the outline
    parent: str | None = None  # the parent's slug
    moved: MovedCells | None = None  # the parent's cells that moved to it


def get_area(engine: Engine, slug: str) -> AreaInfo:
    """The area with this slug, or NotFound listing what exists."""
    with reading(engine) as s:
        return area_info(s, area_row(s, slug))


def area_info(s: Session, area: Area) -> AreaInfo:
    """An area row as AreaInfo, with its active plan's version and cell count (in the caller's session)."""
    plan = active_plan(s, area.id)
    count = s.execute(select(func.count()).where(Cell.plan_id == plan.id)).scalar() if plan else 0
    return AreaInfo(
        slug=area.slug,
        name=area.name,
        kind=area.kind,
        code_prefix=area.code_prefix,
        timezone=area.timezone,
        area_m2=float(area.area_m2),
        outline=shapely.from_wkb(area.geometry),
        plan_version=plan.version if plan else None,
        cells=int(count or 0),
        parent=_slug_of(s, area.parent_id),
        leaders=leaders_of(area),
    )


def leaders_of(area: Area) -> Leaders:
    """An area row's leader and deputy."""
    return Leaders(area.leader, area.leader_phone, area.deputy, area.deputy_phone)


def _slug_of(s: Session, area_id: int | None) -> str | None:
    if area_id is None:
        return None
    return s.execute(select(Area.slug).where(Area.id == area_id)).scalar_one()


def add_area(
    engine: Engine,
    path: str | Path | None = None,
    *,
    geojson: object | None = None,
    name: str,
    kind: str = "area",
    slug: str | None = None,
    code: str | None = None,
    crs: str = "wgs84",
    feature: int | str | None = None,
    timezone: str = "Asia/Shanghai",
    parent: str | None = None,
    actor: str = "cli",
) -> AreaAdded:
    """Store a new area read from a file (or from parsed GeoJSON, an API body); returns its slug, name and size.

    The slug is `slug` when given (a clash is a Conflict), else made from the name in pinyin or ASCII
    (儿童公园 -> ertong-gongyuan), with -2, -3, ... when another area has it already.
    With `parent` (a slug) the area is that area's child, clipped to it (one mostly outside it is
    InvalidInput); a gridded parent's cells move to the child if it covers them all, else nothing
    is written (an area holds cells or children, not both).
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput.of("an area needs a name (--name)")
    if len(name) > 200:
        raise InvalidInput(f"an area's name may be at most 200 characters, not {len(name)}")
    if slug is not None:
        slug = check_slug(slug.strip())
    if code is not None:
        code = check_code(code)
    _check_timezone(timezone)
    if kind is not None and not re.fullmatch(r"[\w-]{1,40}", kind):
        raise InvalidInput(f"area kind {kind!r}: use up to 40 letters, digits, '-' or '_'")
    limits = Limits.from_env()
    # an area over the size limit (up to HOLDER_FACTOR times it) is stored: a city that will hold
    # districts; only its cells are refused (`check_grid_size`), so the limit still bounds what one
    # area's gridding costs
    reading_limits = replace(limits, max_area_km2=limits.max_area_km2 * HOLDER_FACTOR)
    if geojson is not None:
        loaded = area_from_geojson(geojson, crs=crs, feature=feature, limits=reading_limits)
    elif path is not None:
        loaded = read_area(path, crs=crs, feature=feature, limits=reading_limits)
    else:
        raise InvalidInput("an area needs a file or GeoJSON with its outline")
    geom: BaseGeometry = loaded.geometry
    moved = None
    try:
        with transaction(engine) as s:
            up = None
            if parent is not None:
                up = area_row(s, parent)
                geom = within_parent(up, [geom], [name])[0]
            area_m2 = float(to_metric(geom, metric_crs(geom)).area)
            if slug is None:
                slug = free_slug(s, area_slug(name, kind))
            else:
                _check_slug_free(s, slug)
            area = Area(
                slug=slug,
                name=name,
                kind=kind,
                code_prefix=code,
                timezone=timezone,
                geometry=shapely.to_wkb(geom),
                area_m2=area_m2,
                parent_id=up.id if up else None,
            )
            s.add(area)
            s.flush()
            record_audit(
                s, actor, "area.add", area.id, name=name, source=loaded.source, parent=parent
            )
            if up is not None:
                moved = move_cells_to_children(s, up, [area], actor=actor)
    except IntegrityError:  # another area took the slug between our look and our write
        assert slug is not None  # the write that failed had its slug
        with reading(engine) as s:
            _check_slug_free(s, slug)
        raise
    warnings = list(loaded.warnings)
    if area_m2 / 1e6 > limits.max_area_km2:
        warnings.append(
            Phrase.of(
                "the area is {km2} km², over the limit of {limit} km² for one area's cells: it can "
                "hold child areas (gridmgr area import) but not cells of its own; raise "
                "GRIDMGR_MAX_AREA_KM2 to grid it whole",
                km2=f"{area_m2 / 1e6:,.1f}",
                limit=f"{limits.max_area_km2:,.0f}",
            )
        )
    return AreaAdded(slug, name, kind, area_m2, tuple(warnings), parent, moved)


def check_grid_size(slug: str, area_m2: float, limits: Limits) -> None:
    """LimitExceeded when an area is over the size limit for cells of its own (GRIDMGR_MAX_AREA_KM2)."""
    if area_m2 / 1e6 > limits.max_area_km2:
        raise LimitExceeded.of(
            "area {slug!r} is {km2} km², over the limit of {limit} km² for one area's cells; give "
            "it child areas (gridmgr area import) and grid those, or raise GRIDMGR_MAX_AREA_KM2",
            slug=slug,
            km2=f"{area_m2 / 1e6:,.1f}",
            limit=f"{limits.max_area_km2:,.0f}",
        )


def within_parent(
    parent: Area, children: list[BaseGeometry], labels: list[str]
) -> list[BaseGeometry]:
    """The children's outlines clipped to the parent's; one outside it, or mostly outside, is
    InvalidInput naming it (by its label)."""
    clipped, share = clip_to_parent(
        shapely.from_wkb(parent.geometry), np.array(children, dtype=object)
    )
    for label, part in zip(labels, share, strict=True):
        if part < MIN_INSIDE_SHARE:
            where = (
                Phrase("lies outside it")
                if part <= 0
                else Phrase.of("has only {pct}% of its land inside it", pct=f"{part * 100:.1f}")
            )
            raise InvalidInput.of(
                "{label} is not within the parent area {parent!r}: it {where}; check the file "
                "and its --crs, or choose the right --parent",
                label=label,
                parent=parent.slug,
                where=where,
            )
    return list(clipped)


def check_code(code: str) -> str:
    """A checked cell-code prefix; all digits means an administrative code of the unit-grid standards:
    6-digit county, then 3-digit street, then 3-digit community (cells then read 230102001002001)."""
    code = code.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        raise InvalidInput(f"code prefix {code!r}: use up to 40 letters, digits, '-' or '_'")
    if code.isdigit() and len(code) not in (6, 9, 12):
        raise InvalidInput(
            f"code prefix {code!r} has {len(code)} digits; an administrative code has 6 (county, "
            "e.g. 230102), 9 (+ 3-digit street) or 12 (+ 3-digit community), or use letters"
        )
    return code


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.of(
            "unknown time zone {name!r}: use an IANA name such as Asia/Shanghai", name=name
        ) from None


def _check_slug_free(s: Session, slug: str) -> None:
    taken = s.execute(select(Area.name).where(Area.slug == slug)).scalar()
    if taken is not None:
        raise Conflict.of(
            "slug {slug!r} is taken by the area {name!r}: choose another slug, or none to have one "
            "made from the name",
            slug=slug,
            name=taken,
        )


def free_slug(s: Session, base: str) -> str:
    """`base`, or `base`-2, -3, ... when another area has it already (in the caller's session)."""
    taken = set(s.execute(select(Area.slug).where(Area.slug.like(f"{base}%"))).scalars())
    if base not in taken:
        return base
    k = 2
    while f"{base}-{k}" in taken:
        k += 1
    return f"{base}-{k}"


def list_areas(engine: Engine, *, parent: str | None = None) -> list[AreaSummary]:
    """Every area with its active plan's version and cell count and its parent's slug, by slug (one
    query); with `parent` (a slug) only that area's children (NotFound when there is no such area)."""
    up = aliased(Area)
    with reading(engine) as s:
        query = (
            select(
                Area.slug,
                Area.name,
                Area.kind,
                Area.area_m2,
                GridPlan.version,
                func.count(Cell.id),
                up.slug,
                Area.leader,
                Area.leader_phone,
                Area.deputy,
                Area.deputy_phone,
            )
            .outerjoin(up, up.id == Area.parent_id)
            .outerjoin(GridPlan, (GridPlan.area_id == Area.id) & GridPlan.active)
            .outerjoin(Cell, Cell.plan_id == GridPlan.id)
            .group_by(Area.id, GridPlan.id, up.id)
            .order_by(Area.slug)
        )
        if parent is not None:
            query = query.where(Area.parent_id == area_row(s, parent).id)
        rows = s.execute(query).all()
    return [
        AreaSummary(slug, name, kind, float(m2), version, int(cells), up_slug, Leaders(*people))
        for slug, name, kind, m2, version, cells, up_slug, *people in rows
    ]


def area_tree(rows: list[AreaSummary]) -> list[tuple[int, AreaSummary]]:
    """The areas in tree order (each parent before its children, siblings by slug) with their depth
    (0 for a root); an area whose parent is not among `rows` counts as a root."""
    slugs = {a.slug for a in rows}
    kids: dict[str | None, list[AreaSummary]] = {}
    for a in rows:
        kids.setdefault(a.parent if a.parent in slugs else None, []).append(a)
    out: list[tuple[int, AreaSummary]] = []
    stack = [(0, a) for a in reversed(sorted(kids.get(None, []), key=lambda a: a.slug))]
    while stack:
        depth, a = stack.pop()
        out.append((depth, a))
        below = sorted(kids.get(a.slug, []), key=lambda a: a.slug)
        stack.extend((depth + 1, k) for k in reversed(below))
    return out
