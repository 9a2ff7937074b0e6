"""Rounds for tests of history: a park with three months of rounds, and every round as stored."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime

from sqlalchemy import text

from gridmgr.db.models import Finding, FindingEvent, Round
from gridmgr.db.partitions import create_months_ahead
from gridmgr.db.store import bulk_insert, transaction

from webtools import seed_park


def epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp())


def fill(engine, tmp_path, *, rounds: int = 600) -> str:
    """The demo park staffed and scheduled (rounds expected always, not only since today), and
    `rounds` rounds spread over September to November 2026, a third of them with keys, and half the
    cells' rounds on time on 15 November."""
    seeded = seed_park(engine, tmp_path, wardens=30)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schedules SET since_s = NULL"))
        conn.execute(
            text("UPDATE grid_plans SET created_at = :t"), {"t": datetime(2026, 1, 1, tzinfo=UTC)}
        )
        cells = conn.execute(
            text(
                "SELECT c.id, a.warden_id FROM cells c JOIN assignments a ON a.cell_id = c.id "
                "ORDER BY c.id"
            )
        ).all()
    pick = random.Random(7)
    start, end = epoch("2026-09-01T00:00:00"), epoch("2026-11-30T23:59:59")
    rows = []
    for k in range(rounds):
        cell, warden = pick.choice(cells)
        rows.append({"cell_id": cell, "warden_id": warden, "at_s": pick.randrange(start, end),
                     "note": f"r{k}", "idempotency_key": f"key-{k}" if k % 3 == 0 else None,
                     "received_at_s": end})  # fmt: skip
    for cell, warden in cells[:15]:  # half the park done in time on 15 November (08:10, 12:20)
        for at in ("2026-11-15T00:10:00", "2026-11-15T04:20:00"):
            rows.append({"cell_id": cell, "warden_id": warden, "at_s": epoch(at), "note": None,
                         "idempotency_key": None, "received_at_s": end})  # fmt: skip
    with transaction(engine) as s:
        bulk_insert(s, Round, rows)
    create_months_ahead(engine, ahead=2, today=date(2026, 9, 1))  # as cron would have
    return seeded.slug


def all_rounds(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM rounds ORDER BY id")).all()]


def fill_events(engine, slug: str) -> None:
    """Findings' history and gate counts in the park `fill` made, spread over September to November
    2026: 60 findings (half fixed on the spot) whose events (recorded, extended, fixed, closed) fall
    in the months they happened, a photo naming a September event, and 90 counts at two gates on 18 days
    through the service (so the day counters and the events agree), some keyed."""
    from gridmgr.services.checkpoints import add_checkpoint
    from gridmgr.services.finding_views import Actor
    from gridmgr.services.occupancy import record_count

    with engine.connect() as conn:
        cells = conn.execute(
            text(
                "SELECT c.id, c.code, p.area_id FROM cells c JOIN grid_plans p ON p.id = c.plan_id "
                "WHERE p.active ORDER BY c.id"
            )
        ).all()
        categories = conn.execute(text("SELECT id FROM finding_categories ORDER BY id")).scalars()
        categories = list(categories)
    pick = random.Random(11)
    start, end = epoch("2026-09-01T00:00:00"), epoch("2026-11-30T23:59:59")
    findings, events = [], []
    for k in range(60):
        cell, code, area = pick.choice(cells)
        found = pick.randrange(start, end - 86400 * 3)
        on_spot = k % 2 == 0
        later = found + pick.randrange(3600, 86400 * 3)
        day = datetime.fromtimestamp(later, UTC).date().isoformat()
        status = "closed" if on_spot else ("fixed", "open", "closed")[k % 3]
        findings.append({
            "id": k + 1, "area_id": area, "cell_id": cell, "cell_code": code,
            "category_id": categories[k % len(categories)], "text": f"problem {k}",
            "found_by": "warden1", "found_at_s": found, "received_at_s": found,
            "mode": "on_spot" if on_spot else "deadline", "deadline": None if on_spot else day,
            "unit": None if on_spot else "Parks office", "person": None if on_spot else "Li",
            "status": status, "closed_as": "rectified" if status == "closed" else None,
            "fixed_at_s": found if on_spot else (later if status != "open" else None),
            "closed_at_s": found if on_spot else (later if status == "closed" else None),
        })  # fmt: skip
        events.append((k + 1, found, "recorded", json.dumps({"mode": findings[-1]["mode"]})))
        if not on_spot:
            events.append((k + 1, found + 600, "extended", json.dumps({"deadline": day})))
            if status != "open":
                events.append((k + 1, later, "fixed", "{}"))
            if status == "closed":
                events.append((k + 1, later + 60, "closed", "{}"))
    with transaction(engine) as s:
        bulk_insert(s, Finding, findings)
        bulk_insert(
            s,
            FindingEvent,
            [{"finding_id": f, "at_s": at, "actor": "manager", "action": a, "note": None,
              "details": d} for f, at, a, d in events],
        )  # fmt: skip
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # the ids given above, then the sequence after them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('findings', 'id'), 60)"))
        first = conn.execute(
            text("SELECT id, finding_id FROM finding_events WHERE at_s < :t ORDER BY id LIMIT 1"),
            {"t": epoch("2026-10-01T00:00:00")},
        ).one()
        conn.execute(
            text(
                "INSERT INTO photos (finding_id, event_id, sha256, mime, width, height, data, "
                "thumb, uploaded_by, created_at) VALUES (:f, :e, :h, 'image/jpeg', 1, 1, :d, :d, "
                "'manager', :c)"
            ),
            {"f": first.finding_id, "e": first.id, "h": "0" * 64, "d": b"jpeg",
             "c": datetime(2026, 9, 2, tzinfo=UTC)},
        )  # fmt: skip
    lon, lat = _inside(engine, slug)
    gates = [
        add_checkpoint(engine, slug, name=name, lon=lon, lat=lat).id
        for name in ("East gate", "West gate")
    ]
    boss = Actor("boss", "manager")
    days = sorted(pick.sample(range(start // 86400, end // 86400), 18))
    moments = [d * 86400 + pick.randrange(0, 86400 - 8 * 3600) for d in days for _ in range(5)]
    inside: dict[int, int] = {}
    for k, at in enumerate(sorted(moments)):  # never more out than in on the area's day (UTC+8)
        day = (at + 8 * 3600) // 86400
        n_in = pick.randrange(1, 9)
        n_out = pick.randrange(0, inside.get(day, 0) + 1)
        inside[day] = inside.get(day, 0) + n_in - n_out
        record_count(
            engine, slug, gates[k % 2], boss, n_in=n_in, n_out=n_out,
            at=datetime.fromtimestamp(at, UTC), idempotency_key=f"gate-{k}" if k % 3 else None,
        )  # fmt: skip


def _inside(engine, slug: str) -> tuple[float, float]:
    from gridmgr import services

    cells = services.plan_cells(engine, slug)
    point = cells.geometry.iloc[0].representative_point()
    return point.x, point.y


def all_rows(engine, table: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()]
