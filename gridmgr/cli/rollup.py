"""The `gridmgr rollup` and `gridmgr report` commands: an area's figures and each child's at a moment
(a table or JSON), and the daily report (日报) as text or an XLSX workbook."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from gridmgr.cli.helptext import examples
from gridmgr.cli.json_output import print_json


def add_rollup_commands(sub, engine_of: Callable) -> None:
    """Register `rollup` and `report`."""
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
    rp = sub.add_parser(
        "report",
        help="the daily report (日报) of an area: its children's figures, worst cells, open findings",
        description="The daily report of an area: one row per child with the roll-up figures at "
        "the end of the day (now, for today) and the total, the cells most behind and the "
        "findings still open. Printed as text, or written as an XLSX workbook with Chinese "
        "headers with -o.",
        epilog=examples(
            "gridmgr report daoli-qu  # today, so far",
            "gridmgr report daoli-qu --day 2026-11-24 -o 道里区日报.xlsx",
        ),
    )
    rp.add_argument("area", metavar="AREA", help="the area's slug")
    rp.add_argument(
        "--day", metavar="YYYY-MM-DD", help="the day, on the area's clock (default: today)"
    )
    rp.add_argument("-o", "--output", metavar="FILE.xlsx", help="write the report as XLSX")
    rp.set_defaults(func=lambda a: _cmd_report(a, engine_of(a)))


def _cmd_rollup(args: argparse.Namespace, engine) -> int:
    from gridmgr.cli.printing_rollup import rollup_text
    from gridmgr.services.rollup import rollup
    from gridmgr.web.api.rollup_json import rollup_to_json

    r = rollup(engine, args.area, at=args.at)
    if args.json:
        print_json(rollup_to_json(r))
    else:
        print(rollup_text(r))
    return 0


def _cmd_report(args: argparse.Namespace, engine) -> int:
    from gridmgr.cli.printing_rollup import daily_text
    from gridmgr.errors import InvalidInput
    from gridmgr.services.daily_report import daily_report, export_daily_report

    if args.output:
        if not args.output.lower().endswith(".xlsx"):
            raise InvalidInput(f"{args.output}: the daily report is written as .xlsx")
        report = export_daily_report(engine, args.area, args.day, args.output)
        print(
            f"wrote the daily report of {report.rollup.area} for {report.day.isoformat()} "
            f"to {args.output}"
        )
    else:
        print(daily_text(daily_report(engine, args.area, args.day)))
    return 0
