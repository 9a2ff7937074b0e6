"""The coverage map's rounds as evidence: each cell's rounds today in its tooltip (how many lack proof,
how many were entered late), the cells whose rounds all lack proof outlined, and the data the cell
popup's rounds list (gridmgr-rounds.js, from GET …/cells/{code}/rounds) needs."""

from __future__ import annotations

import json

from flask import url_for

from gridmgr.services.coverage import CoverageReport
from gridmgr.web.i18n import gettext, labels
from gridmgr.web.maps import layers
from gridmgr.web.words import N_

UNPROVEN_OUTLINE = {"color": "#7048e8", "weight": 3, "opacity": 1, "dashArray": "6 4"}
ROUND_LABELS = {
    "title": N_("Rounds today"),
    "none": N_("No rounds logged today."),
    "late": N_("entered late"),
    "in_cell": N_("in the cell"),
    "outside": N_("outside the cell"),
    "no_position": N_("no position"),
    "unproven": N_("Rounds without proof"),
    "failed": N_("the rounds could not be loaded"),
}


def rounds_today_texts(report: CoverageReport) -> list[str | None]:
    """Per cell (the report's order): 'N' rounds today, with how many lack proof and were late."""
    proof = report.evidence
    out: list[str | None] = []
    for n, bare, late in zip(proof.rounds, proof.without_proof, proof.late, strict=True):
        if not n:
            out.append(None)
            continue
        parts = [str(int(n))]
        if bare:
            parts.append(gettext("{n} without proof", n=int(bare)))
        if late:
            parts.append(gettext("{n} entered late", n=int(late)))
        out.append(" · ".join(parts))
    return out


def rounds_data(report: CoverageReport, slug: str, cells_key: str) -> str:
    """The data of gridmgr-rounds.js, as JSON safe inside a <script>."""
    data = {
        "cellsKey": cells_key,
        # the popup fetches `rounds` with the cell's code in place of {code}
        "rounds": url_for("api.list_rounds", slug=slug, code="{code}").replace(
            "%7Bcode%7D", "{code}"
        ),
        "day": report.at.date().isoformat(),
        "unproven": list(report.unproven()),
        "outline": UNPROVEN_OUTLINE,
        "labels": labels(ROUND_LABELS),
    }
    return layers.script_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def proof_counts(report: CoverageReport) -> dict[str, int]:
    """The side panel's figures: rounds today, without proof, entered late, unproven cells."""
    proof = report.evidence
    return {
        "rounds_today": proof.rounds_today,
        "rounds_without_proof": proof.rounds_without_proof,
        "late_entries": proof.late_entries,
        "unproven": len(report.unproven()),
    }


def unproven_legend_label() -> str:
    """The legend's label of the outlined cells."""
    return gettext("Rounds without proof")
