"""The coverage map's rounds as evidence: a tooltip text for each cell with rounds today (how many lack
proof), the side panel's figures and the popup's data, all as the coverage report has them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gridmgr import services
from gridmgr.web.map_rounds import (
    UNPROVEN_OUTLINE,
    proof_counts,
    rounds_data,
    rounds_today_texts,
    unproven_legend_label,
)

TZ = ZoneInfo("Asia/Shanghai")


def test_texts_figures_and_data_follow_the_report(site, engine):
    app, seeded = site
    now = datetime.now(TZ)
    logged = {seeded.codes[0]: 2, seeded.codes[2]: 1}
    for k, (code, n) in enumerate(logged.items()):
        for m in range(n):
            at = now - timedelta(minutes=5 + 7 * m + k)
            if at.date() != now.date():  # just after midnight: keep today's
                at = now
            services.record_round(
                engine, seeded.slug, code, f"warden{seeded.codes.index(code) + 1}", at=at, now=now
            )
    report = services.coverage_report(engine, seeded.slug, at=now, with_cells=True)
    with app.test_request_context("/"):
        texts = rounds_today_texts(report)
        data = json.loads(rounds_data(report, seeded.slug, "cells-1"))
        counts = proof_counts(report)
        legend = unproven_legend_label()
    codes = list(report.evidence_codes)
    assert len(texts) == len(codes)
    for code, text in zip(codes, texts, strict=True):
        if code in logged:
            # logged without a position: every round lacks proof
            assert text == f"{logged[code]} · {logged[code]} without proof"
        else:
            assert text is None
    assert counts == {
        "rounds_today": 3, "rounds_without_proof": 3,
        "late_entries": report.evidence.late_entries, "unproven": len(report.unproven()),
    }  # fmt: skip
    assert set(report.unproven()) == set(logged) and data["unproven"] == list(report.unproven())
    assert data["rounds"] == f"/api/v1/areas/{seeded.slug}/cells/{{code}}/rounds"
    assert data["cellsKey"] == "cells-1" and data["outline"] == UNPROVEN_OUTLINE
    assert data["day"] == report.at.date().isoformat() and legend == "Rounds without proof"
