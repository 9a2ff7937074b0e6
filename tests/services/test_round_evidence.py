"""Proof in the coverage report: today's rounds, those without a position in the cell, late entries
and the cells whose rounds all lack proof, on SQLite and PostGIS, against a count made here."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from gridmgr.rules.evidence import Location

from webtools import seed_park


@pytest.fixture
def park(engine, tmp_path):
    return seed_park(engine, tmp_path, wardens=6)


def test_the_report_counts_rounds_without_proof_apart(engine, park):
    """Random rounds in six cells (in the cell, 2 km off, no position; on time or late): the report's
    counts equal those of what was logged, the JSON carries them as added keys, and a cell is
    unproven exactly when it has rounds and none of them is in the cell."""
    from gridmgr import services
    from gridmgr.web.api.serialise import report_to_json

    rng = random.Random(16)
    now = datetime.now(UTC).replace(microsecond=0)
    cells = services.plan_cells(engine, park.slug)
    local_midnight = (now + timedelta(hours=8)).replace(hour=0, minute=0, second=0) - timedelta(
        hours=8
    )
    logged: dict[str, list[tuple[bool, bool]]] = {}
    for k, code in enumerate(park.codes[:6]):
        inside = cells.geometry.iloc[k].representative_point()
        for _ in range(rng.randrange(0, 4)):
            kind = rng.choice(["in", "far", "none"])
            where = {
                "in": Location(inside.x, inside.y, 10.0),
                "far": Location(inside.x + 0.03, inside.y, 10.0),
                "none": None,
            }[kind]
            # today on the area's clock, up to now: some more than 15 minutes back (late)
            span = int((now - local_midnight).total_seconds())
            at = now - timedelta(seconds=rng.randrange(0, max(span, 1)))
            made = services.record_round(
                engine, park.slug, code, f"warden{k + 1}", at=at, location=where, manager=False
            ).round
            logged.setdefault(code, []).append((bool(made.in_cell), made.late_entry))
            assert made.late_entry == (now - at > timedelta(minutes=15))
    report = services.coverage_report(engine, park.slug)
    proof = report.evidence
    assert proof.rounds_today == sum(len(v) for v in logged.values())
    assert proof.rounds_without_proof == sum(not p for v in logged.values() for p, _ in v)
    assert proof.late_entries == sum(late for v in logged.values() for _, late in v)
    unproven = {c for c, v in logged.items() if v and not any(p for p, _ in v)}
    assert set(report.unproven()) == unproven
    out = report_to_json(report)
    assert (out["rounds_today"], out["rounds_without_proof"], out["late_entries"]) == (
        proof.rounds_today, proof.rounds_without_proof, proof.late_entries,
    )  # fmt: skip
    assert set(out["unproven"]) == unproven
    # the day summary of today gives the same per cell
    today = report.at.date()
    summary = services.coverage_report(engine, park.slug, day=today)
    per_cell = {c.code: (c.rounds, c.without_proof) for c in summary.day.cells}
    for code in park.codes[:6]:
        v = logged.get(code, [])
        assert per_cell[code] == (len(v), sum(not p for p, _ in v))
    yesterday = services.coverage_report(engine, park.slug, day=today - timedelta(days=1))
    assert all(c.rounds == 0 for c in yesterday.day.cells)
    day_json = report_to_json(summary)["day"]["cells"]
    assert sum(c["without_proof"] for c in day_json) == proof.rounds_without_proof


def test_a_day_without_rounds_counts_nothing(engine, park):
    from gridmgr import services

    report = services.coverage_report(engine, park.slug)
    assert (report.evidence.rounds_today, report.evidence.rounds_without_proof) == (0, 0)
    assert report.unproven() == ()
