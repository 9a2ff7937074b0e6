"""`gridmgr area set SLUG …`: change an area's settings. Each setting's options are added and applied
by a pair of functions of its own (`--require-location` here), so settings join without clashing."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from gridmgr.cli.helptext import examples
from gridmgr.errors import InvalidInput

Applier = Callable[[argparse.Namespace, object], list[str]]


def add_area_set_command(area_sub, engine_of: Callable) -> argparse.ArgumentParser:
    """Register `area set SLUG` with the options of every setting; returns its parser."""
    p = area_sub.add_parser(
        "set",
        help="change an area's settings (whether rounds need a position)",
        description="Change an area's settings; options not given stay as they are.",
        epilog=examples(
            "gridmgr area set haibin --require-location  # rounds need a position in the cell",
            "gridmgr area set haibin --no-require-location",
        ),
    )
    p.add_argument("area", metavar="SLUG", help="the area's slug")
    add_require_location_options(p)
    p.set_defaults(func=lambda a: run_area_set(a, engine_of(a), [apply_require_location]))
    return p


def run_area_set(args: argparse.Namespace, engine: object, appliers: list[Applier]) -> int:
    """Apply every setting given and print what changed; no setting given is an error (status 2)."""
    lines = [line for apply in appliers for line in apply(args, engine)]
    if not lines:
        raise InvalidInput(
            f"area set {args.area}: name a setting to change, e.g. --require-location "
            "(gridmgr area set --help lists them)"
        )
    print("\n".join(lines))
    return 0


def add_require_location_options(p: argparse.ArgumentParser) -> None:
    """--require-location / --no-require-location (default: leave as it is)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--require-location",
        dest="require_location",
        action="store_true",
        default=None,
        help="a warden's round needs the phone's position, in the cell (within its accuracy, at "
        "least 30 m); one without, or outside, is refused naming the distance",
    )
    group.add_argument(
        "--no-require-location",
        dest="require_location",
        action="store_false",
        help="rounds without a position are taken again (they count as rounds without proof)",
    )


def apply_require_location(args: argparse.Namespace, engine: object) -> list[str]:
    """Set the area's location requirement when an option asked; the line saying what it is now."""
    from gridmgr.services.location_rule import set_require_location

    if args.require_location is None:
        return []
    changed = set_require_location(engine, args.area, args.require_location, actor="cli")  # type: ignore[arg-type]
    state = "require a position in the cell" if args.require_location else "need no position"
    return [f"{args.area}: rounds {state}{'' if changed else ' (unchanged)'}"]
