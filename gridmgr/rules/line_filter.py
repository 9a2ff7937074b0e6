"""Which lines divide the land: a small, safe expression over a line's attributes (`--split-where`),
parsed once and evaluated per feature without `eval`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gridmgr.errors import InvalidInput

# tokens: strings in single or double quotes (a quote doubled inside), numbers, names (OSM keys such
# as name:en or addr.street), operators and parentheses
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w:.]))
      | (?P<name>[A-Za-z_\u00c0-\uffff][\w:.\-\u00c0-\uffff]*)
      | (?P<op>==|!=|<>|<=|>=|=|<|>|\(|\)|,)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "null"}
_COMPARE = {"=", "==", "!=", "<>", "<", "<=", ">", ">="}

Props = Mapping[str, Any]
_Test = Callable[[Props], bool]


@dataclass(frozen=True)
class _Token:
    kind: str  # string, number, name, keyword, op, end
    text: str
    value: Any
    at: int  # 1-based character position in the expression


@dataclass(frozen=True)
class LineFilter:
    """A parsed `--split-where` expression: the fields it reads and a test of one feature's properties.

    Grammar: ``field = 'x'``, ``field != 'x'``, ``<``, ``<=``, ``>``, ``>=`` (numbers compare as
    numbers), ``field in ('a', 'b')``, ``field not in (…)``, ``field = null`` (no value), combined
    with ``and``, ``or``, ``not`` and parentheses. Names and keywords are case-sensitive and
    case-insensitive respectively; strings take single or double quotes.
    """

    text: str
    fields: frozenset[str]
    _test: _Test

    def matches(self, properties: Props) -> bool:
        """Whether a feature with these properties is one of the lines to divide along."""
        return self._test(properties)


def parse_line_filter(text: str) -> LineFilter:
    """Parse an expression over line attributes (see `LineFilter`); bad syntax is InvalidInput
    naming the character where it goes wrong and what was expected there."""
    tokens = _tokens(text)
    parser = _Parser(text, tokens)
    test = parser.expression()
    parser.expect_end()
    return LineFilter(text, frozenset(parser.fields), test)


def check_fields(line_filter: LineFilter, available: Sequence[str], source: str) -> None:
    """Every field the expression names is one the file has; else InvalidInput listing them."""
    missing = sorted(line_filter.fields - set(available))
    if missing:
        have = ", ".join(sorted(available)) or "none"
        raise InvalidInput.of(
            "{source}: the split-where expression names {fields}, which no line in this file "
            "has; the lines' fields are: {have}",
            source=source,
            fields=", ".join(repr(f) for f in missing),
            have=have,
        )


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            at = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise _syntax(text, at, "a field name, a quoted value, a number or an operator")
        kind = m.lastgroup or "op"
        raw = m.group(kind)
        at = m.start(kind) + 1
        if kind == "string":
            quote = raw[0]
            out.append(_Token("string", raw, raw[1:-1].replace(quote * 2, quote), at))
        elif kind == "number":
            out.append(_Token("number", raw, float(raw), at))
        elif kind == "name" and raw.lower() in _KEYWORDS:
            out.append(_Token("keyword", raw.lower(), None, at))
        else:
            out.append(_Token(kind, raw, raw, at))
        pos = m.end()
    out.append(_Token("end", "", None, len(text) + 1))
    return out


def _syntax(text: str, at: int, expected: str) -> InvalidInput:
    return InvalidInput.of(
        "split-where expression {text!r}: at character {at}, expected {expected}",
        text=text,
        at=at,
        expected=expected,
    )


class _Parser:
    """Recursive descent: or → and → not → comparison; builds closures, never code."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0
        self.fields: set[str] = set()

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "keyword" and tok.text == word

    def expect_op(self, op: str, expected: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise _syntax(self.text, tok.at, expected)

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind != "end":
            raise _syntax(self.text, tok.at, "'and', 'or' or the end of the expression")

    def expression(self) -> _Test:
        terms = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else _any_of(tuple(terms))

    def conjunction(self) -> _Test:
        terms = [self.negation()]
        while self.is_word("and"):
            self.take()
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else _all_of(tuple(terms))

    def negation(self) -> _Test:
        if self.is_word("not"):
            self.take()
            inner = self.negation()
            return lambda p: not inner(p)
        return self.atom()

    def atom(self) -> _Test:
        tok = self.take()
        if tok.kind == "op" and tok.text == "(":
            inner = self.expression()
            self.expect_op(")", "')'")
            return inner
        if tok.kind != "name":
            raise _syntax(self.text, tok.at, "a field name or '('")
        field = tok.text
        self.fields.add(field)
        negated = False
        if self.is_word("not"):
            self.take()
            negated = True
            if not self.is_word("in"):
                raise _syntax(self.text, self.peek().at, "'in' after 'not'")
        if self.is_word("in"):
            self.take()
            values = self.value_list()
            return lambda p: _value_in(p.get(field), values) != negated
        op = self.take()
        if op.kind != "op" or op.text not in _COMPARE:
            raise _syntax(self.text, op.at, "=, !=, <, <=, >, >=, 'in' or 'not in'")
        value = self.value()
        return _comparison(field, op.text, value)

    def value(self) -> Any:
        tok = self.take()
        if tok.kind in ("string", "number"):
            return tok.value
        if tok.kind == "keyword" and tok.text == "null":
            return None
        raise _syntax(self.text, tok.at, "a quoted value, a number or null")

    def value_list(self) -> tuple[Any, ...]:
        self.expect_op("(", "'(' and a list of values")
        values = [self.value()]
        while self.peek().kind == "op" and self.peek().text == ",":
            self.take()
            values.append(self.value())
        self.expect_op(")", "',' or ')'")
        return tuple(values)


def _any_of(tests: tuple[_Test, ...]) -> _Test:
    return lambda p: any(t(p) for t in tests)


def _all_of(tests: tuple[_Test, ...]) -> _Test:
    return lambda p: all(t(p) for t in tests)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _equal(have: Any, want: Any) -> bool:
    if want is None or have is None:
        return have is None and want is None
    if isinstance(want, float):
        number = _number(have)
        return number is not None and number == want
    return bool(str(have) == want)


def _value_in(have: Any, values: tuple[Any, ...]) -> bool:
    return any(_equal(have, v) for v in values)


def _comparison(field: str, op: str, want: Any) -> _Test:
    if op in ("=", "=="):
        return lambda p: _equal(p.get(field), want)
    if op in ("!=", "<>"):
        return lambda p: not _equal(p.get(field), want)

    def ordered(p: Props) -> bool:
        have = p.get(field)
        if have is None or want is None:
            return False
        if isinstance(want, float):
            number = _number(have)
            if number is None:
                return False
            a: Any = number
        else:
            a = str(have)
        if type(a) is not type(want):
            return False
        results: dict[str, bool] = {"<": a < want, "<=": a <= want, ">": a > want, ">=": a >= want}
        return results[op]

    return ordered
