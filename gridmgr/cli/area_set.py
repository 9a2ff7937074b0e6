"""`gridmgr area set SLUG …`: change an area's settings. Each setting's options are added and applied
by a pair of functions of its own (`--require-location`, the leaders), so settings join without
clashing."""

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
        help="change an area's settings (whether rounds need a position; its leader and deputy)",
        description="Change an area's settings: whether a warden's rounds need the phone's position "
        "in the cell, and the area's leader and deputy with their phones (the chain of "
        "responsibility: shown in 'area list', the area's JSON and exports of its cells and of the "
        "cells below it; an empty value clears a field). Options not given stay as they are. "
        "Audited.",
        epilog=examples(
            "gridmgr area set haibin --require-location  # rounds need a position in the cell",
            "gridmgr area set haibin --no-require-location",
            "gridmgr area set daoli-qu --leader 王伟 --leader-phone 13900000000",
            "gridmgr area set xinyang-lu-jiedao --leader 张强 --deputy 李娜 --deputy-phone 13800000001",
            "gridmgr area set daoli-qu --deputy ''  # no deputy",
        ),
    )
    p.add_argument("area", metavar="SLUG", help="the area's slug")
    add_require_location_options(p)
    add_leader_options(p)
    p.set_defaults(
        func=lambda a: run_area_set(a, engine_of(a), [apply_require_location, apply_leaders])
    )
    return p


def run_area_set(args: argparse.Namespace, engine: object, appliers: list[Applier]) -> int:
    """Apply every setting given and print what changed; no setting given is an error (status 2)."""
    lines = [line for apply in appliers for line in apply(args, engine)]
    if not lines:
        raise InvalidInput(
            f"area set {args.area}: name a setting to change, e.g. --require-location or --leader "
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


def add_leader_options(p: argparse.ArgumentParser) -> None:
    """--leader, --leader-phone, --deputy, --deputy-phone (default: leave as they are)."""
    p.add_argument("--leader", metavar="NAME", help="the area's leader (e.g. 街道书记, 网格长)")
    p.add_argument("--leader-phone", metavar="P", help="the leader's phone")
    p.add_argument("--deputy", metavar="NAME", help="the leader's deputy")
    p.add_argument("--deputy-phone", metavar="P", help="the deputy's phone")


def apply_leaders(args: argparse.Namespace, engine: object) -> list[str]:
    """Set the leaders when an option asked; the line naming them as they are now."""
    from gridmgr.services.leaders import set_leaders

    given = (args.leader, args.leader_phone, args.deputy, args.deputy_phone)
    if all(v is None for v in given):
        return []
    people = set_leaders(
        engine, args.area, leader=args.leader, leader_phone=args.leader_phone,  # type: ignore[arg-type]
        deputy=args.deputy, deputy_phone=args.deputy_phone,
    )  # fmt: skip
    shown = [
        f"leader {people.leader or '-'}"
        + (f" {people.leader_phone}" if people.leader_phone else ""),
        f"deputy {people.deputy or '-'}"
        + (f" {people.deputy_phone}" if people.deputy_phone else ""),
    ]
    return [f"{args.area}: {', '.join(shown)}"]
