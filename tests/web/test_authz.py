"""The pages' authorisation matrix: every page endpoint (from the app's URL map) × every role × the
warden who holds the cell and one who does not, with what each may do and proof that a refused
request wrote nothing. (The JSON API has its own matrix in test_web_api.py.)"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from gridmgr.db.models import Base
from gridmgr.db.store import reading

from conftest import GEODATA
from webtools import PASSWORD, Seeded, csrf_of, login, seed_checkpoint, seed_park

ROLES = ("anonymous", "manager", "planner", "warden_own", "warden_other")
# warden1 holds the first cell, the one every /me/cells/… URL names; warden2 holds another
LOGINS = {
    "manager": "manager",
    "planner": "planner",
    "warden_own": "warden1",
    "warden_other": "warden2",
}
WARDENS = ("warden_own", "warden_other")
HOME = {"manager": "/areas", "planner": "/areas", "warden_own": "/me", "warden_other": "/me"}
EVERYONE = {r: 200 for r in ROLES}


@dataclass
class Case:
    """One endpoint and method: its URL, the form it posts, and what each role gets.

    `allowed` maps a role to the status it gets, or to (status, where it is sent); a role not in it
    is refused: anonymous is sent to the login page, a logged-in role gets 403 and the error page.
    `writes`: an allowed request adds audit events (a change); refused ones never write anything.
    `fresh`: each role uses a new client (the request ends or replaces its session).
    `cell_refusal`: what a warden is told on a cell she does not hold (else she lacks the role).
    """

    path: str
    allowed: dict[str, Any]
    form: Callable[[Seeded], dict[str, Any]] | None = None
    writes: bool = False
    fresh: bool = False
    cell_refusal: str | None = None
    roles: tuple[str, ...] = field(default=ROLES)


def _boundary(_: Seeded) -> dict[str, Any]:
    data = (GEODATA / "demo_community.geojson").read_bytes()
    return {
        "name": "Xinhe",
        "kind": "community",
        "crs": "wgs84",
        "boundary": (io.BytesIO(data), "xinhe.geojson"),
    }


def _wardens_csv(_: Seeded) -> dict[str, Any]:
    return {"file": (io.BytesIO(b"name,phone\nimported1,13900000001\n"), "more.csv")}


# In the order they run: writes that move wardens or re-grid come after the pages that rely on
# warden1 holding the first cell.
MATRIX: dict[tuple[str, str], Case] = {
    ("auth.home", "GET"): Case(
        "/", {"anonymous": (302, "/login"), **{r: (302, HOME[r]) for r in HOME}}
    ),
    ("auth.healthz", "GET"): Case("/healthz", EVERYONE),
    ("auth.login", "GET"): Case("/login", EVERYONE),
    ("i18n.switch", "GET"): Case("/lang/en?next=/areas", {r: (302, "/areas") for r in ROLES}),
    ("manage.areas", "GET"): Case("/areas", {"manager": 200, "planner": 200}),
    ("manage.coverage_map", "GET"): Case("/areas/{slug}/map", {"manager": 200, "planner": 200}),
    ("overview.page", "GET"): Case("/areas/{slug}/overview", {"manager": 200}),
    ("report.page", "GET"): Case("/areas/{slug}/report", {"manager": 200, "planner": 200}),
    ("plan.page", "GET"): Case("/areas/{slug}/plan", {"manager": 200, "planner": 200}),
    ("plan.new_area", "GET"): Case("/areas/new", {"planner": 200}),
    ("staff.wardens", "GET"): Case("/wardens", {"manager": 200}),
    ("staff.area", "GET"): Case("/areas/{slug}/staff", {"manager": 200}),
    ("audit.log", "GET"): Case("/audit", {"manager": 200}),
    ("warden.me", "GET"): Case("/me", {w: 200 for w in WARDENS}),
    ("warden.cell", "GET"): Case(
        "/me/cells/{slug}/{code}", {"warden_own": 200}, cell_refusal="you do not hold cell"
    ),
    ("warden.log_round", "POST"): Case(
        "/me/cells/{slug}/{code}/rounds",
        {"warden_own": (303, "/me#cell-{slug}-{code}")},
        form=lambda p: {"note": "matrix"},
        writes=True,
        cell_refusal="you do not hold cell",
    ),
    # findings: the ledger page, exports, the managers' actions, the warden's report and fix
    ("findings.ledger_page", "GET"): Case(
        "/areas/{slug}/findings", {"manager": 200, "planner": 200}
    ),
    ("findings.export", "GET"): Case(
        "/areas/{slug}/findings/export.csv", {"manager": 200, "planner": 200}
    ),
    ("findings.report", "POST"): Case(
        "/me/cells/{slug}/{code}/findings",
        {"warden_own": (303, "/me#cell-{slug}-{code}")},
        form=lambda p: {"category": "masks", "text": "matrix", "plan": "now"},
        writes=True,
        cell_refusal="you do not hold cell",
    ),
    ("findings.report_fix", "POST"): Case(
        "/me/findings/{fix_finding}/fix",
        {"warden_own": (303, "/me#findings")},
        form=lambda p: {"note": "matrix"},
        writes=True,
        cell_refusal="only the responsible person",
    ),
    ("findings.act", "POST"): Case(
        "/findings/{close_finding}/close",
        {"manager": (303, "/areas/{slug}/findings")},
        form=lambda p: {"note": "matrix"},
        writes=True,
    ),
    # the gate page of the park's checkpoint, where warden1 (warden_own) is posted
    ("gates.gate", "GET"): Case(
        "/areas/{slug}/checkpoints/{checkpoint_id}/gate",
        {"manager": 200, "warden_own": 200},
        cell_refusal="you are not posted at checkpoint",
    ),
    ("plan.preview", "POST"): Case(
        "/areas/{slug}/plan/preview",
        {"planner": 200},
        form=lambda p: {"mode": "count", "count": "12"},
    ),
    ("staff.add_warden", "POST"): Case(
        "/wardens",
        {"manager": (302, "/wardens")},
        form=lambda p: {"name": "matrix warden", "phone": "13900000000", "role": "member"},
        writes=True,
    ),
    ("staff.import_wardens", "POST"): Case(
        "/wardens/import", {"manager": (302, "/wardens")}, form=_wardens_csv, writes=True
    ),
    ("staff.assign", "POST"): Case(
        "/areas/{slug}/staff/assign",
        {"manager": (302, "/areas/{slug}/staff")},
        form=lambda p: {"codes": p.codes[3], "warden": "warden2", "role": "volunteer"},
        writes=True,
    ),
    ("staff.unassign", "POST"): Case(
        "/areas/{slug}/staff/unassign",
        {"manager": (302, "/areas/{slug}/staff")},
        form=lambda p: {"codes": p.codes[3], "warden": "warden2"},
        writes=True,
    ),
    ("staff.schedule", "POST"): Case(
        "/areas/{slug}/staff/schedule",
        {"manager": (302, "/areas/{slug}/staff")},
        form=lambda p: {
            "codes": p.codes[4],
            "times": "09:00 15:00",
            "extra": "2",
            "before": "30",
            "after": "90",
        },
        writes=True,
    ),
    ("plan.new_area", "POST"): Case(
        "/areas/new", {"planner": (302, "/areas/xinhe/plan")}, form=_boundary, writes=True
    ),
    ("staff.auto", "POST"): Case(
        "/areas/{slug}/staff/auto",
        {"manager": (302, "/areas/{slug}/staff")},
        form=lambda p: {},
        writes=True,
    ),
    ("staff.require_location", "POST"): Case(
        "/areas/{slug}/staff/location",
        {"manager": (302, "/areas/{slug}/staff")},
        form=lambda p: {"require_location": "1"},
        writes=True,
    ),
    # the warden page's service worker and manifest: public, like the static files
    ("offline.service_worker", "GET"): Case("/sw.js", EVERYONE),
    ("offline.manifest", "GET"): Case("/manifest.webmanifest", EVERYONE),
    ("plan.commit", "POST"): Case(
        "/areas/{slug}/plan/commit",
        {"planner": (302, "/areas/{slug}/plan")},
        form=lambda p: {"mode": "count", "count": "30"},
        writes=True,
    ),
    ("plan.restore", "POST"): Case(
        "/areas/{slug}/plan/restore",
        {"planner": (302, "/areas/{slug}/plan")},
        form=lambda p: {"version": "1"},
        writes=True,
    ),
    # these end or replace the session: each role on a client of its own; logout comes last, as it
    # ends every session of its user (the shared clients' too)
    ("auth.login", "POST"): Case(
        "/login",
        {r: (302, HOME[r]) for r in HOME} | {"anonymous": 401},
        fresh=True,
        form=lambda p: {},  # filled per role: its own name and password (anonymous: a wrong one)
    ),
    ("auth.logout", "POST"): Case(
        "/logout", {r: (302, "/login") for r in ROLES}, form=lambda p: {}, fresh=True
    ),
}


def page_endpoints(app) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app serves outside the JSON API and the static files."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/api/", "/static/"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def row_counts(engine) -> dict[str, int]:
    """The number of rows in every table of the schema."""
    with reading(engine) as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, LOGINS[role]).status_code == 302
    return client


def _url(template: str, park: Seeded) -> str:
    return template.format(slug=park.slug, code=park.codes[0], **getattr(park, "findings", {}))


def _request(client, case: Case, park: Seeded, method: str, role: str):
    url = _url(case.path, park)
    if method == "GET":
        return client.get(url)
    data = dict(case.form(park)) if case.form else {}
    if url == "/login":
        data |= {
            "username": LOGINS.get(role, "manager"),
            "password": PASSWORD if role != "anonymous" else "not the password",
        }
    data["csrf_token"] = csrf_of(client, "/login")  # a valid token of this client's session
    return client.post(url, data=data, content_type="multipart/form-data")


def check(app, engine, park: Seeded, key: tuple[str, str], clients: dict[str, Any]) -> None:
    """Every role on one endpoint: allowed ones get their page or redirect, refused ones nothing."""
    endpoint, method = key
    case = MATRIX[key]
    for role in case.roles:
        client = _client(app, role) if case.fresh else clients[role]
        before = row_counts(engine)
        got = _request(client, case, park, method, role)
        where = (endpoint, method, role)
        body = got.get_data(as_text=True)
        after = row_counts(engine)
        want = case.allowed.get(role)
        if want is not None:
            status, location = want if isinstance(want, tuple) else (want, None)
            assert got.status_code == status, (*where, body[:400])
            if location is not None:
                target = _url(location, park)
                assert got.headers["Location"].split("?")[0] == target.split("?")[0], where
            if case.writes:
                assert after["audit_events"] > before["audit_events"], where
            elif endpoint != "auth.login":  # a login may fail: it writes nothing either way
                assert after == before, where
            continue
        assert after == before, where  # refused: nothing written, not even an audit line
        if role == "anonymous":
            assert got.status_code == 302, where
            assert got.headers["Location"].startswith("/login?next="), where
        else:
            assert got.status_code == 403, where
            told = case.cell_refusal if role == "warden_other" and case.cell_refusal else None
            assert 'role="alert"' in body and (told or "this needs the role") in body, where
            assert "Traceback" not in body


@pytest.fixture
def clients_on(tmp_path):
    """A seeded park on `engine` and an app, with a logged-in client per role."""

    def make(engine, app_factory):
        from gridmgr.services import findings as f

        park = seed_park(engine, tmp_path)
        boss = f.Actor("manager", "manager")
        new = f.NewFinding(
            category="waste", text="matrix", deadline="2099-01-01", unit="u", person="warden1"
        )
        park.findings = {  # type: ignore[attr-defined]
            key: f.record_finding(engine, park.slug, park.codes[0], new, boss)[0].id
            for key in ("fix_finding", "close_finding")
        } | seed_checkpoint(engine, park)
        app = app_factory()
        clients = {r: _client(app, r) for r in ROLES}
        return app, park, clients

    return make


def test_every_page_endpoint_for_every_role(engine, app_factory, clients_on):
    app, park, clients = clients_on(engine, app_factory)
    served = page_endpoints(app)
    assert served == set(MATRIX), (
        f"page endpoints missing from the matrix: {sorted(served - set(MATRIX))}; "
        f"in the matrix but not served: {sorted(set(MATRIX) - served)}"
    )
    for key in MATRIX:
        check(app, engine, park, key, clients)


def test_a_warden_cannot_log_in_another_wardens_cell(engine, app_factory, clients_on):
    _, park, clients = clients_on(engine, app_factory)
    url = f"/me/cells/{park.slug}/{park.codes[0]}/rounds"
    before = row_counts(engine)
    other = clients["warden_other"]
    got = other.post(url, data={"note": "not mine", "csrf_token": csrf_of(other, "/me")})
    assert got.status_code == 403 and row_counts(engine) == before
    own = clients["warden_own"]
    got = own.post(url, data={"note": "mine", "csrf_token": csrf_of(own, "/me")})
    assert got.status_code == 303
    after = row_counts(engine)
    assert after["rounds"] == before["rounds"] + 1
    assert after["audit_events"] == before["audit_events"] + 1


# --- scoped users: the same endpoints for managers and planners limited to an area -------------

SCOPED = {  # login -> (the role it has, where its scope is: over the park or beside it)
    "manager_in": ("manager", "district"),
    "planner_in": ("planner", "district"),
    "manager_out": ("manager", "other"),
    "planner_out": ("planner", "other"),
}
NAMES_THE_PARK = ("{slug}", "{fix_finding}", "{close_finding}", "{checkpoint_id}")


def scope_park(engine, park: Seeded) -> None:
    """A district over the park and another area beside it, and a scoped login per SCOPED."""
    from sqlalchemy import update

    from gridmgr import services
    from gridmgr.db.models import Area
    from gridmgr.db.store import transaction

    services.add_area(engine, GEODATA / "demo_park.geojson", name="District", slug="district")
    services.add_area(engine, GEODATA / "demo_community.geojson", name="Other", slug="other")
    with transaction(engine) as s:
        district = s.execute(select(Area.id).where(Area.slug == "district")).scalar_one()
        s.execute(update(Area).where(Area.slug == park.slug).values(parent_id=district))
    for username, (role, scope) in SCOPED.items():
        services.add_user(engine, username, role=role, password=PASSWORD, scope=scope)


def test_scoped_users_act_only_within_their_area_and_refusals_write_nothing(
    engine, app_factory, clients_on
):
    """Every page endpoint for managers and planners scoped over the park (as their role, reading)
    and beside it (404 for whatever names the park or its findings and gates, nothing written);
    adding a top-level area is 403 for every scoped user; lists show only the scope's areas."""
    app, park, _ = clients_on(engine, app_factory)
    scope_park(engine, park)
    clients = {}
    for username in SCOPED:
        clients[username] = app.test_client()
        assert login(clients[username], username).status_code == 302
    for key, case in MATRIX.items():
        endpoint, method = key
        if case.fresh or "anonymous" not in case.roles:
            continue
        for username, (role, where) in SCOPED.items():
            client = clients[username]
            if where == "district" and method != "GET":
                continue  # writes as the role itself: the role matrix above covers them
            before = row_counts(engine)
            got = _request(client, case, park, method, role)
            body, after = got.get_data(as_text=True), row_counts(engine)
            want = case.allowed.get(role)
            status = want[0] if isinstance(want, tuple) else want
            if endpoint == "plan.new_area":
                status = 403  # a scoped user adds no area outside its scope
            elif where == "other" and any(n in case.path for n in NAMES_THE_PARK):
                status = 404  # outside the scope, whatever the role: as if it did not exist
            elif status is None:
                status = 403
            assert got.status_code == status, (endpoint, method, username, body[:300])
            if status >= 400 or method == "GET":
                assert after == before, (endpoint, method, username)
            if status in (403, 404):
                assert 'role="alert"' in body and "Traceback" not in body
    listed = clients["manager_out"].get("/areas").get_data(as_text=True)
    assert "/areas/other/plan" in listed and f"/areas/{park.slug}/" not in listed
    assert "/areas/district/" not in listed
    inside = clients["manager_in"].get("/areas").get_data(as_text=True)
    assert f"/areas/{park.slug}/map" in inside and "/areas/district/plan" in inside
    assert "/areas/other/" not in inside
    audit = clients["manager_out"].get(f"/audit?area={park.slug}")
    assert audit.status_code == 404
    roster = clients["manager_out"].get("/wardens").get_data(as_text=True)
    assert (
        f"/areas/{park.slug}/staff" not in roster and "warden1" not in roster
    )  # they hold cells there
    assert f"/areas/{park.slug}/staff" in clients["manager_in"].get("/wardens").get_data(
        as_text=True
    )
