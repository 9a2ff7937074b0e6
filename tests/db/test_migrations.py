"""Migrations upgrade a database that holds data in place, without losing a row: a database made at an
older revision and filled through the application of that time keeps every row after `upgrade`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import MetaData, func, select, text

from gridmgr.db.partitions import HISTORY
from gridmgr.db.store import downgrade, make_engine, upgrade

from conftest import GEODATA

# the partitions of PostgreSQL's history tables: their rows are counted in the tables they part
MONTHS = re.compile(rf"({'|'.join(h.table for h in HISTORY)})_(y\d{{4}}m\d{{2}}|default)")


def counts(engine) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in meta.tables.items()
            if name not in ("alembic_version", "spatial_ref_sys") and not MONTHS.fullmatch(name)
        }


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geometry':sqlalchemy.exc.SAWarning")
def test_upgrading_a_filled_database_keeps_every_row(db_url, tmp_path):
    from gridmgr import services

    engine = make_engine(db_url)
    slug = services.add_area(engine, GEODATA / "demo_park.geojson", name="Park", kind="park").slug
    services.grid(engine, slug, count=12)
    csv = tmp_path / "w.csv"
    csv.write_text("name,phone\n张伟,13800000000\n", encoding="utf-8")
    services.import_wardens(engine, csv)
    code = services.plan_cells(engine, slug)["code"].iloc[0]
    services.assign(engine, slug, [code], "张伟")
    services.set_schedule(engine, slug, None, times=["08:00", "12:00", "18:00"], extra=1)
    services.record_round(engine, slug, code, "张伟", at="2026-11-24T08:10")
    services.add_user(engine, "li", role="manager", password="correct horse battery")
    before = counts(engine)
    # back to the schema before the second wave (the rows above fit it), then up again
    downgrade(engine, "0005")
    assert counts(engine) == {k: v for k, v in before.items() if k in counts(engine)}
    upgrade(engine)
    after = counts(engine)
    assert {k: after[k] for k in before} == before
    assert after["cells"] == 12 and after["rounds"] == 1 and after["assignments"] == 1
    with engine.connect() as conn:
        received, at = conn.execute(text("SELECT received_at_s, at_s FROM rounds")).one()
        assert (
            received is not None and received >= at
        )  # received when it was stored, after its time
        assert conn.execute(text("SELECT count(*) FROM finding_categories")).scalar_one() == 10
    # the cells' bounding boxes (0013) are filled in from their shapes
    cells = services.plan_cells(engine, slug).set_index("code")
    with engine.connect() as conn:
        boxes = conn.execute(
            text("SELECT code, min_lon, min_lat, max_lon, max_lat FROM cells")
        ).all()
    assert len(boxes) == 12
    for code_, *box in boxes:
        assert box == pytest.approx(list(cells.geometry[code_].bounds), abs=1e-9)
    engine.dispose()


def test_servers_starting_at_once_upgrade_one_after_the_other(db_url):
    """Every `gridmgr serve` upgrades the schema as it starts: several processes at once must not run
    the same migrations side by side (here every one since 0005, from three at once)."""
    import os
    import subprocess
    import sys

    engine = make_engine(db_url)
    downgrade(engine, "0005")
    cmd = [sys.executable, "-m", "gridmgr", "--db", db_url, "init"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ})
        for _ in range(3)
    ]  # fmt: skip
    try:
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert head == "0015"
    finally:
        for p in procs:
            p.kill()
        engine.dispose()
