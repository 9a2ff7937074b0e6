"""Rounds for tests of history: a park with three months of rounds, and every round as stored."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from sqlalchemy import text

from gridmgr.db.models import Round
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
