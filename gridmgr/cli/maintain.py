"""The `gridmgr` commands that keep a long-running deployment's history: maintain (months made ahead,
stale shared state pruned; safe from cron), archive (old months to a file) and restore-archive."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gridmgr.cli.helptext import examples
from gridmgr.errors import InvalidInput

DAY_S = 86_400


def add_maintain_commands(sub, engine_of) -> None:
    """Register `maintain`, `archive` and `restore-archive`."""
    mt = sub.add_parser(
        "maintain",
        help="make the coming months' history partitions, prune stale state (cron-safe)",
        description="On PostgreSQL, make the partitions of the history tables (rounds, findings' events, gate counts) for this "
        "month and the months ahead, if missing, moving any of their rows out of the default "
        "partition; on any database, drop failed logins older than a day and lapsed upload "
        "slots. Idempotent and safe to run from cron on several machines at once; prints what it "
        "did.",
        epilog=examples(
            "gridmgr maintain",
            "gridmgr maintain --ahead 6 --json",
        ),
    )
    mt.add_argument(
        "--ahead",
        type=_months,
        default=3,
        metavar="N",
        help="months after this one to make partitions for (default: %(default)s)",
    )
    mt.add_argument("--json", action="store_true", help="print what was done as JSON")
    mt.set_defaults(func=lambda a: _cmd_maintain(a, engine_of(a)))

    ar = sub.add_parser(
        "archive",
        help="move history before a month into a file, dropping its partitions (PostgreSQL)",
        description="Write every round, finding event and gate count (every row of the history tables) before month YYYY-MM to "
        "FILE, a gzip'd JSON-lines file naming each table and month, then drop those months "
        "from the database, in one transaction: nothing is dropped unless the file was written "
        "whole. 'gridmgr restore-archive FILE' brings them back. PostgreSQL only.",
        epilog=examples("gridmgr archive --before 2026-01 -o rounds-2025.jsonl.gz"),
    )
    ar.add_argument(
        "--before",
        required=True,
        metavar="YYYY-MM",
        help="archive the months before this one, in UTC (required)",
    )
    ar.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the archive to write (required)"
    )
    ar.set_defaults(func=lambda a: _cmd_archive(a, engine_of(a)))

    ra = sub.add_parser(
        "restore-archive",
        help="bring archived months back from a file written by 'gridmgr archive'",
        description="Bring the months in an archive file back into the database, in one "
        "transaction: each month's partition is made again and its rows inserted as they were. "
        "A month that is in the database already is refused, and nothing is restored. "
        "'gridmgr restore' (whole backups) is another thing.",
        epilog=examples("gridmgr restore-archive rounds-2025.jsonl.gz"),
    )
    ra.add_argument("file", metavar="FILE", help="a file written by 'gridmgr archive'")
    ra.set_defaults(func=lambda a: _cmd_restore_archive(a, engine_of(a)))


def _months(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if not 0 <= n <= 120:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of months from 0 to 120")
    return n


def _cmd_maintain(args: argparse.Namespace, engine) -> int:
    from gridmgr.db.partitions import create_months_ahead
    from gridmgr.db.shared_state import prune

    done = create_months_ahead(engine, ahead=args.ahead)
    failures, slots = prune(engine, failures_before_s=time.time() - DAY_S)
    if args.json:
        print(json.dumps({
            "partitions": [
                {"table": m.table, "created": m.created, "moved_from_default": m.moved_from_default,
                 "months": m.months_kept}
                for m in done
            ],
            "login_failures_pruned": failures,
            "upload_slots_freed": slots,
        }, ensure_ascii=False))  # fmt: skip
        return 0
    if engine.dialect.name != "postgresql":
        print("history partitions: none on SQLite (history stays in plain tables)")
    for m in done:
        made = ", ".join(m.created) if m.created else "none needed"
        moved = (
            f"; {m.moved_from_default:,} rows moved out of the default partition"
            if m.moved_from_default
            else ""
        )
        print(f"{m.table}: partitions made: {made}{moved}; {m.months_kept} months in all")
    print(f"login failures pruned: {failures:,}; lapsed upload slots freed: {slots:,}")
    return 0


def _cmd_archive(args: argparse.Namespace, engine) -> int:
    from gridmgr.db.partitions import archive_before

    out = Path(args.output)
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder; name the archive file to write")
    months = archive_before(engine, args.before, out)
    rows = sum(m.rows for m in months)
    print(f"archived {rows:,} rows of {len(months)} month(s) before {args.before} to {out}")
    for m in months:
        print(f"  {m.table} {m.month}: {m.rows:,}")
    return 0


def _cmd_restore_archive(args: argparse.Namespace, engine) -> int:
    from gridmgr.db.partitions import restore_archive

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    months = restore_archive(engine, path)
    rows = sum(m.rows for m in months)
    print(f"restored {rows:,} rows of {len(months)} month(s) from {path}")
    for m in months:
        print(f"  {m.table} {m.month}: {m.rows:,}")
    return 0
