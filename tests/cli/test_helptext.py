"""The command's help: every command and option says what it does and its default, every command shows
an example, and `--help` keeps the examples' lines as written."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

import pytest

from gridmgr.cli.helptext import HelpFormatter, examples
from gridmgr.cli.main import build_parser

from conftest import ROOT


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ("gridmgr",)
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    """Every parser of the command tree with its words and the help its parent lists it with."""
    found = [(path, parser, None)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                below = commands(sub, (*path, name))
                found += [(below[0][0], below[0][1], listed.get(name)), *below[1:]]
    return found


def shows_a_default(action: argparse.Action) -> bool:
    """Whether an option has a default worth saying (not a flag's False, not nothing)."""
    default = action.default
    return default is not None and not isinstance(default, bool) and default != argparse.SUPPRESS


def lacking_help(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> list[str]:
    """What in one parser has no help: options and arguments (help itself aside) without a line of
    help, a default the help does not show, a missing description or epilog example."""
    where = " ".join(path)
    wrong = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        name = "/".join(action.option_strings) or action.metavar or action.dest
        text = action.help
        if not text or text == argparse.SUPPRESS or not text.strip():
            wrong.append(f"{where} {name}: no help")
        elif "\n" in text:
            wrong.append(f"{where} {name}: help of more than one line")
        elif shows_a_default(action) and "%(default)s" not in text:
            wrong.append(f"{where} {name}: help does not show its default {action.default!r}")
    if not parser.description and len(path) > 1:
        wrong.append(f"{where}: no description")
    example = "\n  " + " ".join(path)
    if not parser.epilog or "examples:" not in parser.epilog or example not in parser.epilog:
        wrong.append(f"{where}: no example in the epilog ({example.strip()} ...)")
    if not issubclass(parser.formatter_class, argparse.RawDescriptionHelpFormatter):
        wrong.append(f"{where}: the help formatter would rewrap the examples")
    return wrong


def test_every_command_and_option_has_help_a_default_and_an_example():
    tree = commands(build_parser())
    names = {" ".join(path) for path, _parser, _listed in tree}
    assert {"gridmgr schedule set", "gridmgr warden import", "gridmgr user add"} <= names
    assert len(tree) >= 25
    wrong = [w for path, parser, _ in tree for w in lacking_help(parser, path)]
    wrong += [f"{' '.join(p)}: not listed with a line of help" for p, _, h in tree[1:] if not h]
    assert not wrong, "\n".join(wrong)


def test_the_walk_finds_what_lacks_help():
    parser = argparse.ArgumentParser(prog="gridmgr", formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command", help="commands")
    bare = sub.add_parser("bare", description="Nothing else.")
    bare.add_argument("--times", default="08:00")
    shown = sub.add_parser("shown", help="has it all", description="All.", epilog=examples("x"))
    shown.add_argument("--extra", default=0, help="extra rounds")
    tree = commands(parser)
    wrong = [w for path, p, _ in tree for w in lacking_help(p, path)]
    assert "gridmgr bare --times: no help" in wrong
    assert "gridmgr shown --extra: help does not show its default 0" in wrong
    assert "gridmgr bare: no example in the epilog (gridmgr bare ...)" in wrong
    assert "gridmgr shown: no example in the epilog (gridmgr shown ...)" in wrong
    assert [p for p, _, h in tree[1:] if not h] == [("gridmgr", "bare")]


def test_examples_line_up_their_comments_counting_chinese_as_two_columns():
    text = examples("gridmgr a  # one", "gridmgr area add f --name 公园  # two", "gridmgr plain")
    lines = text.splitlines()
    assert lines[0] == "examples:" and lines[3] == "  gridmgr plain"
    assert lines[1] == "  gridmgr a" + " " * 21 + "  # one"
    assert lines[2] == "  gridmgr area add f --name 公园  # two"


def gridmgr_help(*words: str) -> str:
    exe = shutil.which("gridmgr")
    cmd = [exe] if exe else [sys.executable, "-m", "gridmgr"]
    done = subprocess.run(
        [*cmd, *words, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100"},
        timeout=120,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("words", "wanted"),
    [
        (
            ("schedule", "set"),
            [
                "comma-separated (default: 08:00,12:00,18:00)",
                "the N of 3+N (default: 0)",
                "(default: -30,+90)",
                "\n  gridmgr schedule set daoli --times 08:00,12:00,18:00 --extra 2  # 3+2, every cell\n",
            ],
        ),
        (
            ("warden", "import"),
            ["name,phone[,role]", "UTF-8", "\n  name,phone,role\n  张伟,13800000000,leader\n"],
        ),
        (("log",), ["never in the future (default: now)", "local time"]),
        (("assign",), ["building_leader (楼栋长) or unit_leader (单元长) (default: member)"]),
        (("grid",), ["mode 1:", "mode 2:", "mode 3:", "--dry-run"]),
        (("area", "add"), ["--slug SLUG", "ertong-gongyuan", "gridmgr area add park.geojson"]),
    ],
)
def test_help_as_a_user_sees_it(words, wanted):
    shown = gridmgr_help(*words)
    squashed = " ".join(shown.split())  # option help is wrapped to the terminal's width
    for text in wanted:
        if "\n" in text:  # example and sample lines are kept exactly as written
            assert text in shown, text
        else:
            assert text in squashed, text
