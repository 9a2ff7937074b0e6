"""`gridmgr area set SLUG …`: change an area's settings. Each setting has its options, the service
arguments they ask for, and the line saying what it is now (`--require-location`, the leaders), so
settings join without clashing; all given are written in one transaction."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from gridmgr.cli.helptext import examples
from gridmgr.errors import InvalidInput

Wanted = Callable[[argparse.Namespace], dict[str, Any]]  # the setting's service arguments, if asked
Told = Callable[[argparse.Namespace, Any], list[str]]  # the lines saying what it is now


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
    settings: list[tuple[Wanted, Told]] = [
        (wanted_require_location, told_require_location),
        (wanted_leaders, told_leaders),
    ]
    p.set_defaults(func=lambda a: run_area_set(a, engine_of(a), settings))
    return p


def run_area_set(
    args: argparse.Namespace, engine: object, settings: list[tuple[Wanted, Told]]
) -> int:
    """Apply every setting given in one transaction and print what changed; no setting given is an
    error (status 2)."""
    from gridmgr.services.area_settings import set_area_settings

    wanted = {k: v for want, _ in settings for k, v in want(args).items()}
    if not wanted:
        raise InvalidInput(
            f"area set {args.area}: name a setting to change, e.g. --require-location or --leader "
            "(gridmgr area set --help lists them)"
        )
    done = set_area_settings(engine, args.area, actor="cli", **wanted)  # type: ignore[arg-type]
    print("\n".join(line for _, tell in settings for line in tell(args, done)))
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


def wanted_require_location(args: argparse.Namespace) -> dict[str, Any]:
    """`require_location` when an option asked for it."""
    return {} if args.require_location is None else {"require_location": args.require_location}


def told_require_location(args: argparse.Namespace, done: Any) -> list[str]:
    """The line saying whether rounds need a position now (none when not asked)."""
    if done.require_location_changed is None:
        return []
    state = "require a position in the cell" if args.require_location else "need no position"
    return [f"{args.area}: rounds {state}{'' if done.require_location_changed else ' (unchanged)'}"]


def add_leader_options(p: argparse.ArgumentParser) -> None:
    """--leader, --leader-phone, --deputy, --deputy-phone (default: leave as they are)."""
    p.add_argument("--leader", metavar="NAME", help="the area's leader (e.g. 街道书记, 网格长)")
    p.add_argument("--leader-phone", metavar="P", help="the leader's phone")
    p.add_argument("--deputy", metavar="NAME", help="the leader's deputy")
    p.add_argument("--deputy-phone", metavar="P", help="the deputy's phone")


def wanted_leaders(args: argparse.Namespace) -> dict[str, Any]:
    """`leaders` (the fields given) when an option asked for them."""
    given = {
        "leader": args.leader, "leader_phone": args.leader_phone, "deputy": args.deputy,
        "deputy_phone": args.deputy_phone,
    }  # fmt: skip
    asked = {k: v for k, v in given.items() if v is not None}
    return {"leaders": asked} if asked else {}


def told_leaders(args: argparse.Namespace, done: Any) -> list[str]:
    """The line naming the leaders as they are now (none when not asked)."""
    people = done.leaders
    if people is None:
        return []
    shown = [
        f"leader {people.leader or '-'}"
        + (f" {people.leader_phone}" if people.leader_phone else ""),
        f"deputy {people.deputy or '-'}"
        + (f" {people.deputy_phone}" if people.deputy_phone else ""),
    ]
    return [f"{args.area}: {', '.join(shown)}"]
