"""Gridding an area that holds child areas: N cells split over its leaf areas in proportion to their
land (largest remainder, at least one each), or every leaf by one cell size; one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from sqlalchemy import Engine, select

from gridmgr.db.models import Area
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.db.tree import children_ids, leaf_ids
from gridmgr.errors import InvalidInput, LimitExceeded
from gridmgr.files.areas import Limits
from gridmgr.geometry.coverage import gaps_and_overlaps
from gridmgr.geometry.gridding import cells_from_area
from gridmgr.rules.apportion import apportion
from gridmgr.services.plans import current_plan, new_plan, write_plan


@dataclass(frozen=True)
class LeafCells:
    """One leaf's part of an apportioned grid: its share of N (count mode), cells and new plan."""

    slug: str
    name: str
    code: str | None  # the leaf's code prefix (an administrative code: its cells' codes begin so)
    area_m2: float
    share: float | None  # its exact share of N by land (count mode); None by cell size
    cells: int
    first_code: str
    last_code: str
    plan_version: int | None  # None on a dry run


@dataclass(frozen=True)
class LeavesGridded:
    """An area with children gridded leaf by leaf (or, dry run, only worked out)."""

    area: str
    mode: str  # count | cell_size
    dry_run: bool
    cells: int
    leaves: tuple[LeafCells, ...]


def holds_children(engine: Engine, slug: str) -> bool:
    """Whether the area has child areas (NotFound when there is no such area)."""
    with reading(engine) as s:
        return bool(children_ids(s, get_area(s, slug).id))


def grid_leaves(
    engine: Engine,
    slug: str,
    *,
    count: int | None = None,
    cell_size: float | None = None,
    shape: str = "square",
    min_fraction: float = 0.35,
    dry_run: bool = False,
    actor: str = "cli",
) -> LeavesGridded:
    """Grid every leaf below the area: `count` cells shared out by the leaves' land (`apportion`), or
    each leaf by `cell_size`; each leaf's posts and schedules carried over as in a re-grid. All the
    plans are written in one transaction (or none, on a dry run or an error)."""
    if (count is None) == (cell_size is None):
        raise InvalidInput("give exactly one of --count N or --cell-size M for the leaf areas")
    with reading(engine) as s:
        top = get_area(s, slug)
        ids = [i for i in leaf_ids(s, top.id) if i != top.id]
        if not ids:
            raise InvalidInput.of(
                "area {slug!r} has no child areas; grid it as it is (gridmgr grid {slug} ...)",
                slug=slug,
            )
        slugs = list(
            s.execute(select(Area.slug).where(Area.id.in_(ids)).order_by(Area.slug)).scalars()
        )
    curs = [current_plan(engine, leaf) for leaf in slugs]
    sizes = [c.info.area_m2 for c in curs]
    counts: list[int | None] = (
        list(apportion(count, sizes)) if count is not None else [None] * len(curs)
    )
    limits = Limits.from_env()
    news = []
    total = 0
    for cur, n in zip(curs, counts, strict=True):
        cells = cells_from_area(
            cur.geometry, count=n, cell_size=cell_size, shape=shape, min_fraction=min_fraction,
            max_cells=max(limits.max_cells - total, 1),
        )  # fmt: skip
        total += len(cells)
        if total > limits.max_cells:
            raise LimitExceeded(
                f"the leaves of {slug!r} would get over {limits.max_cells:,} cells; "
                "raise GRIDMGR_MAX_CELLS or use a larger cell size"
            )
        news.append(new_plan(cur, cells))
    mode = "count" if count is not None else "cell_size"
    versions: list[int | None] = [None] * len(curs)
    if not dry_run:
        grounds = [
            gaps_and_overlaps(cur.geometry, np.asarray(new.cells.geometry.values))
            for cur, new in zip(curs, news, strict=True)
        ]
        with transaction(engine) as s:
            for k, (cur, new) in enumerate(zip(curs, news, strict=True)):
                params = {"count": counts[k], "cell_size": cell_size, "shape": shape, "of": slug}
                versions[k] = write_plan(s, cur, new, mode, params, grounds[k], actor=actor)
            record_audit(
                s, actor, "plan.leaves", top.id, mode=mode, count=count, cell_size=cell_size,
                cells={c.info.slug: len(n.cells) for c, n in zip(curs, news, strict=True)},
            )  # fmt: skip
    whole = sum(Fraction(a) for a in sizes)
    leaves = tuple(
        LeafCells(
            slug=cur.info.slug,
            name=cur.info.name,
            code=cur.info.code_prefix,
            area_m2=cur.info.area_m2,
            share=float(count * Fraction(cur.info.area_m2) / whole) if count is not None else None,
            cells=len(new.cells),
            first_code=str(min(new.cells["code"])),
            last_code=str(max(new.cells["code"])),
            plan_version=v,
        )
        for cur, new, v in zip(curs, news, versions, strict=True)
    )
    return LeavesGridded(slug, mode, dry_run, sum(x.cells for x in leaves), leaves)
