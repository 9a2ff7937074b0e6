"""The GridmgrError family: messages kept with their templates for translation, replaced paths reach
into nested phrases, each error's code and the extra figures some carry."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmgr import errors
from gridmgr.errors import (
    AtCapacity,
    Conflict,
    DatabaseUnavailable,
    DiskFull,
    GridmgrError,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Phrase,
    RateLimited,
    replaced_in,
)

ALL = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, GridmgrError)]
plain = st.text(alphabet=st.characters(exclude_characters="{}"), max_size=30)


def test_every_error_has_its_own_code_and_the_builtin_bases_callers_catch():
    codes = [c.code for c in ALL]
    assert len(codes) == len(set(codes)) and all(c.islower() for c in codes)
    assert issubclass(InvalidInput, ValueError) and issubclass(NotFound, LookupError)
    assert issubclass(LimitExceeded, InvalidInput) and issubclass(DiskFull, DatabaseUnavailable)
    assert issubclass(AtCapacity, Conflict)


@given(source=plain, line=st.integers(0, 10**6))
def test_of_keeps_the_template_and_values_behind_the_english_message(source, line):
    exc = InvalidInput.of("{source}: line {line}: bad", source=source, line=line)
    assert str(exc) == f"{source}: line {line}: bad"
    assert exc.template == "{source}: line {line}: bad" and exc.values == {
        "source": source,
        "line": line,
    }
    assert GridmgrError("x").template is None and dict(GridmgrError("x").values) == {}


@given(
    old=st.text(alphabet="0123456789/", min_size=1, max_size=4),
    new=plain,
    before=plain,
    after=plain,
)
def test_replaced_renames_a_path_in_the_message_and_in_nested_phrases(old, new, before, after):
    hint = Phrase.of("see {where}", where=f"{before}{old}{after}")
    exc = NotFound.of("{path}: gone; {hint}", path=f"{old}/x", hint=hint)
    got = exc.replaced(old, new)
    assert type(got) is NotFound and got is not exc
    assert str(got) == str(exc).replace(old, new)
    assert got.values["path"] == f"{old}/x".replace(old, new)
    assert isinstance(got.values["hint"], Phrase)
    assert got.values["hint"].values["where"] == f"{before}{old}{after}".replace(old, new)
    # (the template has no digit or slash, so `old` is only ever in the values)
    assert got.template.format(**got.values) == str(exc).replace(old, new)
    assert str(exc) == f"{old}/x: gone; see {before}{old}{after}"  # the original is unchanged


def test_replaced_in_leaves_what_is_not_text():
    assert replaced_in(7, "a", "b") == 7 and replaced_in(None, "a", "b") is None
    assert replaced_in("aa", "a", "b") == "bb"
    plain_phrase = Phrase("a hint about a")
    assert replaced_in(plain_phrase, "a", "b") == "b hint bbout b"


def test_extra_figures_of_capacity_and_rate_limits():
    full = AtCapacity("full", {"may_enter": 3})
    assert full.details == {"may_enter": 3} and AtCapacity("full").details == {}
    slow = RateLimited.of("wait {s} s", 30, s=30)
    assert slow.retry_after_s == 30 and str(slow) == "wait 30 s" and slow.code == "rate_limited"


@pytest.mark.parametrize("cls", [c for c in ALL if c not in (AtCapacity, RateLimited)])
def test_a_plain_error_survives_pickling(cls):
    """Errors cross process boundaries (the server's workers): message and class are kept."""
    back = pickle.loads(pickle.dumps(cls("went wrong")))
    assert type(back) is cls and str(back) == "went wrong"
