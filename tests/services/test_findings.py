"""Findings and the ledger through the services, on SQLite and PostGIS: recording, the moves between
states, who may make them, history and audit, photos, idempotent retries, re-grids carrying findings
with their ground, and the ledger's figures (the seeds' reports and a 2,000-finding short run)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import shapely
from PIL import Image
from sqlalchemy import func, select

from gridmgr import services
from gridmgr.db.models import AuditEvent, Finding, FindingEvent, Photo
from gridmgr.db.store import bulk_insert, reading, transaction
from gridmgr.errors import Conflict, Forbidden, InvalidInput, LimitExceeded, NotFound
from gridmgr.services import findings as f
from gridmgr.services.categories import add_categories, list_categories
from gridmgr.services.ledger import FindingFilter, ledger, list_findings

from conftest import GEODATA
from webtools import seed_park

MANAGER = f.Actor("li", "manager")
PLANNER = f.Actor("wang", "planner")
WARDEN1 = f.Actor("warden1", "warden", "warden1")
WARDEN2 = f.Actor("warden2", "warden", "warden2")
SOON = (date.today() + timedelta(days=10)).isoformat()
LONG_AGO = "2026-01-05T09:00"


@pytest.fixture
def park(engine, tmp_path):
    return seed_park(engine, tmp_path)


def jpeg(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return out.getvalue()


def on_spot(text="未戴口罩", category="masks", **kw) -> f.NewFinding:
    return f.NewFinding(category=category, text=text, fixed_now=True, note="当场劝导", **kw)


def with_deadline(text="垃圾未清运", category="waste", person="warden1", **kw) -> f.NewFinding:
    return f.NewFinding(
        category=category, text=text, deadline=SOON, unit="物业公司", person=person, **kw
    )


def counts(engine) -> tuple[int, int, int, int]:
    with reading(engine) as s:
        return tuple(
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Finding, FindingEvent, Photo, AuditEvent)
        )


def test_the_seeds_figures_harbin_then_yichun(engine, park):
    """44 problems in ten categories: 39 fixed on the spot, 5 with deadlines (rate 0.886); the five
    fixed and closed: 1.0. Then Yichun's 158 found and 145 rectified: 0.918."""
    cats = [c.key for c in list_categories(engine)]
    assert len(cats) == 10
    deadline_ids = []
    for k in range(44):
        code = park.codes[k % 10]
        new = (
            on_spot(f"问题 {k}", cats[k % 10])
            if k < 39
            else with_deadline(f"问题 {k}", cats[k % 10])
        )
        made, created = f.record_finding(engine, park.slug, code, new, MANAGER)
        assert created and made.status == ("closed" if k < 39 else "open")
        if k >= 39:
            deadline_ids.append(made.id)
    got = ledger(engine, park.slug)
    fig = got.figures
    assert (fig.found, fig.fixed_on_spot, fig.with_deadline, fig.rectified) == (44, 39, 5, 39)
    assert fig.rate == 0.886 and fig.open == 5
    assert len([c for c in got.by_category if c.found]) == 10
    assert sum(c.found for c in got.by_cell) == 44
    for fid in deadline_ids:
        assert f.fix_finding(engine, fid, WARDEN1, note="已清运").status == "fixed"
        assert f.close_finding(engine, fid, MANAGER).status == "closed"
    assert ledger(engine, park.slug).figures.rate == 1.0
    other = services.add_area(
        engine, GEODATA / "demo_community.geojson", name="Yichun", kind="community"
    ).slug
    services.grid(engine, other, count=12)
    codes = list(services.plan_cells(engine, other)["code"])
    for k in range(158):
        made, _ = f.record_finding(engine, other, codes[k % 12], with_deadline(f"p{k}"), MANAGER)
        if k < 145:
            f.close_finding(engine, made.id, MANAGER, note="核实")
    yichun = ledger(engine, other).figures
    assert (yichun.found, yichun.rectified, yichun.rate) == (158, 145, 0.918)


def test_a_finding_moves_open_fixed_closed_reopened_with_history_and_audit(engine, park):
    made, _ = f.record_finding(engine, park.slug, park.codes[0], with_deadline(), WARDEN1)
    assert made.found_by == "warden1" and made.status == "open" and not made.overdue
    before = counts(engine)
    with pytest.raises(Forbidden, match="only managers close"):
        f.close_finding(engine, made.id, WARDEN1)  # a warden closing its own finding
    with pytest.raises(Forbidden, match="responsible person"):
        f.fix_finding(engine, made.id, WARDEN2)
    with pytest.raises(Forbidden):
        f.extend_finding(engine, made.id, PLANNER, deadline="2099-01-01", reason="x")
    assert counts(engine) == before  # refusals wrote nothing
    fixed = f.fix_finding(engine, made.id, WARDEN1, note="已清运")
    assert fixed.status == "fixed" and fixed.fixed_at
    with pytest.raises(Conflict, match="cannot be fixed"):
        f.fix_finding(engine, made.id, WARDEN1)
    closed = f.close_finding(engine, made.id, MANAGER, note="核实无误")
    assert (closed.status, closed.closed_as) == ("closed", "rectified")
    reopened = f.reopen_finding(engine, made.id, MANAGER, note="又堆满了")
    assert reopened.status == "open" and reopened.closed_at is None
    later = (date.fromisoformat(SOON) + timedelta(days=7)).isoformat()
    extended = f.extend_finding(engine, made.id, MANAGER, deadline=later, reason="等待清运车")
    assert extended.deadline == later
    with pytest.raises(InvalidInput, match="must be after"):
        f.extend_finding(engine, made.id, MANAGER, deadline=SOON, reason="earlier")
    wrong = f.close_finding(engine, made.id, MANAGER, in_error=True)
    assert wrong.closed_as == "error"
    assert [e.action for e in wrong.events] == [
        "recorded", "fixed", "closed", "reopened", "extended", "closed",
    ]  # fmt: skip
    assert wrong.events[4].details == {"from": SOON, "to": later}
    with reading(engine) as s:
        audit = s.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.action.like("finding.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert audit == [
        ("warden1", "finding.add"), ("warden1", "finding.fix"), ("li", "finding.close"),
        ("li", "finding.reopen"), ("li", "finding.extend"), ("li", "finding.close"),
    ]  # fmt: skip
    # recorded in error counts nowhere
    assert ledger(engine, park.slug).figures.found == 0


def test_wardens_record_only_in_their_cells_and_planners_not_at_all(engine, park):
    before = counts(engine)
    with pytest.raises(Forbidden, match="you do not hold cell"):
        f.record_finding(engine, park.slug, park.codes[0], on_spot(), WARDEN2)
    with pytest.raises(Forbidden):
        f.record_finding(engine, park.slug, park.codes[0], on_spot(), PLANNER)
    with pytest.raises(Forbidden, match="only as itself"):
        f.record_finding(engine, park.slug, park.codes[0], on_spot(by="warden9"), WARDEN1)
    assert counts(engine) == before


def test_a_finding_for_a_cell_of_another_area_is_not_found(engine, park):
    other = services.add_area(engine, GEODATA / "demo_community.geojson", name="Other").slug
    services.grid(engine, other, count=4)
    before = counts(engine)
    with pytest.raises(NotFound, match="has no cell"):
        f.record_finding(engine, other, park.codes[0], on_spot(), MANAGER)
    assert counts(engine) == before


BAD = [
    (f.NewFinding(category="nope", text="x", fixed_now=True), "unknown category 'nope'"),
    (f.NewFinding(category="masks", text="x" * 100_000, fixed_now=True), "at most 4,000"),
    (f.NewFinding(category="masks", text="a\x00b", fixed_now=True), "control character"),
    (f.NewFinding(category="masks", text="a\x1bb", fixed_now=True), r"U\+001B"),
    (f.NewFinding(category="masks", text="  ", fixed_now=True), "the text is required"),
    (f.NewFinding(category="masks", text="x"), "missing: deadline, unit, person"),
    (
        f.NewFinding(category="masks", text="x", fixed_now=True, deadline=SOON),
        "fixed on the spot has no deadline",
    ),
    (
        f.NewFinding(category="masks", text="x", deadline="2026-13-01", unit="u", person="p"),
        "not a date",
    ),
    (
        f.NewFinding(category="masks", text="x", fixed_now=True, at="2099-01-01T00:00"),
        "in the future",
    ),
    (
        f.NewFinding(
            category="masks", text="x", at=LONG_AGO, deadline="2026-01-01", unit="u", person="p"
        ),
        "before the day the problem was found",
    ),
    (
        f.NewFinding(category="masks", text="x", fixed_now=True, lon=0.0, lat=0.0),
        "m from cell",
    ),
    (f.NewFinding(category="masks", text="x", fixed_now=True, lon=200.0, lat=1.0), "WGS84"),
    (
        f.NewFinding(category="masks", text="x", fixed_now=True, unit="u\nv", person="p"),
        r"the unit holds a control character \(U\+000A\)",
    ),
]


def test_bad_findings_are_refused_naming_the_fault_and_write_nothing(engine, park):
    before = counts(engine)
    for new, message in BAD:
        with pytest.raises(InvalidInput, match=message):
            f.record_finding(engine, park.slug, park.codes[0], new, MANAGER)
    assert counts(engine) == before


def test_categories_by_key_or_either_name_and_adding_an_existing_one_changes_nothing(engine, park):
    for name in ("masks", "MASKS", "Masks", "口罩佩戴"):
        made, _ = f.record_finding(
            engine, park.slug, park.codes[1], on_spot(category=name), MANAGER
        )
        assert made.category == "masks"
    added = add_categories(engine, ["Fire exits=消防通道", "masks", "口罩佩戴", "Fire exits"])
    assert [c.key for c in added] == ["fire_exits", "masks", "masks", "fire_exits"]
    assert len(list_categories(engine)) == 11
    assert add_categories(engine, ["占道经营"])[0].key == "zhandaojingying"  # pinyin
    made, _ = f.record_finding(
        engine, park.slug, park.codes[1], on_spot(category="占道经营"), MANAGER
    )
    assert made.category == "zhandaojingying"
    made, _ = f.record_finding(
        engine, park.slug, park.codes[1], on_spot(category="消防通道"), MANAGER
    )
    assert made.category == "fire_exits"


def test_a_retry_with_the_same_key_stores_nothing_and_returns_the_first(engine, park):
    first, new = f.record_finding(
        engine, park.slug, park.codes[0], on_spot(), WARDEN1, idempotency_key="k-1"
    )
    before = counts(engine)
    again, new_again = f.record_finding(
        engine, park.slug, park.codes[0], on_spot(), WARDEN1, idempotency_key="k-1"
    )
    assert new and not new_again and again.id == first.id and counts(engine) == before
    with pytest.raises(Conflict, match="Idempotency-Key"):
        f.record_finding(
            engine, park.slug, park.codes[0], on_spot("another"), WARDEN1, idempotency_key="k-1"
        )


def test_photos_at_most_five_per_stage_and_seen_only_by_who_may(engine, park):
    made, _ = f.record_finding(
        engine, park.slug, park.codes[0], with_deadline(), WARDEN1,
        photos=[("a.jpg", jpeg())] * 5,
    )  # fmt: skip
    assert [p.stage for p in made.photos] == ["found"] * 5
    before = counts(engine)
    with pytest.raises(LimitExceeded, match="already has 5 photos"):
        f.add_photo(engine, made.id, WARDEN1, "six.jpg", jpeg())
    with pytest.raises(Forbidden):
        f.add_photo(engine, made.id, WARDEN2, "b.jpg", jpeg())
    assert counts(engine) == before
    f.fix_finding(engine, made.id, WARDEN1, note="done", photos=[("fix.jpg", jpeg())])
    ref = f.add_photo(engine, made.id, WARDEN1, "fix2.jpg", jpeg())
    assert ref.stage == "fix"
    photo = f.photo_data(engine, ref.id, MANAGER)
    assert photo.mime == "image/jpeg" and photo.data[:2] == b"\xff\xd8"
    assert f.photo_data(engine, ref.id, PLANNER, thumb=True).data[:2] == b"\xff\xd8"
    with pytest.raises(Forbidden):
        f.photo_data(engine, ref.id, WARDEN2)
    with pytest.raises(NotFound):
        f.photo_data(engine, 10**12, MANAGER)


def test_a_photo_too_large_or_a_failing_write_leaves_nothing_half_written(
    engine, park, monkeypatch
):
    before = counts(engine)
    big = b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 1)
    with pytest.raises(LimitExceeded, match="at most 10 MB"):
        f.record_finding(
            engine, park.slug, park.codes[0], on_spot(), WARDEN1, photos=[("big.jpg", big)]
        )
    assert counts(engine) == before
    # the database refuses the photo's row: the finding, its event and audit line go with it
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from gridmgr.errors import DatabaseUnavailable

    def refuse(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO PHOTOS"):
            raise OperationalError(statement, params, Exception("disk I/O error"))

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(DatabaseUnavailable):
            f.record_finding(
                engine, park.slug, park.codes[0], on_spot(), WARDEN1, photos=[("a.jpg", jpeg())]
            )
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
    assert counts(engine) == before


def test_a_regrid_moves_findings_with_their_ground_and_keeps_the_recorded_code(engine, park):
    cells = services.plan_cells(engine, park.slug)
    inside = shapely.point_on_surface(cells.geometry.iloc[5])
    pointed, _ = f.record_finding(
        engine, park.slug, park.codes[5], on_spot(lon=inside.x, lat=inside.y), MANAGER
    )
    bare, _ = f.record_finding(engine, park.slug, park.codes[20], with_deadline(), MANAGER)
    services.grid(engine, park.slug, count=9)
    new = services.plan_cells(engine, park.slug)
    with reading(engine) as s:
        views = {v.id: v for v in f.finding_views(s, [pointed.id, bare.id])}
    holder = new[new.geometry.intersects(inside)]["code"].tolist()
    assert views[pointed.id].cell == park.codes[5] and views[pointed.id].cell_now in holder
    old_shape = cells.set_index("code").geometry[park.codes[20]]
    shared = shapely.area(shapely.intersection(np.asarray(new.geometry.values), old_shape))
    assert views[bare.id].cell_now == new["code"].iloc[int(np.argmax(shared))]
    assert views[bare.id].cell == park.codes[20]
    # back to the first plan's cells: the finding is in a cell of the active plan again
    services.restore_plan(engine, park.slug, 1)
    with reading(engine) as s:
        (view,) = f.finding_views(s, [pointed.id])
    assert view.cell_now == park.codes[5]


def test_listing_filters_pages_and_a_wardens_view(engine, park):
    for k in range(7):
        f.record_finding(engine, park.slug, park.codes[0], on_spot(f"a{k}"), WARDEN1)
    f.record_finding(engine, park.slug, park.codes[1], with_deadline(person="warden2"), MANAGER)
    f.record_finding(
        engine, park.slug, park.codes[2], with_deadline("old", at=LONG_AGO, person="x"), MANAGER
    )
    page = list_findings(engine, park.slug, viewer=MANAGER, per_page=3, page=2)
    assert (page.total, page.pages, len(page.items)) == (9, 3, 3)
    assert page.figures.found == 9 and page.figures.overdue == 0  # the LONG_AGO one is due SOON
    only = list_findings(engine, park.slug, FindingFilter(status="open"), viewer=MANAGER)
    assert only.total == 2 and only.figures.found == 9
    by_cell = list_findings(engine, park.slug, FindingFilter(cell=park.codes[0]), viewer=MANAGER)
    assert by_cell.total == 7
    who = list_findings(engine, park.slug, FindingFilter(responsible="物业"), viewer=MANAGER)
    assert who.total == 2
    period = list_findings(
        engine, park.slug, FindingFilter(date_from="2026-01-01", date_to="2026-01-31"),
        viewer=MANAGER,
    )  # fmt: skip
    assert [v.text for v in period.items] == ["old"]
    mine = list_findings(engine, park.slug, viewer=WARDEN2)  # its cell's and its charge
    assert [v.person for v in mine.items] == ["warden2"]
    with pytest.raises(InvalidInput, match="status 'lost'"):
        list_findings(engine, park.slug, FindingFilter(status="lost"), viewer=MANAGER)
    assert [v.text for v in f.warden_findings(engine, "warden2")] == ["垃圾未清运"]


def test_overdue_after_the_end_of_the_deadline_day_on_the_areas_clock(engine, park):
    made, _ = f.record_finding(
        engine, park.slug, park.codes[0], with_deadline(at="2026-01-05T09:00"), MANAGER
    )
    with transaction(engine) as s:
        s.get(Finding, made.id).deadline = "2026-01-06"
    end = datetime(2026, 1, 7, tzinfo=UTC) - timedelta(hours=8)  # midnight in Shanghai
    assert ledger(engine, park.slug, at=end - timedelta(seconds=1)).figures.overdue == 0
    assert ledger(engine, park.slug, at=end).figures.overdue == 1
    listed = list_findings(engine, park.slug, FindingFilter(status="overdue"), viewer=MANAGER)
    assert [v.id for v in listed.items] == [made.id] and listed.items[0].overdue


def test_two_thousand_findings_give_the_ledgers_figures(engine, park):
    """A short version of benchmarks/bench_findings.py: bulk-written findings, figures checked
    against a count made here by another route."""
    rng = np.random.default_rng(3)
    n = 2000
    status = rng.choice(["open", "fixed", "closed"], n, p=[0.2, 0.1, 0.7])
    mode = rng.choice(["on_spot", "deadline"], n)
    status[mode == "on_spot"] = "closed"
    closed_as = np.where(
        status == "closed", rng.choice(["rectified", "error"], n, p=[0.95, 0.05]), None
    )
    base = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    with reading(engine) as s:
        from gridmgr.db.models import Cell, GridPlan
        from gridmgr.db.queries import get_area

        area = get_area(s, park.slug)
        cell_ids = (
            s.execute(
                select(Cell.id).join(GridPlan).where(GridPlan.area_id == area.id, GridPlan.active)
            )
            .scalars()
            .all()
        )
    rows = [
        {
            "area_id": area.id, "cell_id": cell_ids[k % 30], "cell_code": park.codes[k % 30],
            "category_id": 1 + k % 10, "text": f"p{k}", "found_by": "bench",
            "found_at_s": base + k * 600, "received_at_s": base + k * 600, "mode": str(mode[k]),
            "deadline": "2026-03-20" if mode[k] == "deadline" else None,
            "status": str(status[k]), "closed_as": closed_as[k],
        }
        for k in range(n)
    ]  # fmt: skip
    with transaction(engine) as s:
        bulk_insert(s, Finding, rows)
    at = datetime(2026, 4, 1, tzinfo=UTC)
    got = ledger(engine, park.slug, at=at, period="day")
    counted = closed_as != "error"
    fig = got.figures
    assert fig.found == int(counted.sum())
    assert fig.rectified == int((counted & (status == "closed")).sum())
    assert fig.overdue == int((counted & (status == "open")).sum())  # 2026-03-20 has passed
    assert fig.fixed_on_spot == int((counted & (mode == "on_spot")).sum())
    assert sum(c.found for c in got.by_category) == fig.found
    assert sum(c.found for c in got.by_cell) == fig.found
    assert sum(p.found for p in got.by_period) == fig.found
    assert len(got.by_period) == 15  # 2,000 × 10 minutes: 13.9 days from March 1st, 08:00
    march = ledger(engine, park.slug, date_from="2026-03-01", date_to="2026-03-05", at=at)
    assert march.figures.found == int(counted[: (5 * 24 - 8) * 6].sum())
