"""The `gridmgr` command: argument parsing, and turning GridmgrErrors into one plain message and exit 2."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from gridmgr import __version__
from gridmgr.cli.area_set import add_area_set_command
from gridmgr.cli.checkpoints import add_checkpoint_commands
from gridmgr.cli.findings import add_findings_commands
from gridmgr.cli.helptext import HelpFormatter, examples
from gridmgr.cli.json_output import print_json
from gridmgr.cli.maintain import add_maintain_commands
from gridmgr.cli.printing import (
    areas_text,
    coverage_text,
    grid_text,
    import_report_text,
    leaves_text,
    plans_text,
    plans_to_json,
)
from gridmgr.cli.rollup import add_rollup_commands
from gridmgr.cli.web import add_web_commands
from gridmgr.errors import GridmgrError, InvalidInput
from gridmgr.rules.staffing import ROLES

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors like every other bad input: one line, exit 2; its help keeps
    the example lines of each command's epilog as written."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InvalidInput(f"{self.prog}: {message} (see '{self.prog} --help')")


DATUM_HELP = (
    "datum of the file's coordinates: wgs84 (GPS), gcj02 (AMap/Gaode, Tencent) or bd09 (Baidu), "
    "converted to WGS84 on reading (default: %(default)s)"
)
FEATURE_HELP = (
    "use only this feature of the file: its name or 0-based index (default: all polygon features "
    "together)"
)
ROLE_HELP = (
    "leader (网格长), member (网格员), volunteer, building_leader (楼栋长) or unit_leader (单元长) "
    "(default: %(default)s)"
)


def build_parser() -> argparse.ArgumentParser:
    """The full command line (README.md, "Managing an area"; docs/architecture.md for the layers)."""
    parser = _Parser(
        prog="gridmgr",
        description="Grid management: split areas into cells, staff and schedule them.",
        epilog=examples(
            "gridmgr init  # create the database",
            "gridmgr area add park.geojson --name 儿童公园 --kind park  # prints ertong-gongyuan",
            "gridmgr grid ertong-gongyuan --count 30  # plan v1: 30 cells, ETGY-001...",
            "gridmgr coverage ertong-gongyuan  # what is left unmanaged",
            "gridmgr schedule set --help  # every command: options, examples",
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"gridmgr {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
        help="'gridmgr COMMAND --help' shows its options, their defaults and examples",
    )
    sub.required = True

    cells = sub.add_parser(
        "cells",
        help="split an area file into cells and write them as GeoJSON",
        description="Split the area in AREA_FILE into cells, write them to OUT, and print quality "
        "figures. Nothing is stored: see 'gridmgr grid' for an area's managed plan.",
        epilog=examples(
            "gridmgr cells park.geojson --count 30 -o park-cells.geojson",
            "gridmgr cells daoli.json --crs gcj02 --cell-size 100 --shape hex -o daoli.gpkg",
            "gridmgr cells park.geojson --cell-size 50 --split-by paths.geojson -o cells.geojson",
        ),
    )
    cells.add_argument(
        "area_file",
        metavar="AREA_FILE",
        help="the area's outline: GeoJSON, GeoPackage or (zipped) Shapefile",
    )
    cells.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="where to write the cells: .geojson, .json or .gpkg (required)",
    )
    mode = cells.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--count",
        type=_positive_int,
        metavar="N",
        help="exactly N cells of equal area, compact (one of --count or --cell-size)",
    )
    mode.add_argument(
        "--cell-size",
        type=_positive_float,
        metavar="M",
        help="cells of M metres: squares of side M, or hexagons of that area, on a fixed lattice",
    )
    mode.add_argument(
        "--target-weight",
        type=_positive_weight,
        metavar="W",
        help="with --weight: ceil(total weight / W) cells of equal weight (e.g. 400 households)",
    )
    cells.add_argument(
        "--shape",
        choices=("square", "hex"),
        default="square",
        help="cell shape with --cell-size: square or hex (default: %(default)s)",
    )
    cells.add_argument(
        "--split-by",
        metavar="LINES_FILE",
        help="cut along these lines (roads, rivers, walls) first (default: no lines)",
    )
    _add_ground_options(cells)
    _add_weight_option(cells)
    cells.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09", help=DATUM_HELP)
    cells.add_argument("--feature", metavar="NAME|INDEX", help=FEATURE_HELP)
    cells.add_argument(
        "--prefix",
        help="cell-code prefix (default: from the area's name: DAOLI- for Daoli, the pinyin "
        "initials ETGY- for 儿童公园)",
    )
    cells.add_argument(
        "--min-fraction",
        type=_fraction,
        default=0.35,
        metavar="F",
        help="a cell cut by the boundary to less than F of a full cell merges into its neighbour, "
        "and a block between lines under F of a cell joins the block beside it "
        "(default: %(default)s)",
    )
    cells.add_argument(
        "--json", action="store_true", help="print the quality figures as JSON, not text"
    )
    cells.set_defaults(func=_cmd_cells)

    parser.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: GRIDMGR_DATABASE_URL, else instance/gridmgr.db)",
    )
    init = sub.add_parser(
        "init",
        help="create or upgrade the database",
        description="Create the database, or upgrade it to this version's schema; run it after "
        "every upgrade of gridmgr.",
        epilog=examples(
            "gridmgr init",
            "gridmgr --db postgresql+psycopg://gridmgr@localhost/gridmgr init  # PostGIS",
        ),
    )
    init.set_defaults(func=_cmd_init)

    area = sub.add_parser(
        "area",
        help="areas: add, import, list, set",
        description="The areas under management: parks, communities, districts.",
        epilog=examples(
            "gridmgr area add park.geojson --name 儿童公园 --kind park",
            "gridmgr area list --json",
            "gridmgr area set ertong-gongyuan --require-location",
        ),
    ).add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser, help="what to do with areas"
    )
    area.required = True
    add = area.add_parser(
        "add",
        help="store an area from a boundary file; prints its slug",
        description="Store an area from a boundary file and print its slug, the name the other "
        "commands (AREA) and the web addresses use for it. The slug is --slug, else the name in "
        "pinyin or ASCII (儿童公园: ertong-gongyuan; a second one ertong-gongyuan-2).",
        epilog=examples(
            "gridmgr area add park.geojson --name 儿童公园 --kind park  # ertong-gongyuan",
            "gridmgr area add zhaolin.geojson --name 兆麟公园 --slug zhaolin  # zhaolin",
            "gridmgr area add daoli.json --name Daoli --kind district --crs gcj02 --code 230102",
            "gridmgr area add s1.geojson --name 新阳路街道 --kind street --parent daoli "
            "--code 230102001",
        ),
    )
    add.add_argument(
        "file",
        metavar="FILE",
        help="the area's outline: GeoJSON, GeoPackage or (zipped) Shapefile",
    )
    add.add_argument(
        "--name", required=True, help="the area's name in any script, e.g. 儿童公园 (required)"
    )
    add.add_argument(
        "--kind", default="area", help="park, community, district, ... (default: %(default)s)"
    )
    add.add_argument(
        "--slug",
        help="the area's slug: 1-80 of a-z, 0-9 and '-', not yet taken (default: made from the "
        "name, e.g. ertong-gongyuan)",
    )
    add.add_argument(
        "--code",
        help="cell-code prefix: letters (e.g. HB-), or an administrative code of 6 digits (county, "
        "e.g. 230102), 9 (+ street) or 12 (+ community); cells then read 230102001002001 "
        "(default: a Chinese name's pinyin initials, ETGY-, else the slug, DAOLI-)",
    )
    add.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09", help=DATUM_HELP)
    add.add_argument("--feature", metavar="NAME|INDEX", help=FEATURE_HELP)
    add.add_argument(
        "--parent",
        metavar="SLUG",
        help="make it a child of this area (district > street > community), clipped to it; a "
        "gridded parent's cells move to it when it covers them all (default: a root area)",
    )
    add.add_argument(
        "--timezone",
        default="Asia/Shanghai",
        help="the area's clock for schedules and rounds, an IANA name (default: %(default)s)",
    )
    add.set_defaults(func=_cmd_area_add)
    imp = area.add_parser(
        "import",
        help="store many child areas of one parent from a file; prints their slugs",
        description="Store one child area of PARENT per polygon feature of FILE (a district's "
        "streets, a street's communities), each clipped to the parent; print one slug per line. "
        "Gaps and overlaps between the children are reported on stderr. A missing field, an empty "
        "or repeated name, or a feature outside the parent refuses the whole file. A gridded "
        "parent's cells move, with their wardens, schedules and history, to the child covering "
        "most of each.",
        epilog=examples(
            "gridmgr area import streets.geojson --parent daoli-qu --level street --name-field name "
            "--code-field code",
            "gridmgr area import harbin.json --parent harbin --level district --name-field name "
            "--code-field adcode --crs gcj02",
        ),
    )
    imp.add_argument(
        "file", metavar="FILE", help="the children's outlines: GeoJSON, GeoPackage or Shapefile"
    )
    imp.add_argument("--parent", required=True, metavar="SLUG", help="the parent area (required)")
    imp.add_argument(
        "--level",
        required=True,
        metavar="LEVEL",
        help="the children's kind: street, community, district, ... (required)",
    )
    imp.add_argument(
        "--name-field",
        required=True,
        metavar="FIELD",
        help="the property holding each child's name; slugs are made from it (required)",
    )
    imp.add_argument(
        "--code-field",
        metavar="FIELD",
        help="the property holding each child's administrative code (e.g. adcode: 230102), the "
        "prefix of its cells' codes (default: none)",
    )
    imp.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09", help=DATUM_HELP)
    imp.set_defaults(func=_cmd_area_import)
    lst = area.add_parser(
        "list",
        help="list areas",
        description="Every area: slug, kind, size, active plan and its cells; children indented "
        "under their parent (district > street > community).",
        epilog=examples("gridmgr area list", "gridmgr area list --json"),
    )
    lst.add_argument("--json", action="store_true", help="print JSON, as GET /api/v1/areas answers")
    lst.set_defaults(func=_cmd_area_list)
    add_area_set_command(area, _engine)

    g = sub.add_parser(
        "grid",
        help="make a new grid plan for an area, keeping every warden's post",
        description="Make a new grid plan for AREA in one of three modes: --count N equal cells, "
        "--cell-size M metre squares or hexagons, or --from the cells a planner drew. Every "
        "warden keeps a post, schedules follow their ground, and cells that barely moved keep "
        "their codes. An area with child areas grids its leaf areas instead: --count N is shared "
        "out by their land (largest remainder, at least one each), --cell-size M grids each; codes "
        "follow each leaf's administrative code.",
        epilog=examples(
            "gridmgr grid daoli --count 654  # 654 equal cells",
            "gridmgr grid park --cell-size 50 --shape hex --split-by paths.geojson",
            "gridmgr grid park --from cells-drawn.geojson --dry-run  # what would change",
            "gridmgr grid daoli-qu --count 654  # a district with streets: 654 shared by their land",
        ),
    )
    g.add_argument("area", metavar="AREA", help="the area's slug (gridmgr area list shows them)")
    gm = g.add_mutually_exclusive_group(required=True)
    gm.add_argument(
        "--count",
        type=_positive_int,
        metavar="N",
        help="mode 1: exactly N cells of equal area, compact",
    )
    gm.add_argument(
        "--cell-size",
        type=_positive_float,
        metavar="M",
        help="mode 2: squares of side M metres, or hexagons of that area, on a fixed lattice",
    )
    gm.add_argument(
        "--target-weight",
        type=_positive_weight,
        metavar="W",
        help="with --weight: ceil(total weight / W) cells of equal weight (e.g. 400 households)",
    )
    gm.add_argument(
        "--from",
        dest="from_file",
        metavar="CELLS_FILE",
        help="mode 3: cells drawn by a planner, clipped to the area; gaps and overlaps reported",
    )
    g.add_argument(
        "--shape",
        choices=("square", "hex"),
        default="square",
        help="cell shape with --cell-size: square or hex (default: %(default)s)",
    )
    g.add_argument(
        "--split-by",
        metavar="LINES_FILE",
        help="cut along these lines (roads, rivers, walls) first (default: no lines)",
    )
    _add_ground_options(g)
    _add_weight_option(g)
    g.add_argument(
        "--min-fraction",
        type=_fraction,
        default=0.35,
        metavar="F",
        help="a cell cut by the boundary to less than F of a full cell merges into its neighbour, "
        "and a block between lines under F of a cell joins the block beside it "
        "(default: %(default)s)",
    )
    g.add_argument("--crs", default="wgs84", metavar="wgs84|gcj02|bd09", help=DATUM_HELP)
    g.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would change (cells, codes kept, staff moved) and write nothing",
    )
    g.add_argument("--json", action="store_true", help="print the report as JSON")
    g.set_defaults(func=_cmd_grid)

    plan = sub.add_parser(
        "plan",
        help="grid plan history: list, restore",
        description="An area's grid plans: the active one and the earlier ones, kept read-only.",
        epilog=examples("gridmgr plan list daoli", "gridmgr plan restore daoli 1"),
    ).add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser, help="what to do with the plans"
    )
    plan.required = True
    pl = plan.add_parser(
        "list",
        help="an area's plan history",
        description="Every plan of AREA, newest last: version, active or not, mode, cells, when, by whom.",
        epilog=examples("gridmgr plan list daoli", "gridmgr plan list daoli --json"),
    )
    pl.add_argument("area", metavar="AREA", help="the area's slug")
    pl.add_argument("--json", action="store_true", help="print the plans as JSON")
    pl.set_defaults(func=_cmd_plan_list)
    restore = plan.add_parser(
        "restore",
        help="make an earlier plan active again (as a new version)",
        description="Make plan VERSION's cells active again as a new version; wardens and "
        "schedules are carried over as in a re-grid.",
        epilog=examples("gridmgr plan restore daoli 1"),
    )
    restore.add_argument("area", metavar="AREA", help="the area's slug")
    restore.add_argument(
        "version",
        type=_positive_int,
        metavar="VERSION",
        help="the plan version to bring back (gridmgr plan list shows them)",
    )
    restore.set_defaults(func=_cmd_plan_restore)

    warden = sub.add_parser(
        "warden",
        help="wardens: add, import",
        description="Wardens (网格员): the people posted to cells.",
        epilog=examples(
            "gridmgr warden add 张伟 --phone 13800000000 --role leader",
            "gridmgr warden import wardens.csv",
        ),
    ).add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser, help="what to do with wardens"
    )
    warden.required = True
    wa = warden.add_parser(
        "add",
        help="register a warden",
        description="Register a warden by name; 'gridmgr assign' then posts them to cells.",
        epilog=examples("gridmgr warden add 张伟 --phone 13800000000 --role leader"),
    )
    wa.add_argument("name", metavar="NAME", help="the warden's name, unique, up to 120 characters")
    wa.add_argument("--phone", help="a phone number, digits with + ( ) - or spaces (default: none)")
    wa.add_argument("--role", default="member", choices=ROLES, help=ROLE_HELP)
    wa.set_defaults(func=_cmd_warden_add)
    wi = warden.add_parser(
        "import",
        help="import wardens from a UTF-8 CSV with header name,phone[,role]",
        description="Import wardens from a CSV file in UTF-8 whose first line is the header "
        "name,phone or name,phone,role; role is leader (网格长), member (网格员), volunteer, "
        "building_leader (楼栋长) or unit_leader (单元长), member when empty or left out. A bad "
        "line refuses the whole file, naming the line.",
        epilog="file:\n  name,phone,role\n  张伟,13800000000,leader\n  李娜,13900000000,\n\n"
        + examples("gridmgr warden import wardens.csv"),
    )
    wi.add_argument(
        "file",
        metavar="FILE.csv",
        help="UTF-8 CSV with the header name,phone[,role], one warden a line",
    )
    wi.set_defaults(func=_cmd_warden_import)

    a = sub.add_parser(
        "assign",
        help="post a warden to cells, or spread all wardens (--auto)",
        description="Post the warden --warden to the cells named, or with --auto spread every "
        "warden over the cells: each cell staffed, each warden a compact group, balanced by "
        "weight times rounds a day when the plan was made with --weight, else by area.",
        epilog=examples(
            "gridmgr assign daoli DAOLI-001 DAOLI-002 --warden 张伟 --role leader",
            "gridmgr assign daoli --auto",
        ),
    )
    a.add_argument("area", metavar="AREA", help="the area's slug")
    a.add_argument(
        "codes",
        nargs="*",
        metavar="CELL_CODE",
        help="the cells to post the warden to (none with --auto)",
    )
    a.add_argument("--warden", metavar="NAME", help="the warden to post, by name")
    a.add_argument("--role", default="member", choices=ROLES, help=ROLE_HELP)
    a.add_argument(
        "--auto",
        action="store_true",
        help="spread all wardens over all cells, instead of naming cells and --warden; on an "
        "area with child areas they are shared over its leaf areas by their cells first",
    )
    a.set_defaults(func=_cmd_assign)

    sch = sub.add_parser(
        "schedule",
        help="schedules: set",
        description='Disinfection schedules: "3+N", fixed daily rounds plus N extra a day.',
        epilog=examples("gridmgr schedule set daoli --times 08:00,12:00,18:00 --extra 2"),
    ).add_subparsers(
        dest="verb", metavar="VERB", parser_class=_Parser, help="what to do with schedules"
    )
    sch.required = True
    ss = sch.add_parser(
        "set",
        help='give cells a "3+N" schedule (all cells when none are named)',
        description='Give cells a "3+N" schedule: rounds at fixed local times each day, plus N '
        "extra rounds a day. A round logged inside a time's window counts for it; the window is "
        "open from BEFORE minutes before the time to AFTER minutes after it.",
        epilog=examples(
            "gridmgr schedule set daoli  # 08:00,12:00,18:00",
            "gridmgr schedule set daoli --times 08:00,12:00,18:00 --extra 2  # 3+2, every cell",
            "gridmgr schedule set park HB-001 HB-002 --times 07:30,17:30 --window -15,+60",
        ),
    )
    ss.add_argument("area", metavar="AREA", help="the area's slug")
    ss.add_argument(
        "codes",
        nargs="*",
        metavar="CELL_CODE",
        help="the cells to schedule (default: every cell of the active plan)",
    )
    ss.add_argument(
        "--times",
        default="08:00,12:00,18:00",
        help="the fixed daily rounds: the area's local times HH:MM, comma-separated "
        "(default: %(default)s)",
    )
    ss.add_argument(
        "--extra",
        type=int,
        default=0,
        metavar="N",
        help="extra rounds a day on top of the fixed ones, the N of 3+N (default: %(default)s)",
    )
    ss.add_argument(
        "--window",
        default="-30,+90",
        metavar="-BEFORE,+AFTER",
        help="minutes before,after each round time in which a logged round counts "
        "(default: %(default)s)",
    )
    ss.set_defaults(func=_cmd_schedule_set)

    lg = sub.add_parser(
        "log",
        help="log a round in a cell (the warden must hold the cell)",
        description="Log a disinfection round in a cell, done by a warden who holds the cell.",
        epilog=examples(
            "gridmgr log daoli DAOLI-001 --warden 张伟  # done now",
            "gridmgr log daoli DAOLI-001 --warden 张伟 --at 2026-11-24T08:10 --note 消毒完成",
        ),
    )
    lg.add_argument("area", metavar="AREA", help="the area's slug")
    lg.add_argument("code", metavar="CELL_CODE", help="the cell's code")
    lg.add_argument(
        "--warden", required=True, metavar="NAME", help="the warden who did it (required)"
    )
    lg.add_argument(
        "--at",
        metavar="ISO_TIME",
        help="when it was done: ISO time, the area's local time unless it carries an offset; never "
        "in the future (default: now)",
    )
    lg.add_argument("--note", metavar="TEXT", help="a note kept with the round (default: none)")
    lg.set_defaults(func=_cmd_log)

    cov = sub.add_parser(
        "coverage",
        help="where ground is unmanaged: gaps, overlaps, unstaffed and unscheduled cells",
        description="Report where AREA's ground is unmanaged: land no cell covers, overlapping "
        "cells, cells without a warden or a schedule, rounds due and overdue.",
        epilog=examples(
            "gridmgr coverage daoli",
            "gridmgr coverage daoli --at 2026-11-24T10:00 --json",
            "gridmgr coverage daoli --day 2026-11-24  # rounds per cell that day",
        ),
    )
    cov.add_argument("area", metavar="AREA", help="the area's slug")
    cov.add_argument(
        "--at",
        metavar="ISO_TIME",
        help="the moment to report on: ISO time, the area's local time unless it carries an "
        "offset (default: now)",
    )
    cov.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="also summarise this day per cell: expected, done, late, missed (default: no day)",
    )
    cov.add_argument(
        "--json",
        action="store_true",
        help="print JSON, as GET /api/v1/areas/{slug}/coverage answers",
    )
    cov.set_defaults(func=_cmd_coverage)

    ex = sub.add_parser(
        "export",
        help="write the active plan with codes, areas, wardens and schedules",
        description="Write AREA's cells with their codes, areas, wardens and schedules to a file.",
        epilog=examples(
            "gridmgr export daoli -o daoli.gpkg",
            "gridmgr export daoli -o daoli-amap.geojson --crs gcj02",
            "gridmgr export daoli --version 1 -o v1.geojson  # an earlier plan",
        ),
    )
    ex.add_argument("area", metavar="AREA", help="the area's slug")
    ex.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE.geojson|FILE.gpkg",
        help="where to write: .geojson or .gpkg (required)",
    )
    ex.add_argument(
        "--crs",
        default="wgs84",
        metavar="wgs84|gcj02",
        help="datum to write: wgs84, or gcj02 for AMap/Gaode maps (default: %(default)s)",
    )
    ex.add_argument(
        "--version",
        type=_positive_int,
        metavar="N",
        help="an earlier plan version (default: the active plan)",
    )
    ex.set_defaults(func=_cmd_export)

    add_web_commands(sub, _engine)
    add_findings_commands(sub, _engine)
    add_maintain_commands(sub, _engine)
    add_checkpoint_commands(sub, _engine)
    add_rollup_commands(sub, _engine)
    return parser


def _engine(args: argparse.Namespace):
    from gridmgr.db.store import make_engine, schema_ready

    engine = make_engine(args.db)
    if args.command != "init" and not schema_ready(engine):
        raise InvalidInput(f"the database {engine.url!r} is not set up; run 'gridmgr init' first")
    return engine


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
        feature=_feature_arg(args.feature), timezone=args.timezone, slug=args.slug,
        parent=args.parent,
    )  # fmt: skip
    for w in got.warnings:
        print(f"gridmgr: warning: {w}", file=sys.stderr)
    print(got.slug)
    return 0


def _cmd_area_import(args: argparse.Namespace) -> int:
    from gridmgr.services.area_import import import_areas

    got = import_areas(
        _engine(args), args.file, parent=args.parent, level=args.level,
        name_field=args.name_field, code_field=args.code_field, crs=args.crs,
    )  # fmt: skip
    for w in got.warnings:
        print(f"gridmgr: warning: {w}", file=sys.stderr)
    print(import_report_text(got), file=sys.stderr)
    for slug in got.slugs:
        print(slug)
    return 0


def _cmd_area_list(args: argparse.Namespace) -> int:
    from gridmgr.services import list_areas

    rows = list_areas(_engine(args))
    if args.json:
        from gridmgr.web.api.serialise import area_summary_to_json

        print_json([area_summary_to_json(r) for r in rows])
    else:
        print(areas_text(rows))
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from gridmgr.services import grid
    from gridmgr.services.leaf_grid import holds_children

    _check_split_options(args)
    if holds_children(_engine(args), args.area):
        return _grid_leaves(args)
    r = grid(
        _engine(args), args.area, count=args.count, cell_size=args.cell_size, from_file=args.from_file,
        shape=args.shape, split_by=args.split_by, crs=args.crs, dry_run=args.dry_run,
        snap=args.snap, split_where=args.split_where, min_fraction=args.min_fraction,
        weight=args.weight, target_weight=args.target_weight,
    )  # fmt: skip
    if args.json:
        from gridmgr.web.api.serialise import grid_report_to_json

        print_json(grid_report_to_json(r))
    else:
        print(grid_text(r))
    return 0


def _grid_leaves(args: argparse.Namespace) -> int:
    """`grid PARENT --count N | --cell-size M`: every leaf area below it, N shared out by land."""
    from gridmgr.services.leaf_grid import grid_leaves

    other = [
        flag
        for flag, given in (
            ("--from", args.from_file),
            ("--split-by", args.split_by),
            ("--weight", args.weight),
            ("--target-weight", args.target_weight),
        )
        if given
    ]
    if other:
        raise InvalidInput(
            f"{args.area!r} holds child areas: gridding it grids its leaf areas with --count or "
            f"--cell-size only; {', '.join(other)} work on one leaf at a time (gridmgr grid LEAF ...)"
        )
    r = grid_leaves(
        _engine(args), args.area, count=args.count, cell_size=args.cell_size, shape=args.shape,
        min_fraction=args.min_fraction, dry_run=args.dry_run,
    )  # fmt: skip
    if args.json:
        from gridmgr.web.api.serialise import leaves_gridded_to_json

        print_json(leaves_gridded_to_json(r))
    else:
        print(leaves_text(r))
    return 0


def _cmd_plan_list(args: argparse.Namespace) -> int:
    from gridmgr.services import list_plans

    rows = list_plans(_engine(args), args.area)
    if args.json:
        print_json(plans_to_json(rows))
    else:
        print(plans_text(rows))
    return 0


def _cmd_plan_restore(args: argparse.Namespace) -> int:
    from gridmgr.services import restore_plan

    r = restore_plan(_engine(args), args.area, args.version)
    print(f"plan v{args.version} restored as v{r.plan_version}: {r.cells} cells")
    return 0


def _cmd_warden_add(args: argparse.Namespace) -> int:
    from gridmgr.services import add_warden

    w = add_warden(_engine(args), args.name, phone=args.phone, role=args.role)
    print(f"warden {w.name} added")
    return 0


def _cmd_warden_import(args: argparse.Namespace) -> int:
    from gridmgr.services import import_wardens

    r = import_wardens(_engine(args), args.file)
    print(f"imported {r.imported} wardens")
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from gridmgr.services import assign, auto_assign

    if args.auto:
        if args.codes or args.warden:
            raise InvalidInput(
                "--auto spreads all wardens: give no cell codes and no --warden with it"
            )
        from gridmgr.services.leaf_grid import holds_children

        if holds_children(_engine(args), args.area):
            from gridmgr.services.leaf_staff import auto_assign_leaves

            spread = auto_assign_leaves(_engine(args), args.area)
            print(f"{spread.wardens} wardens spread over the leaf areas of {spread.area}:")
            for leaf, got in spread.leaves.items():
                print(
                    f"  {leaf:<28} {got.wardens} wardens over {got.cells} cells ({got.posts} posts)"
                )
            return 0
        done = auto_assign(_engine(args), args.area)
        print(
            f"{done.wardens} wardens spread over {done.cells} cells ({done.posts} posts), "
            f"balanced by {done.balanced_by}"
        )
        return 0
    if not args.codes or not args.warden:
        raise InvalidInput(
            "name the cells and the warden: gridmgr assign AREA CELL_CODE... --warden NAME, or use --auto"
        )
    r = assign(_engine(args), args.area, args.codes, args.warden, role=args.role)
    print(f"{r.warden} posted to {len(r.cells)} cell(s) as {r.role}")
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
    print(f"{r.cells} cell(s): rounds at {', '.join(r.times)} plus {r.extra} extra a day")
    return 0


def _cmd_log(args: argparse.Namespace) -> int:
    from gridmgr.services.rounds import record_round

    # the API's own function: the same checks (no time in the future, none before 2000) and messages
    r = record_round(
        _engine(args), args.area, args.code, args.warden, at=args.at, note=args.note, actor="cli"
    ).round
    print(f"round logged: {r.cell} by {r.warden} at {r.at.isoformat()}")
    return 0


def _cmd_coverage(args: argparse.Namespace) -> int:
    from datetime import date

    from gridmgr.services import coverage_report

    try:
        day = date.fromisoformat(args.day) if args.day else None
    except ValueError:
        raise InvalidInput(f"--day {args.day!r}: write the date as YYYY-MM-DD") from None
    r = coverage_report(_engine(args), args.area, at=args.at, day=day)
    if args.json:
        from gridmgr.web.api.serialise import report_to_json

        print_json(report_to_json(r))
    else:
        print(coverage_text(r))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from gridmgr.services import export_plan

    r = export_plan(_engine(args), args.area, args.output, crs=args.crs, version=args.version)
    print(f"wrote {r.cells} cells to {r.output} ({r.crs})")
    return 0


def _add_ground_options(parser: argparse.ArgumentParser) -> None:
    """--snap and --split-where, for cutting along real (un-noded) road data."""
    parser.add_argument(
        "--snap",
        type=_metres_or_zero,
        default=1.0,
        metavar="M",
        help="with --split-by: a line end within M metres of another line (a junction not "
        "noded) is joined to it, so it divides; 0 joins nothing (default: %(default)s)",
    )
    parser.add_argument(
        "--split-where",
        metavar="EXPR",
        help="with --split-by: divide only along lines whose attributes match, e.g. "
        "\"highway in ('primary','secondary')\" or \"speed >= 60 and name != 'x'\" "
        "(=, !=, <, <=, >, >=, in, not in, and, or, not, parentheses; default: every line)",
    )


def _add_weight_option(parser: argparse.ArgumentParser) -> None:
    """--weight FILE[:FIELD]: what the cells balance in count mode, and carry in every mode."""
    parser.add_argument(
        "--weight",
        metavar="FILE[:FIELD]",
        help="balance workload, not area: points (households, entrances; FIELD a count per "
        "point, default 1 each) or polygons whose FIELD (population, visitors a day) is spread "
        "over their area; with --count or --target-weight the cells balance it, and every cell "
        "carries its weight (default: no weight)",
    )


def _positive_weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a weight such as 400, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive weight, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction such as 0.35, got {text!r}"
        ) from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 up to 1, got {text!r}")
    return value


def _metres_or_zero(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of metres, got {text!r}") from None
    if not 0.0 <= value < 1000.0:
        raise argparse.ArgumentTypeError(f"expected 0 to 1000 metres, got {text!r}")
    return value


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


def _check_split_options(args: argparse.Namespace) -> None:
    if args.split_where is not None and not args.split_by:
        raise InvalidInput("--split-where picks lines of --split-by LINES_FILE; give that too")
    if args.target_weight is not None and not args.weight:
        raise InvalidInput("--target-weight W needs --weight FILE[:FIELD], the weight to share out")


def _cmd_cells(args: argparse.Namespace) -> int:
    from gridmgr.files.areas import Limits, read_area, read_line_features
    from gridmgr.files.export import write_cells
    from gridmgr.files.weights import read_weights
    from gridmgr.geometry.gridding import cells_from_area, format_quality
    from gridmgr.rules.naming import code_prefix

    limits = Limits.from_env()
    loaded = read_area(
        args.area_file, crs=args.crs, feature=_feature_arg(args.feature), limits=limits
    )
    for warning in loaded.warnings:
        print(f"gridmgr: warning: {warning}", file=sys.stderr)
    _check_split_options(args)
    lines = (
        read_line_features(args.split_by, crs=args.crs, limits=limits, where=args.split_where)
        if args.split_by
        else None
    )
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
        snap=args.snap,
        min_fraction=args.min_fraction,
        weight=read_weights(args.weight, crs=args.crs, limits=limits) if args.weight else None,
        target_weight=args.target_weight,
        prefix=prefix,
        max_cells=limits.max_cells,
    )
    out = write_cells(cells, args.output)
    quality = cells.attrs["quality"]
    if args.json:
        print_json({"output": str(out), **quality})
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
