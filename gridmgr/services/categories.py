"""Finding categories: one list for the whole deployment (defaults seeded by migration 0006), which
managers extend; a category is named by its key or either of its names wherever one is given."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridmgr.db.models import FindingCategory
from gridmgr.db.queries import record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import InvalidInput
from gridmgr.rules.naming import slugify
from gridmgr.rules.rectification import checked_text

MAX_NAME = 80
MAX_CATEGORIES = 200
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Category:
    """A kind of problem: its key and its English and Chinese names."""

    key: str
    name_en: str
    name_zh: str


def list_categories(engine: Engine) -> list[Category]:
    """Every category in the order lists show them."""
    with reading(engine) as s:
        return [_category(c) for c in _all(s)]


def _all(s: Session) -> list[FindingCategory]:
    return list(
        s.execute(select(FindingCategory).order_by(FindingCategory.position, FindingCategory.id))
        .scalars()
        .all()
    )


def _category(c: FindingCategory) -> Category:
    return Category(c.key, c.name_en, c.name_zh)


def add_categories(engine: Engine, names: Sequence[str], *, actor: str = "cli") -> list[Category]:
    """Add categories by name, in one transaction; a name that exists (as a key or either name)
    changes nothing. A name may give both languages as "English=中文"; with one only, it serves as
    both. Returns the categories named, new or not."""
    wanted = [_names_of(n) for n in names]
    if not wanted:
        raise InvalidInput("name at least one category to add")
    with transaction(engine) as s:
        existing = _all(s)
        position = max((c.position for c in existing), default=-1) + 1
        out: list[Category] = []
        added: list[str] = []
        for en, zh in wanted:
            found = next((c for c in existing if _matches(c, en) or _matches(c, zh)), None)
            if found is None:
                if len(existing) >= MAX_CATEGORIES:
                    raise InvalidInput(f"there are already {MAX_CATEGORIES} categories; no more")
                found = FindingCategory(
                    key=_new_key(en, zh, {c.key for c in existing}),
                    name_en=en,
                    name_zh=zh,
                    position=position,
                )
                position += 1
                s.add(found)
                s.flush()
                existing.append(found)
                added.append(found.key)
            out.append(_category(found))
        if added:
            record_audit(s, actor, "category.add", None, categories=added)
    return out


def _names_of(text: str) -> tuple[str, str]:
    """(English, Chinese) from "English=中文", or one name for both."""
    name = checked_text(text, "a category name", max_len=2 * MAX_NAME + 1, multiline=False)
    assert name is not None
    en, _, zh = name.partition("=")
    en, zh = en.strip(), zh.strip()
    if not zh:
        zh = en
    if not en:
        en = zh
    for part in (en, zh):
        if not part or len(part) > MAX_NAME:
            raise InvalidInput(
                f"a category name needs 1 to {MAX_NAME} characters (as English=中文, or one name)"
            )
    if _CJK.search(en) and not _CJK.search(zh):
        en, zh = zh, en  # written 中文=English
    return en, zh


def _matches(c: FindingCategory, name: str) -> bool:
    folded = name.casefold()
    return folded in (c.key.casefold(), c.name_en.casefold(), c.name_zh.casefold())


def _new_key(en: str, zh: str, taken: set[str]) -> str:
    """A key of ASCII words joined by _ from the English name (a Chinese one read in pinyin), else
    the name itself."""
    base = slugify(en).replace("-", "_")[:32] or zh[:32]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def resolve_category(s: Session, given: object) -> FindingCategory:
    """The category named by its key or either name (any case); else InvalidInput listing them."""
    if isinstance(given, str) and given.strip():
        name = given.strip().casefold()
        found = s.execute(
            select(FindingCategory).where(
                (func.lower(FindingCategory.key) == name)
                | (func.lower(FindingCategory.name_en) == name)
                | (FindingCategory.name_zh == given.strip())
            )
        ).scalar()
        if found is not None:
            return found
    listed = ", ".join(f"{c.key} ({c.name_en}, {c.name_zh})" for c in _all(s))
    shown = given[:40] if isinstance(given, str) else given
    raise InvalidInput.of(
        "unknown category {given!r}; use one of: {listed} (a manager adds more with gridmgr "
        "category add)",
        given=shown,
        listed=listed,
    )
