"""The `gridmgr rollup` command: an area's figures and each child's at a moment, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from gridmgr.cli.helptext import examples


def add_rollup_commands(sub, engine_of: Callable) -> None:
    """Register `rollup`."""
    ru = sub.add_parser(
        "rollup",
        help="an area's figures and each child's (责任链), added up from the leaves",
        description="Roll an area's figures up from its leaf areas at a moment: cells, wardens, "
        "coverage, staffing, round status, today's rounds and findings, for the area and each "
        "child. An inner area's counts are its leaves' sums, its coverage ratio weighted by area.",
        epilog=examples(
            "gridmgr rollup daoli-qu",
            "gridmgr rollup daoli-qu --at 2026-11-24T18:00 --json",
        ),
    )
    ru.add_argument("area", metavar="AREA", help="the area's slug")
    ru.add_argument(
        "--at",
        metavar="ISO",
        help="the moment: ISO time, the area's local time unless it carries an offset "
        "(default: now)",
    )
    ru.add_argument("--json", action="store_true", help="print the roll-up as the API's JSON")
    ru.set_defaults(func=lambda a: _cmd_rollup(a, engine_of(a)))


def _cmd_rollup(args: argparse.Namespace, engine) -> int:
    from gridmgr.cli.printing_rollup import rollup_text
    from gridmgr.services.rollup import rollup
    from gridmgr.web.api.rollup_json import rollup_to_json

    r = rollup(engine, args.area, at=args.at)
    if args.json:
        print(json.dumps(rollup_to_json(r), ensure_ascii=False, indent=2))
    else:
        print(rollup_text(r))
    return 0
