"""The `gridmgr` command: argument parsing, and turning GridmgrErrors into one plain message and exit 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gridmgr import __version__
from gridmgr.errors import GridmgrError, InvalidInput

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors like every other bad input: one line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InvalidInput(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The full command line, one sub-command per verb of DESIGN.md that exists so far."""
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
    return parser


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
    from gridmgr.export import write_cells
    from gridmgr.geo import Limits, read_area, read_lines
    from gridmgr.gridding import cells_from_area, format_quality
    from gridmgr.naming import code_prefix

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
