"""`gridmgr area set SLUG --require-location` and `gridmgr log` as a manager's audited entry, on
SQLite and PostGIS, in this process as a user types them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from conftest import GEODATA


def test_require_location_on_and_off_and_log_as_an_audited_backfill(run, engine):
    from gridmgr import services
    from gridmgr.db.models import AuditEvent, Round
    from gridmgr.db.store import reading

    slug = run(
        "area", "add", GEODATA / "demo_park.geojson", "--name", "Park", "--slug", "p"
    ).strip()
    run("grid", slug, "--count", "3")
    code = services.plan_cells(engine, slug)["code"].iloc[0]
    run("warden", "add", "张伟")
    run("assign", slug, code, "--warden", "张伟")
    assert not services.requires_location(engine, slug)
    assert run("area", "set", slug, "--require-location").strip() == (
        "p: rounds require a position in the cell"
    )
    assert services.requires_location(engine, slug)
    assert "(unchanged)" in run("area", "set", slug, "--require-location")
    # a manager's entry (the CLI) is not held to it; three days back it is a backfill
    three_days = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    assert "round logged" in run("log", slug, code, "--warden", "张伟", "--at", three_days)
    with reading(engine) as s:
        r = s.execute(select(Round)).scalar_one()
        assert (r.backfilled, r.late_entry, r.entered_by, r.in_cell) == (True, True, "cli", None)
        assert r.received_at_s - r.at_s >= 3 * 86400 - 5
        audit = s.execute(select(AuditEvent.action, AuditEvent.actor)).all()
    assert ("area.require_location", "cli") in audit and ("round.log", "cli") in audit
    assert "need no position" in run("area", "set", slug, "--no-require-location")
    assert not services.requires_location(engine, slug)
    # errors: one line, status 2
    assert "name a setting" in run.fails("area", "set", slug)
    assert "no area 'nope'" in run.fails("area", "set", "nope", "--require-location")
    assert "ahead of the server's clock" in run.fails(
        "log", slug, code, "--warden", "张伟", "--at",
        (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    )  # fmt: skip


def test_settings_given_together_are_one_write_and_bad_input_writes_none(run, engine):
    from gridmgr import services
    from gridmgr.db.models import AuditEvent
    from gridmgr.db.store import reading

    slug = run(
        "area", "add", GEODATA / "demo_park.geojson", "--name", "Park", "--slug", "p"
    ).strip()

    def audited():
        with reading(engine) as s:
            return s.execute(select(AuditEvent.action)).scalars().all()

    before = audited()
    err = run.fails("area", "set", slug, "--require-location", "--leader-phone", "call me")
    assert "phone number" in err
    assert not services.requires_location(engine, slug) and audited() == before
    told = run("area", "set", slug, "--require-location", "--leader", "王伟", "--deputy", "李娜")
    assert told.splitlines() == [
        "p: rounds require a position in the cell",
        "p: leader 王伟, deputy 李娜",
    ]
    assert services.requires_location(engine, slug)
    assert audited()[len(before) :] == ["area.require_location", "area.leaders"]
