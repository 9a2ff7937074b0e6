"""The `gridmgr` commands of the management loop: categories, findings and the rectification ledger."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from gridmgr.cli.helptext import examples
from gridmgr.cli.json_output import print_json
from gridmgr.errors import InvalidInput

LIST_PAGE = 1000


def add_findings_commands(sub, engine_of: Callable) -> None:
    """Register `category list|add`, `finding add|fix|close|reopen|extend|list|show` and `ledger`."""
    cat = sub.add_parser(
        "category",
        help="finding categories: list, add",
        description="The categories findings are filed under, one list for the whole deployment.",
        epilog=examples("gridmgr category list", 'gridmgr category add "Fire exits=消防通道"'),
    ).add_subparsers(dest="verb", metavar="VERB", required=True, help="what to do with categories")
    cl = cat.add_parser(
        "list",
        help="the categories findings are filed under",
        description="List the categories: key, English name, Chinese name.",
        epilog=examples("gridmgr category list", "gridmgr category list --json"),
    )
    cl.add_argument("--json", action="store_true", help="print them as JSON")
    cl.set_defaults(func=lambda a: _cmd_category_list(a, engine_of(a)))
    ca = cat.add_parser(
        "add",
        help='add categories ("English=中文" or one name); a name that exists changes nothing',
        description="Add categories; a name that is already a category's key or name changes "
        "nothing. Give both languages as English=中文, or one name for both.",
        epilog=examples(
            'gridmgr category add "Fire exits=消防通道"',
            "gridmgr category add 占道经营  # one name for both languages",
        ),
    )
    ca.add_argument("names", nargs="+", metavar="NAME", help="English=中文, or one name")
    ca.set_defaults(func=lambda a: _cmd_category_add(a, engine_of(a)))

    fnd = sub.add_parser(
        "finding",
        help="problems found in cells: add, fix, close, reopen, extend, list, show",
        description="Findings (问题清单): problems found in cells, fixed on the spot or by a "
        "deadline, reported fixed, closed by a manager.",
        epilog=examples(
            "gridmgr finding add daoli DAOLI-001 --category masks --text 未戴口罩 --fixed-now",
            "gridmgr finding list daoli --status open",
        ),
    ).add_subparsers(dest="verb", metavar="VERB", required=True, help="what to do with findings")
    fa = fnd.add_parser(
        "add",
        help="record a problem found in a cell; prints its id",
        description="Record a problem found in a cell of the area's active plan: fixed on the "
        "spot (立行立改) or with a deadline, a responsible unit and person (限期整改).",
        epilog=examples(
            "gridmgr finding add daoli DAOLI-001 --category 口罩佩戴 --text 入口无人查验 "
            "--by 张伟 --fixed-now --note 已劝导",
            "gridmgr finding add daoli DAOLI-002 --category waste --text 垃圾满溢 "
            "--deadline 2026-11-30 --unit 物业公司 --person 张伟 --photo IMG_0001.HEIC",
        ),
    )
    fa.add_argument("area", metavar="AREA", help="the area's slug")
    fa.add_argument("code", metavar="CELL_CODE", help="the cell's code")
    fa.add_argument(
        "--category", required=True, metavar="C", help="its key or either name (category list)"
    )
    fa.add_argument("--text", required=True, metavar="T", help="what was found (required)")
    fa.add_argument("--by", metavar="WARDEN", help="the warden who found it (default: none)")
    fa.add_argument("--at", metavar="ISO", help="when (no offset: the area's clock; default: now)")
    fa.add_argument(
        "--lonlat", metavar="LON,LAT", help="where, in or near the cell, WGS84 (default: none)"
    )
    plan = fa.add_mutually_exclusive_group(required=True)
    plan.add_argument("--fixed-now", action="store_true", help="fixed on the spot (立行立改)")
    plan.add_argument(
        "--deadline",
        metavar="YYYY-MM-DD",
        help="to be fixed by then (限期整改), with --unit, --person",
    )
    fa.add_argument("--note", metavar="N", help="what was done on the spot (default: none)")
    fa.add_argument("--unit", metavar="U", help="responsible unit (责任单位), with --deadline")
    fa.add_argument("--person", metavar="P", help="responsible person (责任人), with --deadline")
    fa.add_argument(
        "--photo",
        action="append",
        metavar="FILE",
        help="a photo (JPEG, PNG, WebP, HEIC); again for more",
    )
    fa.add_argument("--json", action="store_true", help="print the finding as JSON")
    fa.set_defaults(func=lambda a: _cmd_finding_add(a, engine_of(a)))
    for verb, text, description, example in (
        ("fix", "the responsible reports it fixed",
         "Report a finding fixed: it then waits for a manager to close it.",
         "gridmgr finding fix 12 --note 已清运 --photo after.jpg"),
        ("close", "verify and close it",
         "Close a finding after checking the fix (or at once), or as recorded in error.",
         "gridmgr finding close 12 --note 现场核实"),
        ("reopen", "reopen a fixed or closed finding",
         "Reopen a fixed or closed finding: the fix did not hold.",
         "gridmgr finding reopen 12 --note 又堆满了"),
    ):  # fmt: skip
        p = fnd.add_parser(verb, help=text, description=description, epilog=examples(example))
        p.add_argument("id", type=int, metavar="ID", help="the finding's id")
        p.add_argument("--note", metavar="N", help="a note kept with the change (default: none)")
        if verb == "fix":
            p.add_argument(
                "--photo",
                action="append",
                metavar="FILE",
                help="a photo of the fix; again for more",
            )
        if verb == "close":
            p.add_argument(
                "--recorded-in-error",
                action="store_true",
                help="close it as recorded in error: it then counts nowhere",
            )
        p.add_argument("--json", action="store_true", help="print the finding as JSON")
        p.set_defaults(func=lambda a, verb=verb: _cmd_finding_act(a, engine_of(a), verb))
    fe = fnd.add_parser(
        "extend",
        help="move an open finding's deadline later, with a reason",
        description="Move an open finding's deadline to a later day, giving the reason.",
        epilog=examples("gridmgr finding extend 12 --deadline 2026-12-05 --reason 等待清运车"),
    )
    fe.add_argument("id", type=int, metavar="ID", help="the finding's id")
    fe.add_argument("--deadline", required=True, metavar="YYYY-MM-DD", help="the new deadline")
    fe.add_argument("--reason", required=True, metavar="R", help="why it moves (required)")
    fe.add_argument("--json", action="store_true", help="print the finding as JSON")
    fe.set_defaults(func=lambda a: _cmd_finding_act(a, engine_of(a), "extend"))
    fl = fnd.add_parser(
        "list",
        help="an area's findings, newest first",
        description="List an area's findings, newest first (open includes the overdue).",
        epilog=examples(
            "gridmgr finding list daoli --status overdue",
            "gridmgr finding list daoli --from 2026-11-01 --to 2026-11-30 --json",
        ),
    )
    fl.add_argument("area", metavar="AREA", help="the area's slug")
    fl.add_argument(
        "--status", choices=("open", "overdue", "fixed", "closed"), help="only these (default: all)"
    )
    fl.add_argument("--category", metavar="C", help="only this category (default: all)")
    fl.add_argument("--cell", metavar="CELL_CODE", help="only this cell (default: all)")
    fl.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="found on or after")
    fl.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="found on or before")
    fl.add_argument("--json", action="store_true", help="print them as JSON, as the API does")
    fl.set_defaults(func=lambda a: _cmd_finding_list(a, engine_of(a)))
    fs = fnd.add_parser(
        "show",
        help="one finding with its history",
        description="Show one finding with every change made to it.",
        epilog=examples("gridmgr finding show 12", "gridmgr finding show 12 --json"),
    )
    fs.add_argument("id", type=int, metavar="ID", help="the finding's id")
    fs.add_argument("--json", action="store_true", help="print it as JSON")
    fs.set_defaults(func=lambda a: _cmd_finding_show(a, engine_of(a)))

    led = sub.add_parser(
        "ledger",
        help="the rectification ledger: figures, or the ledger as XLSX, CSV or GeoPackage",
        description="The rectification ledger (整改台账): found, fixed on the spot, with deadlines, "
        "rectified, open, overdue and the rate, by category, cell and period; or written as a file.",
        epilog=examples(
            "gridmgr ledger daoli --from 2026-11-01 --to 2026-11-30",
            "gridmgr ledger daoli --json",
            "gridmgr ledger daoli -o 整改台账.xlsx  # or .csv, or .gpkg (the findings' points)",
        ),
    )
    led.add_argument("area", metavar="AREA", help="the area's slug")
    led.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="found on or after")
    led.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="found on or before")
    led.add_argument(
        "--by",
        dest="period",
        default="month",
        choices=("day", "week", "month"),
        help="the periods of by_period (default: %(default)s)",
    )
    led.add_argument(
        "--json", action="store_true", help="print the figures as JSON, as the API does"
    )
    led.add_argument(
        "-o", "--output", metavar="FILE.xlsx|FILE.csv|FILE.gpkg", help="write the ledger to a file"
    )
    led.set_defaults(func=lambda a: _cmd_ledger(a, engine_of(a)))


def _cmd_category_list(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.categories import list_categories
    from gridmgr.web.api.findings_json import category_json

    rows = list_categories(engine)
    if args.json:
        print_json([category_json(c) for c in rows])
    else:
        for c in rows:
            print(f"{c.key:<16} {c.name_en:<24} {c.name_zh}")
    return 0


def _cmd_category_add(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.categories import add_categories

    for c in add_categories(engine, args.names):
        print(f"{c.key:<16} {c.name_en:<24} {c.name_zh}")
    return 0


def _photos(files: list[str]) -> list[tuple[str, bytes]]:
    from gridmgr.files.photos import MAX_BYTES

    out = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise InvalidInput(f"{name}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(
                f"{name}: the photo is {path.stat().st_size / 1024 / 1024:.1f} MB; at most "
                f"{MAX_BYTES // (1024 * 1024)} MB each"
            )
        out.append((name, path.read_bytes()))
    return out


def _lonlat(text: str | None) -> tuple[float | None, float | None]:
    if text is None:
        return None, None
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(
            f"--lonlat {text!r}: write longitude,latitude, e.g. 126.63,45.75"
        ) from None
    return lon, lat


def _cmd_finding_add(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.findings import CLI, NewFinding, record_finding
    from gridmgr.web.api.findings_json import finding_json

    if args.fixed_now and (args.unit or args.person):
        raise InvalidInput("--fixed-now takes no --unit or --person: it was fixed on the spot")
    lon, lat = _lonlat(args.lonlat)
    made, _ = record_finding(
        engine,
        args.area,
        args.code,
        NewFinding(
            category=args.category,
            text=args.text,
            by=args.by,
            at=args.at,
            lon=lon,
            lat=lat,
            fixed_now=args.fixed_now,
            note=args.note,
            deadline=args.deadline,
            unit=args.unit,
            person=args.person,
        ),
        CLI,
        photos=_photos(args.photo or []),
    )
    if args.json:
        print_json(finding_json(made))
    else:
        print(made.id)
    return 0


def _cmd_finding_act(args: argparse.Namespace, engine, verb: str) -> int:
    from gridmgr.services import findings as f
    from gridmgr.web.api.findings_json import finding_json

    if verb == "fix":
        done = f.fix_finding(
            engine, args.id, f.CLI, note=args.note, photos=_photos(args.photo or [])
        )
    elif verb == "close":
        done = f.close_finding(
            engine, args.id, f.CLI, note=args.note, in_error=args.recorded_in_error
        )
    elif verb == "reopen":
        done = f.reopen_finding(engine, args.id, f.CLI, note=args.note)
    else:
        done = f.extend_finding(engine, args.id, f.CLI, deadline=args.deadline, reason=args.reason)
    if args.json:
        print_json(finding_json(done))
    else:
        extra = f", deadline {done.deadline}" if verb == "extend" else ""
        print(f"finding {done.id} is {done.status}{extra}")
    return 0


def _cmd_finding_list(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.findings import CLI
    from gridmgr.services.ledger import FindingFilter, list_findings
    from gridmgr.web.api.findings_json import finding_json

    filt = FindingFilter(
        status=args.status, category=args.category, cell=args.cell, date_from=args.date_from,
        date_to=args.date_to,
    )  # fmt: skip
    items, page = [], 1
    while True:
        got = list_findings(engine, args.area, filt, viewer=CLI, page=page, per_page=LIST_PAGE)
        items += got.items
        if page >= got.pages:
            break
        page += 1
    if args.json:
        print_json([finding_json(v) for v in items])
        return 0
    for v in items:
        state = "overdue" if v.overdue else v.status
        plan = "on the spot" if v.mode == "on_spot" else f"by {v.deadline}, {v.unit} / {v.person}"
        print(f"{v.id:>6}  {v.cell:<16} {state:<8} {v.category:<12} {plan}  {v.text[:60]}")
    if not items:
        print("no findings")
    return 0


def _cmd_finding_show(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.findings import CLI, get_finding
    from gridmgr.web.api.findings_json import finding_json

    view = get_finding(engine, args.id, CLI)
    if args.json:
        print_json(finding_json(view))
        return 0
    print(f"finding {view.id} in {view.cell} of {view.area}: {view.status}")
    print(f"  {view.category}: {view.text}")
    print(f"  found by {view.found_by} at {view.found_at}")
    for e in view.events:
        print(f"  {e.at}  {e.actor}: {e.action}{': ' + e.note if e.note else ''}")
    return 0


def _cmd_ledger(args: argparse.Namespace, engine) -> int:
    from gridmgr.services.ledger import ledger
    from gridmgr.services.ledger_exports import export_findings_gpkg, export_ledger
    from gridmgr.web.api.findings_json import ledger_json

    if args.output:
        suffix = Path(args.output).suffix.lower()
        if suffix == ".gpkg":
            done = export_findings_gpkg(
                engine, args.area, args.output, date_from=args.date_from, date_to=args.date_to
            )
        else:
            done = export_ledger(
                engine, args.area, args.output, date_from=args.date_from, date_to=args.date_to
            )
        print(f"wrote {done.rows} findings to {done.path}")
        if not args.json:
            return 0
    got = ledger(
        engine, args.area, date_from=args.date_from, date_to=args.date_to, period=args.period
    )
    if args.json:
        print_json(ledger_json(got))
        return 0
    f = got.figures
    rate = "–" if f.rate is None else f"{f.rate:.1%}"
    print(
        f"{got.area}: found {f.found} ({f.fixed_on_spot} fixed on the spot, {f.with_deadline} "
        f"with deadlines), rectified {f.rectified}, open {f.open} ({f.overdue} overdue), "
        f"reported fixed {f.fixed}; rate {rate}"
    )
    for c in got.by_category:
        if c.found:
            print(f"  {c.key:<16} found {c.found:>5}  rectified {c.rectified:>5}")
    return 0
