"""Findings, categories and the ledger as the JSON the API answers and `gridmgr ... --json` prints."""

from __future__ import annotations

from typing import Any

from gridmgr.rules.rectification import Figures
from gridmgr.services.categories import Category
from gridmgr.services.findings import FindingView, PhotoRef
from gridmgr.services.ledger import FindingPage, GroupFigures, Ledger

API = "/api/v1"


def category_json(c: Category) -> dict[str, str]:
    """`{"key", "name_en", "name_zh"}`."""
    return {"key": c.key, "name_en": c.name_en, "name_zh": c.name_zh}


def photo_json(p: PhotoRef) -> dict[str, Any]:
    """A photo's id, stage, size and where to fetch it (and its thumbnail)."""
    return {
        "id": p.id,
        "stage": p.stage,
        "width": p.width,
        "height": p.height,
        "url": f"{API}/photos/{p.id}",
        "thumb_url": f"{API}/photos/{p.id}?size=thumb",
    }


def finding_json(f: FindingView) -> dict[str, Any]:
    """A finding: id, status (open, fixed, closed) and overdue, where, what, who, the plan to fix it."""
    out: dict[str, Any] = {
        "id": f.id,
        "status": f.status,
        "overdue": f.overdue,
        "area": f.area,
        "cell": f.cell,
        "cell_now": f.cell_now,
        "category": f.category,
        "category_name": {"en": f.category_en, "zh": f.category_zh},
        "text": f.text,
        "found_by": f.found_by,
        "found_at": f.found_at,
        "received_at": f.received_at,
        "location": None if f.lon is None else {"lon": f.lon, "lat": f.lat},
        "mode": f.mode,
        "fixed_now": f.mode == "on_spot",
        "deadline": f.deadline,
        "unit": f.unit,
        "person": f.person,
        "closed_as": f.closed_as,
        "note": f.note,
        "fixed_at": f.fixed_at,
        "closed_at": f.closed_at,
        "photos": [photo_json(p) for p in f.photos],
    }
    if f.events:
        out["events"] = [
            {"at": e.at, "actor": e.actor, "action": e.action, "note": e.note, "details": e.details}
            for e in f.events
        ]
    return out


def figures_json(f: Figures) -> dict[str, Any]:
    """The figures: found, fixed_on_spot, with_deadline, rectified, open, fixed, overdue, rate."""
    return {
        "found": f.found,
        "fixed_on_spot": f.fixed_on_spot,
        "with_deadline": f.with_deadline,
        "rectified": f.rectified,
        "open": f.open,
        "fixed": f.fixed,
        "overdue": f.overdue,
        "rate": f.rate,
    }


def _group(g: GroupFigures, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: g.key,
        "found": g.found,
        "rectified": g.rectified,
        "open": g.open,
        "overdue": g.overdue,
        "rate": g.rate,
    }
    if g.name_en is not None:
        out["name_en"], out["name_zh"] = g.name_en, g.name_zh
    return out


def ledger_json(ledger: Ledger) -> dict[str, Any]:
    """The ledger as the contract has it: the figures, then by_category, by_cell and by_period."""
    return {
        "area": ledger.area,
        "from": ledger.date_from,
        "to": ledger.date_to,
        "at": ledger.at,
        **figures_json(ledger.figures),
        "by_category": [_group(g, "category") for g in ledger.by_category],
        "by_cell": [_group(g, "cell") for g in ledger.by_cell],
        "period": ledger.period,
        "by_period": [_group(g, "period") for g in ledger.by_period],
    }


def page_json(page: FindingPage) -> dict[str, Any]:
    """A page of findings with its paging and the figures of all that match."""
    return {
        "area": page.area,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "pages": page.pages,
        "figures": figures_json(page.figures),
        "findings": [finding_json(f) for f in page.items],
    }
