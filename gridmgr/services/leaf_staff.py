"""Spreading the wardens over an area with children: shared over its leaf areas by their cells
(apportioned, a contiguous run of wardens each), then spread within each leaf; one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from gridmgr.db.models import Area, Warden
from gridmgr.db.queries import active_cells, get_area, record_audit
from gridmgr.db.store import transaction
from gridmgr.db.tree import leaf_ids
from gridmgr.errors import InvalidInput
from gridmgr.rules.apportion import apportion
from gridmgr.services.staff import AutoAssigned, spread_wardens_in


@dataclass(frozen=True)
class LeavesStaffed:
    """Wardens spread over an area's leaves: per leaf slug, what `auto_assign` reports for it."""

    area: str
    wardens: int
    leaves: dict[str, AutoAssigned]


def auto_assign_leaves(engine: Engine, slug: str, *, actor: str = "cli") -> LeavesStaffed:
    """All wardens (in id order) shared over the leaves below the area by their cells (largest
    remainder, at least one each), each leaf's share spread over its cells as `auto_assign` does;
    every warden ends up in one leaf. A leaf without cells, or fewer wardens than leaves, is
    InvalidInput; nothing is written."""
    with transaction(engine) as s:
        top = get_area(s, slug)
        ids = [i for i in leaf_ids(s, top.id) if i != top.id]
        if not ids:
            raise InvalidInput.of(
                "area {slug!r} has no child areas; spread wardens with gridmgr assign {slug} --auto",
                slug=slug,
            )
        leaves = list(
            s.execute(select(Area.slug).where(Area.id.in_(ids)).order_by(Area.slug)).scalars()
        )
        plans = [active_cells(s, leaf) for leaf in leaves]
        wardens = [
            (int(w), str(r))
            for w, r in s.execute(select(Warden.id, Warden.role).order_by(Warden.id))
        ]
        if len(wardens) < len(leaves):
            raise InvalidInput.of(
                "{w} wardens cannot staff the {n} leaf areas of {slug!r}: each needs at least one; "
                "add or import more wardens",
                w=len(wardens),
                n=len(leaves),
                slug=slug,
            )
        shares = apportion(len(wardens), [float(len(cells)) for _a, _p, cells in plans])
        done: dict[str, AutoAssigned] = {}
        first = 0
        for leaf, (area, plan, cells), n in zip(leaves, plans, shares, strict=True):
            done[leaf] = spread_wardens_in(
                s, area, plan, cells, wardens[first : first + n], actor=actor
            )
            first += n
        record_audit(
            s, actor, "assign.auto_leaves", top.id, wardens=len(wardens),
            leaves={k: v.wardens for k, v in done.items()},
        )  # fmt: skip
    return LeavesStaffed(slug, len(wardens), done)
