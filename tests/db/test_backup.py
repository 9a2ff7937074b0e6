"""`gridmgr backup` and `gridmgr restore`: every table comes back exactly as it was backed up."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from gridmgr import services
from gridmgr.db.models import Base

from webtools import seed_park


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every gridmgr table, in primary-key order."""
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
        }


def gridmgr(*args, db):
    return subprocess.run([sys.executable, "-m", "gridmgr", "--db", db, *args],
                          capture_output=True, text=True)  # fmt: skip


def test_backup_then_changes_then_restore_gives_back_every_table(engine, db_url, tmp_path):
    seeded = seed_park(engine, tmp_path)
    services.record_round(engine, seeded.slug, seeded.codes[0], "warden1", note="消毒完成")
    before = snapshot(engine)
    assert all(before[t] for t in ("areas", "cells", "assignments", "schedules", "rounds", "users"))
    done = gridmgr("backup", str(tmp_path / "b" / "gridmgr.db.backup"), db=db_url)
    assert done.returncode == 0, done.stderr
    # the database goes on changing after the backup
    services.record_round(engine, seeded.slug, seeded.codes[1], "warden2")
    services.grid(engine, seeded.slug, count=12)
    services.add_warden(engine, "后来的人")
    assert snapshot(engine) != before
    engine.dispose()
    done = gridmgr("restore", str(tmp_path / "b" / "gridmgr.db.backup"), db=db_url)
    assert done.returncode == 0, done.stderr
    assert snapshot(engine) == before
    assert services.coverage_report(engine, seeded.slug).cells_total == 30


def test_restore_refuses_what_is_not_a_backup(db_url, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_text("not a backup")
    done = gridmgr("restore", str(junk), db=db_url)
    assert done.returncode == 2 and "is not a" in done.stderr and "Traceback" not in done.stderr
    missing = gridmgr("restore", str(tmp_path / "nope"), db=db_url)
    assert missing.returncode == 2 and "no backup file" in missing.stderr


def test_a_restore_brings_findings_and_their_photos_back(engine, db_url, tmp_path):
    """Photos live in the database: a backup carries them, a restore brings back every byte, and a
    finding recorded after the backup is gone again."""
    import io

    from PIL import Image

    from gridmgr.services import findings as f

    seeded = seed_park(engine, tmp_path)
    picture = io.BytesIO()
    Image.new("RGB", (300, 200), (9, 99, 199)).save(picture, format="PNG")
    boss = f.Actor("li", "manager")
    new = f.NewFinding(category="masks", text="未戴口罩", fixed_now=True)
    made, _ = f.record_finding(
        engine, seeded.slug, seeded.codes[0], new, boss, photos=[("a.png", picture.getvalue())]
    )
    kept = f.photo_data(engine, made.photos[0].id, boss).data
    before = snapshot(engine)
    assert before["photos"] and before["findings"] and before["finding_events"]
    done = gridmgr("backup", str(tmp_path / "b.backup"), db=db_url)
    assert done.returncode == 0, done.stderr
    f.record_finding(engine, seeded.slug, seeded.codes[0], new, boss, photos=[("b.png", kept)])
    engine.dispose()
    done = gridmgr("restore", str(tmp_path / "b.backup"), db=db_url)
    assert done.returncode == 0, done.stderr
    assert snapshot(engine) == before
    assert f.photo_data(engine, made.photos[0].id, boss).data == kept
