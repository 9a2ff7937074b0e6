"""Slugs and code prefixes from the names people give areas, Chinese names read in pinyin.

A Chinese name is written the way the rules for writing pinyin (GB/T 16159) write place names: the
proper part of the name as one word, the generic term (公园, 社区, 街道, 区, 路, ...) as another:
儿童公园 -> ``ertong-gongyuan``, 道里区 -> ``daoli-qu``. The readings come from pypinyin, whose
phrase dictionary picks the reading a character has in a word (朝阳区 -> chaoyang); ü is written v.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from gridmgr.errors import InvalidInput

SLUG_MAX = 80  # characters, the length of the areas.slug column
SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?"
_SLUG = re.compile(SLUG_PATTERN)
# a slug made from a name stops here, leaving room for the "-2", "-3" that tell clashing ones apart
MADE_SLUG_MAX = SLUG_MAX - 8
PREFIX_MAX = 40  # characters of a cell-code prefix, the length of areas.code_prefix
INITIALS_MAX = 12  # letters of a prefix made of pinyin initials (ETGY-)

# generic terms (通名) written as a word of their own, in simplified and traditional characters
_GENERIC_WORDS = ("公园", "广场", "社区", "小区", "街道", "大街", "大道", "花园", "乐园", "新村",
                  "景区", "园区", "片区", "湿地", "公園", "廣場", "社區", "小區", "花園", "樂園",
                  "景區", "園區", "片區", "濕地")  # fmt: skip
# one-character generic terms, a word of their own only after a name of two or more characters, so
# that 道里区 is daoli-qu but 市民广场 stays shimin-guangchang and 乡村 stays xiangcun
_GENERIC_CHARS = frozenset("省市区县镇乡村路街巷园區縣鎮鄉園")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LATIN_WORD = re.compile(r"[A-Za-z]+|[0-9]+")


def slugify(name: str) -> str:
    """A lower-case ASCII slug of a name: Chinese in pinyin words, the rest as ASCII, '' if nothing is
    left ('Haibin 儿童公园 2' -> 'haibin-ertong-gongyuan-2', "Children's Park" -> 'childrens-park')."""
    words = [word for text, han in _script_runs(name) for word in _words(text, han)]
    slug = "-".join(w for w in words if w)
    if len(slug) > MADE_SLUG_MAX:  # cut at a word where one ends early enough
        cut = slug.rfind("-", 0, MADE_SLUG_MAX + 1)
        slug = slug[: cut if cut > 0 else MADE_SLUG_MAX]
    return slug.strip("-")


def area_slug(name: str, kind: str | None = None) -> str:
    """The slug a new area gets from its name; a name with nothing readable (★★) takes its kind."""
    return slugify(name) or slugify(kind or "") or "area"


def check_slug(slug: str) -> str:
    """A slug given by a user (--slug, a form, an API body), checked; InvalidInput says what fits."""
    if _SLUG.fullmatch(slug):
        return slug
    hint = slugify(slug) or "ertong-gongyuan"
    raise InvalidInput.of(
        "slug {slug!r}: use 1 to 80 lower-case letters a-z, digits and '-', beginning and ending "
        "with a letter or digit, such as {hint!r}",
        slug=slug,
        hint=hint,
    )


def initials(name: str) -> str:
    """The initials of a name in upper case: one letter per Chinese character's pinyin and per Latin
    word, numbers whole (儿童公园 -> 'ETGY', 'Haibin 儿童公园 2' -> 'HETGY2'); at most 12 letters."""
    letters = []
    for text, han in _script_runs(name):
        if han:
            letters += [s[0] for s in _readings(text) if s]
        else:
            letters += [w if w.isdigit() else w[0] for w in _LATIN_WORD.findall(_ascii(text))]
    return "".join(letters).upper()[:INITIALS_MAX]


def code_prefix(*names: str) -> str:
    """Cell-code prefix from the first name that gives one: a Chinese name its pinyin initials
    ('ETGY-'), another its slug ('DAOLI-'); else 'CELL-'."""
    for name in names:
        prefix = _name_prefix(name or "", slugify(name or ""))
        if prefix:
            return prefix
    return "CELL-"


def area_code_prefix(name: str, slug: str, codes_in_use: Sequence[str] = ()) -> str:
    """The cell-code prefix of a stored area without a --code: a Chinese name's pinyin initials
    ('ETGY-'), else its slug ('DAOLI-'). An area whose cells were coded from its slug before names
    were read in pinyin (AREA-001) keeps that prefix, so its codes stay one series."""
    from_slug = _slug_prefix(slug)
    prefix = _name_prefix(name, slug) or from_slug
    if (
        prefix != from_slug
        and len(codes_in_use)
        and all(c.startswith(from_slug) for c in codes_in_use)
    ):
        return from_slug
    return prefix


def _name_prefix(name: str, slug: str) -> str:
    if _has_reading(name):
        letters = initials(name)
        if letters:
            return f"{letters}-"
    return _slug_prefix(slug) if slug else ""


def _slug_prefix(slug: str) -> str:
    return slug.upper()[: PREFIX_MAX - 1].rstrip("-") + "-"


def _has_reading(name: str) -> bool:
    return any(han and any(_readings(text)) for text, han in _script_runs(name))


def _script_runs(name: str) -> Iterable[tuple[str, bool]]:
    """The name (NFKC: full-width letters and compatibility ideographs made plain) cut into runs of
    Chinese characters and runs of anything else, each with whether it is Chinese."""
    text = unicodedata.normalize("NFKC", name)
    start = 0
    for k in range(1, len(text) + 1):
        if k == len(text) or _is_han(text[k]) != _is_han(text[start]):
            yield text[start:k], _is_han(text[start])
            start = k


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "IDEOGRAPHIC NUMBER"))


def _words(text: str, han: bool) -> list[str]:
    if not han:
        return [_NON_WORD.sub("-", _ascii(text).lower()).strip("-")]
    readings = _readings(text)
    return ["".join(readings[a:b]) for a, b in _han_words(text)]


def _ascii(text: str) -> str:
    """Latin text without accents and apostrophes (Children's -> Childrens)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return plain.replace("'", "")


def _readings(text: str) -> list[str]:
    """One pinyin syllable per character of a run of Chinese characters ('' where none is known)."""
    from pypinyin import (
        lazy_pinyin,
    )  # its dictionaries take half a second to load: only when needed

    # pypinyin takes a list from `errors` (one reading per character); its stubs allow only a str
    syllables = lazy_pinyin(text, errors=lambda chars: [""] * len(chars))  # type: ignore[arg-type,return-value]
    if len(syllables) != len(text):  # keep one per character whatever pypinyin makes of a rare one
        syllables = [lazy_pinyin(c, errors=lambda chars: [""])[0] for c in text]  # type: ignore[arg-type,return-value]
    return [_NON_WORD.sub("", s.lower()) for s in syllables]


def _han_words(text: str) -> list[tuple[int, int]]:
    """Where the words of a run of Chinese characters begin and end: generic terms apart from the
    proper name before them (兆麟公园 -> 兆麟 | 公园, 哈尔滨市道里区 -> 哈尔滨 | 市 | 道里 | 区)."""
    words: list[tuple[int, int]] = []
    start = k = 0
    while k < len(text):
        generic = next((w for w in _GENERIC_WORDS if text.startswith(w, k)), None)
        if generic is None and text[k] in _GENERIC_CHARS and k - start >= 2:
            generic = text[k]
        if generic is None:
            k += 1
            continue
        if k > start:
            words.append((start, k))
        words.append((k, k + len(generic)))
        start = k = k + len(generic)
    if start < len(text):
        words.append((start, len(text)))
    return words
