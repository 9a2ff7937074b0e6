"""Slugs and code prefixes: Chinese names in pinyin words, Latin names as before, never a placeholder."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmgr.errors import InvalidInput
from gridmgr.rules.naming import (
    MADE_SLUG_MAX,
    PREFIX_MAX,
    SLUG_PATTERN,
    area_code_prefix,
    area_slug,
    check_slug,
    code_prefix,
    initials,
    slugify,
)

COMMON = "公园社区街道区市路园儿童兆麟"  # characters every pinyin dictionary reads
# names as people write them: Chinese (common, rare and compatibility ideographs), Latin, full-width
# forms, digits, spaces, punctuation and symbols, mixed in any order
NAME_CHARS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(COMMON + " ·（）-'’"),
    st.characters(),
)
NAMES = st.text(NAME_CHARS, min_size=1, max_size=120)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("儿童公园", "ertong-gongyuan"),
        ("兆麟公园", "zhaolin-gongyuan"),
        ("兒童公園", "ertong-gongyuan"),
        ("Haibin 儿童公园 2", "haibin-ertong-gongyuan-2"),
        ("道里区", "daoli-qu"),
        ("哈尔滨市道里区兆麟街道", "haerbin-shi-daoli-qu-zhaolin-jiedao"),
        ("北京市朝阳区", "beijing-shi-chaoyang-qu"),  # 朝 read chao in the word 朝阳
        ("市民广场", "shimin-guangchang"),  # 市 begins the name here: no word of its own
        ("长江路社区", "changjiang-lu-shequ"),
        ("绿地广场", "lvdi-guangchang"),
        ("ＸＨ１２３社区", "xh123-shequ"),
        ("Haibin Children's Park", "haibin-childrens-park"),
        ("Daoli", "daoli"),
        ("Café Zürich", "cafe-zurich"),
        ("★★", ""),
    ],
)
def test_slugs_read_chinese_names_in_pinyin_words(name, slug):
    assert slugify(name) == slug


def test_the_acceptance_examples_read_with_the_right_heteronyms():
    # 儿 er, 童 tong, 公 gong, 园 yuan; 兆 zhao, 麟 lin: the readings these characters have in names
    assert area_slug("儿童公园", "park") == "ertong-gongyuan"
    assert area_slug("兆麟公园", "park") == "zhaolin-gongyuan"
    assert code_prefix("儿童公园") == "ETGY-" and code_prefix("兆麟公园") == "ZLGY-"


def test_a_name_with_nothing_to_read_takes_its_kind():
    assert area_slug("★★", "park") == "park"
    assert area_slug("Парк", "community") == "community"
    assert area_slug("★★", "") == "area"


@pytest.mark.parametrize(
    ("names", "prefix"),
    [
        (("儿童公园",), "ETGY-"),
        (("Haibin 儿童公园 2",), "HETGY2-"),
        (("Daoli",), "DAOLI-"),
        (("Haibin Children's Park",), "HAIBIN-CHILDRENS-PARK-"),
        (("", "兆麟公园"), "ZLGY-"),  # a file without a name: its file name
        (("★", ""), "CELL-"),
    ],
)
def test_code_prefixes(names, prefix):
    assert code_prefix(*names) == prefix


def test_stored_areas_prefix_from_the_name_and_keep_a_series_already_begun():
    assert area_code_prefix("儿童公园", "ertong-gongyuan") == "ETGY-"
    assert area_code_prefix("儿童公园", "my-park") == "ETGY-"
    assert area_code_prefix("Daoli", "dl") == "DL-"  # a Latin name: its slug, as always
    # gridded before names were read in pinyin: the cells are AREA-001...; new cells go on with AREA-
    assert area_code_prefix("儿童公园", "area", ["AREA-001", "AREA-002"]) == "AREA-"
    assert area_code_prefix("儿童公园", "area", ["ETGY-001", "AREA-002"]) == "ETGY-"
    assert area_code_prefix("儿童公园", "area", []) == "ETGY-"


def test_long_names_give_slugs_and_prefixes_that_fit():
    slug = slugify("Haibin " * 40)
    assert len(slug) <= MADE_SLUG_MAX and slug.endswith("haibin")
    assert len(code_prefix("x" * 300)) <= PREFIX_MAX
    assert initials("公" * 300) == "G" * 12


@pytest.mark.parametrize("slug", ["ertong-gongyuan", "a", "park-2", "370212", "x" * 80])
def test_good_slugs_pass(slug):
    assert check_slug(slug) == slug


@pytest.mark.parametrize(
    ("slug", "hint"),
    [
        ("ErTong", "ertong"),
        ("儿童公园", "ertong-gongyuan"),
        ("-park", "park"),
        ("park-", "park"),
        ("my park", "my-park"),
        ("", "ertong-gongyuan"),
        ("x" * 81, "x" * 72),
        ("a/b", "a-b"),
    ],
)
def test_bad_slugs_are_refused_with_a_suggestion(slug, hint):
    with pytest.raises(InvalidInput, match="lower-case letters") as err:
        check_slug(slug)
    assert err.value.values["hint"] == hint


@settings(max_examples=300, deadline=None)
@given(name=NAMES, kind=st.sampled_from(["park", "community", "district", "area"]))
def test_every_name_gives_a_slug_that_fits_the_pattern(name, kind):
    slug = area_slug(name, kind)
    assert re.fullmatch(SLUG_PATTERN, slug) and len(slug) <= MADE_SLUG_MAX
    assert check_slug(slug) == slug
    made = slugify(name)
    assert made == "" or made == slug
    if any(c in COMMON for c in name):  # a Chinese name never falls back to the kind
        assert made and slug not in ("area", kind)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAMES, min_size=1, max_size=3))
def test_every_name_gives_a_code_prefix_that_fits(names):
    prefix = code_prefix(*names)
    assert re.fullmatch(r"[A-Z0-9][A-Z0-9-]*-", prefix) and len(prefix) <= PREFIX_MAX
