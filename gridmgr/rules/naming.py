"""Slugs and code prefixes from the names people give areas."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A lower-case ASCII slug ('Haibin Children's Park' -> 'haibin-childrens-park'); '' if nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = ascii_name.lower().replace("'", "")
    return _NON_WORD.sub("-", ascii_name).strip("-")


def code_prefix(*names: str) -> str:
    """Cell-code prefix from the first name that gives a slug ('DAOLI-'), else 'CELL-'."""
    for name in names:
        slug = slugify(name or "")
        if slug:
            return slug.upper() + "-"
    return "CELL-"
