"""The `gridmgr` command: argument parsing, and turning GridmgrErrors into one plain message and exit 2."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from gridmgr import __version__
from gridmgr.cli.web import add_web_commands
from gridmgr.errors import GridmgrError, InvalidInput

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors like every other bad input: one line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InvalidInput(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The full command line (README.md, "Managing an area"; docs/architecture.md for the layers)."""
    parser = _Parser(
        prog="gridmgr",
        description="Grid management: split areas into cells, staff and schedule them.",
    )
    parser.add_argument("--version", action="version", version=f"gridmgr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    cells = sub.add_parser(
        "cells",
        help="split an area file into cells and write them as GeoJSON",
        description="Split the area in AREA_FILE into cells, write them to OUT, and print quality figures.",
    )
    cells.add_argument(
        "area_file", metavar="AREA_FILE", help="GeoJSON, GeoPackage or (zipped) Shapefile"
    )
    cells.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output .geojson, .json or .gpkg"
    )
    mode = cells.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--count", type=_positive_int, metavar="N", help="exactly N cells of equal area"
    )
    mode.add_argument(
        "--cell-size", type=_positive_float, metavar="M", help="cells of M metres (squares: side)"
    )
    cells.add_argument(
        "--shape", choices=("square", "hex"), default="square", help="cell shape with --cell-size"
    )
    cells.add_argument(
        "--split-by", metavar="LINES_FILE", help="cut along these lines (roads, rivers) first"
    )
    cells.add_argument(
        "--crs", default="wgs84", metavar="wgs84|gcj02|bd09", help="datum of the input coordinates"
    )
    cells.add_argument(
        "--feature", metavar="NAME|INDEX", help="use only this feature (its name, or 0-based index)"
    )
    cells.add_argument("--prefix", help="code prefix (default: the area's name, e.g. DAOLI-)")
    cells.add_argument(
        "--min-fraction",
        type=float,
        default=0.35,
        metavar="F",
        help="merge clipped cells under F of a cell",
    )
    cells.add_argument("--json", action="store_true", help="print the quality figures as JSON")
    cells.set_defaults(func=_cmd_cells)

    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: GRIDMGR_DATABASE_URL, else instance/gridmgr.db)",
    )
    sub.add_parser("init", help="create or upgrade the database").set_defaults(func=_cmd_init)

    area = sub.add_parser("area", help="areas: add, list").add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser
    )
    area.required = True
    add = area.add_parser("add", help="store an area from a boundary file; prints its slug")
    add.add_argument("file", metavar="FILE")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", default="area", help="park, community, district, ...")
    add.add_argument(
        "--code",
        help="cell-code prefix: letters (e.g. HB-), or an administrative code of 6 digits (county, "
        "e.g. 230102), 9 (+ street) or 12 (+ community); cells then read 230102001002001",
    )
    add.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09")
    add.add_argument("--feature", metavar="NAME|INDEX")
    add.add_argument("--timezone", default="Asia/Shanghai")
    add.set_defaults(func=_cmd_area_add)
    lst = area.add_parser("list", help="list areas")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_cmd_area_list)

    g = sub.add_parser("grid", help="make a new grid plan for an area, keeping every warden's post")
    g.add_argument("area", metavar="AREA")
    gm = g.add_mutually_exclusive_group(required=True)
    gm.add_argument("--count", type=_positive_int, metavar="N")
    gm.add_argument("--cell-size", type=_positive_float, metavar="M")
    gm.add_argument(
        "--from", dest="from_file", metavar="CELLS_FILE", help="cells drawn by a planner"
    )
    g.add_argument("--shape", choices=("square", "hex"), default="square")
    g.add_argument("--split-by", metavar="LINES_FILE")
    g.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09")
    g.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_cmd_grid)

    plan = sub.add_parser("plan", help="grid plan history: list, restore").add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser
    )
    plan.required = True
    pl = plan.add_parser("list", help="an area's plan history")
    pl.add_argument("area", metavar="AREA")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=_cmd_plan_list)
    restore = plan.add_parser(
        "restore", help="make an earlier plan active again (as a new version)"
    )
    restore.add_argument("area", metavar="AREA")
    restore.add_argument("version", type=_positive_int, metavar="VERSION")
    restore.set_defaults(func=_cmd_plan_restore)

    warden = sub.add_parser("warden", help="wardens: add, import").add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser
    )
    warden.required = True
    wa = warden.add_parser("add", help="register a warden")
    wa.add_argument("name", metavar="NAME")
    wa.add_argument("--phone")
    wa.add_argument("--role", default="member", choices=("leader", "member", "volunteer"))
    wa.set_defaults(func=_cmd_warden_add)
    wi = warden.add_parser(
        "import", help="import wardens from a UTF-8 CSV with header name,phone[,role]"
    )
    wi.add_argument("file", metavar="FILE.csv")
    wi.set_defaults(func=_cmd_warden_import)

    a = sub.add_parser("assign", help="post a warden to cells, or spread all wardens (--auto)")
    a.add_argument("area", metavar="AREA")
    a.add_argument("codes", nargs="*", metavar="CELL_CODE")
    a.add_argument("--warden", metavar="NAME")
    a.add_argument("--role", default="member", choices=("leader", "member", "volunteer"))
    a.add_argument("--auto", action="store_true")
    a.set_defaults(func=_cmd_assign)

    sch = sub.add_parser("schedule", help="schedules: set").add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser
    )
    sch.required = True
    ss = sch.add_parser("set", help='give cells a "3+N" schedule (all cells when none are named)')
    ss.add_argument("area", metavar="AREA")
    ss.add_argument("codes", nargs="*", metavar="CELL_CODE")
    ss.add_argument("--times", default="08:00,12:00,18:00")
    ss.add_argument("--extra", type=int, default=0, metavar="N")
    ss.add_argument(
        "--window",
        default="-30,+90",
        metavar="-BEFORE,+AFTER",
        help="minutes around each round time",
    )
    ss.set_defaults(func=_cmd_schedule_set)

    lg = sub.add_parser("log", help="log a round in a cell (the warden must hold the cell)")
    lg.add_argument("area", metavar="AREA")
    lg.add_argument("code", metavar="CELL_CODE")
    lg.add_argument("--warden", required=True, metavar="NAME")
    lg.add_argument(
        "--at",
        metavar="ISO_TIME",
        help="default now; without an offset it is the area's local time",
    )
    lg.add_argument("--note", metavar="TEXT")
    lg.set_defaults(func=_cmd_log)

    cov = sub.add_parser(
        "coverage",
        help="where ground is unmanaged: gaps, overlaps, unstaffed and unscheduled cells",
    )
    cov.add_argument("area", metavar="AREA")
    cov.add_argument(
        "--at",
        metavar="ISO_TIME",
        help="an earlier moment (default now); no offset: the area's local time",
    )
    cov.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="also summarise this day per cell: expected, done, late, missed",
    )
    cov.add_argument("--json", action="store_true")
    cov.set_defaults(func=_cmd_coverage)

    ex = sub.add_parser(
        "export", help="write the active plan with codes, areas, wardens and schedules"
    )
    ex.add_argument("area", metavar="AREA")
    ex.add_argument("-o", "--output", required=True, metavar="FILE.geojson|FILE.gpkg")
    ex.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02")
    ex.add_argument(
        "--version",
        type=_positive_int,
        metavar="N",
        help="an earlier plan (default: the active one)",
    )
    ex.set_defaults(func=_cmd_export)

    add_web_commands(sub, _engine)
    return parser


def _engine(args: argparse.Namespace):
    from gridmgr.db.store import make_engine, schema_ready

    engine = make_engine(args.db)
    if args.command != "init" and not schema_ready(engine):
        raise InvalidInput(f"the database {engine.url!r} is not set up; run 'gridmgr init' first")
    return engine


def _print(args: argparse.Namespace, data: object, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def _cmd_init(args: argparse.Namespace) -> int:
    from gridmgr.db.store import upgrade

    engine = _engine(args)
    upgrade(engine)
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def _cmd_area_add(args: argparse.Namespace) -> int:
    from gridmgr.services import add_area

    got = add_area(
        _engine(args), args.file, name=args.name, kind=args.kind, code=args.code, crs=args.crs,
        feature=_feature_arg(args.feature), timezone=args.timezone,
    )  # fmt: skip
    for w in got["warnings"]:
        print(f"gridmgr: warning: {w}", file=sys.stderr)
    print(got["slug"])
    return 0


def _cmd_area_list(args: argparse.Namespace) -> int:
    from gridmgr.services import list_areas

    rows = list_areas(_engine(args))
    lines = [
        f"{r['slug']:<28} {r['kind']:<10} {r['area_m2'] / 1e4:>10.2f} ha  plan v{r['plan_version'] or '-'}  {r['cells']} cells"
        for r in rows
    ]
    _print(args, rows, "\n".join(lines) or "no areas yet (gridmgr area add FILE --name NAME)")
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from gridmgr.geometry.gridding import format_quality
    from gridmgr.services import grid

    r = grid(
        _engine(args), args.area, count=args.count, cell_size=args.cell_size, from_file=args.from_file,
        shape=args.shape, split_by=args.split_by, crs=args.crs, dry_run=args.dry_run,
    )  # fmt: skip
    head = "dry run: nothing written" if r["dry_run"] else f"plan v{r['plan_version']} is active"
    text = "\n".join(
        [
            f"{head}: {r['cells']} cells (was {r['previous_cells']}), {r['kept_codes']} kept their codes",
            f"staffed cells: {r['staffed_cells']}, wardens posted: {r['wardens_posted']}",
            f"cells that gained staff: {len(r['gained_staff'])}, lost staff: {len(r['lost_staff'])}",
            format_quality(r["quality"]),
        ]
    )
    _print(args, r, text)
    return 0


def _cmd_plan_list(args: argparse.Namespace) -> int:
    from gridmgr.services import list_plans

    rows = list_plans(_engine(args), args.area)
    lines = [
        f"v{r['version']:<4} {'active' if r['active'] else '      '} {r['mode']:<10} {r['cells']:>7} cells  {r['created_at'][:19]}  {r['created_by'] or ''}"
        for r in rows
    ]
    _print(args, rows, "\n".join(lines) or "no plans yet")
    return 0


def _cmd_plan_restore(args: argparse.Namespace) -> int:
    from gridmgr.services import restore_plan

    r = restore_plan(_engine(args), args.area, args.version)
    print(f"plan v{args.version} restored as v{r['plan_version']}: {r['cells']} cells")
    return 0


def _cmd_warden_add(args: argparse.Namespace) -> int:
    from gridmgr.services import add_warden

    w = add_warden(_engine(args), args.name, phone=args.phone, role=args.role)
    print(f"warden {w['name']} added")
    return 0


def _cmd_warden_import(args: argparse.Namespace) -> int:
    from gridmgr.services import import_wardens

    r = import_wardens(_engine(args), args.file)
    print(f"imported {r['imported']} wardens")
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from gridmgr.services import assign, auto_assign

    if args.auto:
        if args.codes or args.warden:
            raise InvalidInput(
                "--auto spreads all wardens: give no cell codes and no --warden with it"
            )
        r = auto_assign(_engine(args), args.area)
        print(f"{r['wardens']} wardens spread over {r['cells']} cells ({r['posts']} posts)")
        return 0
    if not args.codes or not args.warden:
        raise InvalidInput(
            "name the cells and the warden: gridmgr assign AREA CELL_CODE... --warden NAME, or use --auto"
        )
    r = assign(_engine(args), args.area, args.codes, args.warden, role=args.role)
    print(f"{r['warden']} posted to {len(r['cells'])} cell(s) as {r['role']}")
    return 0


def _cmd_schedule_set(args: argparse.Namespace) -> int:
    from gridmgr.services import set_schedule

    m = re.fullmatch(r"\s*-?(\d+)\s*,\s*\+?(\d+)\s*", args.window)
    if not m:
        raise InvalidInput(
            f"--window {args.window!r}: write minutes before and after, e.g. -30,+90"
        )
    r = set_schedule(
        _engine(args), args.area, args.codes or None, times=args.times.split(","), extra=args.extra,
        window=(int(m.group(1)), int(m.group(2))),
    )  # fmt: skip
    print(f"{r['cells']} cell(s): rounds at {', '.join(r['times'])} plus {r['extra']} extra a day")
    return 0


def _cmd_log(args: argparse.Namespace) -> int:
    from gridmgr.services import log_round

    r = log_round(_engine(args), args.area, args.code, args.warden, at=args.at, note=args.note)
    print(f"round logged: {r['cell']} by {r['warden']} at {r['at']}")
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    from datetime import date

    from gridmgr.services import coverage_report

    try:
        day = date.fromisoformat(args.day) if args.day else None
    except ValueError:
        raise InvalidInput(f"--day {args.day!r}: write the date as YYYY-MM-DD") from None
    r = coverage_report(_engine(args), args.area, at=args.at, day=day)
    _print(args, r, _coverage_text(r))
    return 0


def _coverage_text(r: dict) -> str:
    gaps = sum(f["properties"]["area_m2"] for f in r["gaps"]["features"])
    overlaps = sum(f["properties"]["area_m2"] for f in r["overlaps"]["features"])
    lines = [
        f"{r['area']} at {r['at']} (plan v{r['plan_version']}): {r['coverage_ratio']:.2%} of "
        f"{r['area_m2'] / 1e4:,.2f} ha covered by {r['cells_total']} cells",
        f"gaps: {len(r['gaps']['features'])} ({gaps:,.1f} m²); overlaps: {len(r['overlaps']['features'])} ({overlaps:,.1f} m²)",
        f"overdue {len(r['overdue'])}, due {len(r['due'])}, ok {len(r['ok'])}; unstaffed {len(r['unstaffed'])}, "
        f"unscheduled {len(r['unscheduled'])}, short of extra rounds {len(r['short_of_extra'])}",
    ]
    if r["worst"]:
        lines.append(
            "worst: "
            + ", ".join(f"{w['code']} ({w['status']}, {w['missed']} missed)" for w in r["worst"])
        )
    if "day" in r:
        cells = r["day"]["cells"]
        total = {k: sum(c[k] for c in cells) for k in ("expected", "done", "late", "missed")}
        lines.append(
            f"{r['day']['date']}: {total['expected']} rounds expected, {total['done']} done, "
            f"{total['late']} late, {total['missed']} missed"
        )
    return "\n".join(lines)


def _cmd_export(args: argparse.Namespace) -> int:
    from gridmgr.services import export_plan

    r = export_plan(_engine(args), args.area, args.output, crs=args.crs, version=args.version)
    print(f"wrote {r['cells']} cells to {r['output']} ({r['crs']})")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of metres, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of metres, got {text!r}")
    return value


def _feature_arg(text: str | None) -> int | str | None:
    if text is None:
        return None
    return int(text) if text.isdigit() else text


def _cmd_cells(args: argparse.Namespace) -> int:
    from gridmgr.files.areas import Limits, read_area, read_lines
    from gridmgr.files.export import write_cells
    from gridmgr.geometry.gridding import cells_from_area, format_quality
    from gridmgr.rules.naming import code_prefix

    limits = Limits.from_env()
    loaded = read_area(
        args.area_file, crs=args.crs, feature=_feature_arg(args.feature), limits=limits
    )
    for warning in loaded.warnings:
        print(f"gridmgr: warning: {warning}", file=sys.stderr)
    lines = read_lines(args.split_by, crs=args.crs, limits=limits) if args.split_by else None
    prefix = (
        args.prefix
        if args.prefix is not None
        else code_prefix(loaded.name or "", Path(args.area_file).stem)
    )
    cells = cells_from_area(
        loaded.geometry,
        cell_size=args.cell_size,
        count=args.count,
        shape=args.shape,
        split_by=lines,
        min_fraction=args.min_fraction,
        prefix=prefix,
        max_cells=limits.max_cells,
    )
    out = write_cells(cells, args.output)
    quality = cells.attrs["quality"]
    if args.json:
        print(json.dumps({"output": str(out), **quality}, ensure_ascii=False, indent=2))
    else:
        print(f"wrote {len(cells)} cells to {out}")
        print(format_quality(quality))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; bad input gives one message on stderr and exit status 2, never a traceback."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except GridmgrError as exc:
        print(f"gridmgr: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("gridmgr: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug of ours: say so in one line, details only on request
        if os.environ.get("GRIDMGR_DEBUG"):
            raise
        print(
            f"gridmgr: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug; run again with GRIDMGR_DEBUG=1 for details and report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
