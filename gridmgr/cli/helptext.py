"""How `gridmgr … --help` is laid out: prose wrapped to the terminal, example lines kept whole."""

from __future__ import annotations

import argparse
import textwrap
import unicodedata

COMMENT = "  # "  # between an example's command line and what it does


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout, except in descriptions and epilogs: a line that starts with a space (an
    example, a sample file line) is kept as written; other lines are wrapped to the terminal. Lines
    never break at a hyphen, so slugs and codes (ertong-gongyuan, DAOLI-001) stay whole."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            textwrap.fill(
                line,
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
            if line[:1].strip()
            else indent + line
            for line in text.splitlines()
        )

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def examples(*lines: str) -> str:
    """An epilog of example command lines, one a line; the '  # what it does' after a command line
    is lined up with the others (Chinese characters count as two columns, as terminals show them)."""
    parts = [line.partition(COMMENT) for line in lines]
    width = max((_columns(cmd) for cmd, sep, _ in parts if sep), default=0)
    shown = [
        f"  {cmd}{' ' * (width - _columns(cmd))}{COMMENT}{what}" if sep else f"  {cmd}"
        for cmd, sep, what in parts
    ]
    return "examples:\n" + "\n".join(shown)


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
