"""The tree of areas (district → street → community → grid): children, subtrees, leaves and the path
up, each in one query (a recursive CTE on both databases)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmgr.db.models import Area


def children_ids(s: Session, area_id: int) -> list[int]:
    """The ids of an area's direct children, by slug."""
    rows = s.execute(select(Area.id).where(Area.parent_id == area_id).order_by(Area.slug))
    return [int(r) for r in rows.scalars()]


def children_slugs(s: Session, area_id: int) -> list[str]:
    """The slugs of an area's direct children, in order: what a refusal to treat a parent as a
    leaf names."""
    rows = s.execute(select(Area.slug).where(Area.parent_id == area_id).order_by(Area.slug))
    return list(rows.scalars())


def subtree_ids(s: Session, area_id: int) -> list[int]:
    """The area's id and all its descendants' ids (any depth), the area first."""
    tree = select(Area.id).where(Area.id == area_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Area.id).where(Area.parent_id == tree.c.id))
    ids = [int(r) for r in s.execute(select(tree.c.id)).scalars()]
    return [area_id, *sorted(i for i in ids if i != area_id)] if ids else []


def leaf_ids(s: Session, area_id: int) -> list[int]:
    """The ids of the subtree's leaves (areas without children): the area itself when it has none."""
    below = subtree_ids(s, area_id)
    if not below:
        return []
    parents = set(
        s.execute(select(Area.parent_id).where(Area.parent_id.in_(below)).distinct()).scalars()
    )
    return [i for i in below if i not in parents]


def ancestor_ids(s: Session, area_id: int) -> list[int]:
    """The ids from the root down to the area's parent (empty for a root)."""
    up = select(Area.id, Area.parent_id).where(Area.id == area_id).cte("up", recursive=True)
    up = up.union_all(select(Area.id, Area.parent_id).where(Area.id == up.c.parent_id))
    found = {int(r.id): r.parent_id for r in s.execute(select(up.c.id, up.c.parent_id))}
    path: list[int] = []
    at = found.get(area_id)
    while at is not None and at not in path:
        path.append(int(at))
        at = found.get(int(at))
    return path[::-1]


def is_within(s: Session, area_id: int, scope_id: int) -> bool:
    """Whether the area is the scope's area or one of its descendants."""
    return area_id == scope_id or scope_id in ancestor_ids(s, area_id)
