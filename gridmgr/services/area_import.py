"""Importing many child areas at once (a district's streets, a street's communities): one child per
feature, clipped to the parent, the siblings' gaps and overlaps reported; one transaction."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, select

from gridmgr.db.models import Area
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import transaction
from gridmgr.db.tree import children_ids
from gridmgr.errors import InvalidInput
from gridmgr.files.areas import Limits, read_features
from gridmgr.geometry.coverage import Ground, gaps_and_overlaps, ground_from
from gridmgr.geometry.projection import metric_crs, to_metric
from gridmgr.rules.naming import area_slug
from gridmgr.services.areas import check_code, free_slug, within_parent
from gridmgr.services.moves import MovedCells, move_cells_to_children


@dataclass(frozen=True)
class ImportedAreas:
    """Children made from a file: their slugs in the file's order, how the parent's children now cover
    it (gaps: parent land no child holds; overlaps: land two children share), and what moved."""

    parent: str
    slugs: tuple[str, ...]
    ground: Ground
    warnings: tuple[str, ...]
    moved: MovedCells | None

    @property
    def coverage_error(self) -> float:
        """The share of the parent's land the children miss or cover twice."""
        g = self.ground
        overlap = sum(a for _, a in g.overlaps)
        return (g.area_m2 - g.covered_m2 + overlap) / g.area_m2 if g.area_m2 else 0.0


def import_areas(
    engine: Engine,
    path: str | Path,
    *,
    parent: str,
    level: str,
    name_field: str,
    code_field: str | None = None,
    crs: str = "wgs84",
    actor: str = "cli",
) -> ImportedAreas:
    """One child of `parent` per polygon feature of the file, named by `name_field` (slug in pinyin),
    coded by `code_field` (an administrative code), of kind `level`, clipped to the parent.

    A missing field, an empty or repeated name, a bad code or a feature outside the parent is
    InvalidInput naming the feature; nothing is written. A gridded parent's cells move to the children
    (`move_cells_to_children`), in the same transaction.
    """
    if not re.fullmatch(r"[\w-]{1,40}", level or ""):
        raise InvalidInput.of(
            "--level {level!r}: use up to 40 letters, digits, '-' or '_' (street, community, ...)",
            level=level,
        )
    source = str(path)
    table = read_features(path, crs=crs, limits=Limits.from_env())
    names = _field_values(table, name_field, source, "--name-field")
    codes = (
        _field_values(table, code_field, source, "--code-field")
        if code_field
        else [None] * len(names)
    )
    labels = [f"{source}: feature {k} ({n or 'no name'})" for k, n in enumerate(names)]
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if not name:
            raise InvalidInput.of(
                "{source}: feature {k} has an empty {field!r}; every child area needs a name",
                source=source,
                k=k,
                field=name_field,
            )
        if len(name) > 200:
            raise InvalidInput.of("{label}: a name may be at most 200 characters", label=labels[k])
        if name in seen:
            raise InvalidInput.of(
                "{source}: features {a} and {b} are both named {name!r}; names of sibling areas "
                "must differ",
                source=source,
                a=seen[name],
                b=k,
                name=name,
            )
        seen[name] = k
    checked = [None if c is None else _checked_code(c, labels[k]) for k, c in enumerate(codes)]
    with transaction(engine) as s:
        up = get_area(s, parent)
        taken = set(s.execute(select(Area.name).where(Area.parent_id == up.id)).scalars().all())
        clash = [n for n in names if n in taken]
        if clash:
            raise InvalidInput.of(
                "{source}: area {parent!r} already has a child named {name!r}; names of sibling "
                "areas must differ",
                source=source,
                parent=parent,
                name=clash[0],
            )
        outlines = within_parent(up, list(table.geometry.values), labels)
        made: list[Area] = []
        for name, code, geom in zip(names, checked, outlines, strict=True):
            area = Area(
                slug=free_slug(s, area_slug(str(name), level)),
                name=name,
                kind=level,
                code_prefix=code,
                timezone=up.timezone,
                geometry=shapely.to_wkb(geom),
                area_m2=float(to_metric(geom, metric_crs(geom)).area),
                parent_id=up.id,
            )
            s.add(area)
            s.flush()
            made.append(area)
        siblings = [
            shapely.from_wkb(g)
            for g in s.execute(
                select(Area.geometry).where(Area.id.in_(children_ids(s, up.id)))
            ).scalars()
        ]
        region = shapely.from_wkb(up.geometry)
        gaps, overlaps = gaps_and_overlaps(region, np.array(siblings, dtype=object))
        ground = ground_from(region, gaps, overlaps)
        record_audit(
            s, actor, "area.import", up.id, source=source, level=level,
            children=[a.slug for a in made],
        )  # fmt: skip
        moved = move_cells_to_children(s, up, made, actor=actor)
        slugs = tuple(a.slug for a in made)
    warnings = tuple(table.attrs.get("warnings", ()))
    return ImportedAreas(parent, slugs, ground, warnings, moved if moved.from_plan else None)


def _field_values(table: Any, field: str, source: str, option: str) -> list[str | None]:
    """The field's value per feature as text (None where empty); a field no feature has is
    InvalidInput listing the fields there are."""
    if field not in table.columns or field == "geometry":
        fields = sorted(str(c) for c in table.columns if c != "geometry")
        raise InvalidInput.of(
            "{source}: no field {field!r} ({option}); the features have: {fields}",
            source=source,
            field=field,
            option=option,
            fields=", ".join(fields) or "no fields",
        )
    return [_text(v) for v in table[field]]


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an adcode read as a number: 230102.0 -> "230102"
    text = str(value).strip()
    return text or None


def _checked_code(code: str, label: str) -> str:
    try:
        return check_code(code)
    except InvalidInput as exc:
        raise InvalidInput.of("{label}: {fault}", label=label, fault=str(exc)) from None
