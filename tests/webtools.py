"""What the web tests share: a seeded park, an app on a real database, a live server, a real browser."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import GEODATA

CHROMIUM = os.environ.get("GRIDMGR_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"  # every seeded user's


@dataclass
class Seeded:
    """A park split into 30 cells with wardens, schedules and logins, and what each login is."""

    slug: str
    codes: list[str]
    users: dict[str, dict] = field(default_factory=dict)  # username -> {role, warden}


def seed_park(engine, tmp_path: Path, *, name: str = "Haibin Park", wardens: int = 30) -> Seeded:
    """The demo park in 30 cells, `wardens` wardens (one per cell first), 3+1 schedules everywhere,
    and the users manager, planner, warden1 (holding the first cell) and warden2 (the second)."""
    from gridmgr import services

    slug = services.add_area(engine, GEODATA / "demo_park.geojson", name=name, kind="park").slug
    services.grid(engine, slug, count=30)
    csv = tmp_path / "wardens.csv"
    csv.write_text(
        "name,phone\n" + "".join(f"warden{k},1380000{k:04d}\n" for k in range(1, wardens + 1)),
        encoding="utf-8",
    )
    services.import_wardens(engine, csv)
    codes = list(services.plan_cells(engine, slug)["code"])
    for k, code in enumerate(codes[:wardens]):
        services.assign(engine, slug, [code], f"warden{k + 1}")
    services.set_schedule(engine, slug, None, times=["08:00", "12:00", "18:00"], extra=1)
    seeded = Seeded(slug=slug, codes=codes)
    for username, role, warden in [
        ("manager", "manager", None),
        ("planner", "planner", None),
        ("warden1", "warden", "warden1"),
        ("warden2", "warden", "warden2"),
    ]:
        services.add_user(engine, username, role=role, password=PASSWORD, warden=warden)
        seeded.users[username] = {"role": role, "warden": warden}
    return seeded


def seed_rounds(engine, seeded: Seeded, day, now) -> None:
    """Rounds on `day` in the park's first six cells by their wardens: one, two or three of the
    fixed rounds in turn (entered at `now`, so any day up to it is taken)."""
    from gridmgr import services

    for k, code in enumerate(seeded.codes[:6]):
        for t in ("08:05", "12:05", "18:05")[: k % 3 + 1]:
            services.record_round(
                engine, seeded.slug, code, f"warden{k + 1}", at=f"{day}T{t}", now=now
            )


def call_generated(strategy, headers: dict, checks: list, *, examples: int) -> None:
    """`examples` schemathesis cases of one operation, each called and validated; the same cases on
    every run (GRIDMGR_HYPOTHESIS_RANDOM=1 searches afresh)."""
    from hypothesis import HealthCheck, given, settings

    # schemathesis reads a WSGI answer as it comes: uncompressed (tests/web/test_compression.py)
    headers = {"Accept-Encoding": "identity", **headers}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not os.environ.get("GRIDMGR_HYPOTHESIS_RANDOM"),
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=checks)

    run()


def sqlite_database(tmp_path: Path) -> tuple[str, object]:
    """A migrated SQLite file in tmp_path: its URL and an engine on it (the caller disposes it)."""
    from gridmgr.db.store import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'gridmgr.db'}"
    engine = make_engine(url)
    upgrade(engine)
    return url, engine


def app_on(url: str, tmp_path: Path, **config):
    """The web app on that database (instance folder in tmp_path), its cookie sent over plain HTTP
    for the live test server."""
    from gridmgr.web import create_app

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), **config})
    app.config["SESSION_COOKIE_SECURE"] = False
    return app


def logged_in(app, *usernames: str) -> dict:
    """A test client per user, each logged in through the real form."""
    clients = {}
    for who in usernames:
        clients[who] = app.test_client()
        assert login(clients[who], who).status_code in (302, 303)
    return clients


def login(client, username: str, password: str = PASSWORD):
    """Log a Flask test client in through the real form (with its CSRF token)."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token the page at `path` carries for this client's session."""
    return _csrf_from(client.get(path).get_data(as_text=True))


def _csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def api_token(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers with a fresh API token."""
    got = client.post("/api/v1/token", json={"username": username, "password": password})
    assert got.status_code == 200, got.get_data(as_text=True)
    return {"Authorization": f"Bearer {got.get_json()['token']}"}


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve the app with waitress (as `gridmgr serve` does) on a free loopback port; yields its URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@contextmanager
def chromium(base_url: str, **context_options) -> Iterator:
    """A Playwright page in Debian's headless Chromium that refuses, and records, every request that
    leaves `base_url`; the test fails if there was any, or if the Content-Security-Policy refused
    anything (unless the test set `page.csp_expected` to the number it provoked)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    own = urlsplit(base_url).netloc
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(**context_options)

        def guard(route):
            url = route.request.url
            if urlsplit(url).netloc == own or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs  # type: ignore[attr-defined]
        blocked: list[str] = []  # what the Content-Security-Policy refused
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.csp_blocked = blocked  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            context.close()
            browser.close()
    assert not outside, f"the page asked for things outside the server: {outside[:10]}"
    expected = getattr(page, "csp_expected", 0)
    assert len(blocked) == expected, f"the Content-Security-Policy refused: {blocked[:5]}"


def browser_login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the login page like a person does."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def table_counts(engine) -> dict[str, int]:
    """The number of rows in every table of the schema (to show a refused request wrote nothing)."""
    from sqlalchemy import func, select

    from gridmgr.db.models import Base
    from gridmgr.db.store import reading

    with reading(engine) as s:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def png_bomb(width: int, height: int) -> bytes:
    """A PNG that claims to be width × height pixels in a few hundred bytes: a decompression bomb's
    header (decoding it whole would take width × height × 3 bytes)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def seed_finding(engine, park: Seeded, *, closed: bool = False) -> dict[str, int]:
    """A finding in warden1's cell (the first), open with a deadline and warden1 responsible (closed
    when asked), with one photo: {"finding_id", "photo_id"}, to fill URLs of the findings API."""
    import io

    from PIL import Image

    from gridmgr.services import findings as f

    boss = f.Actor("manager", "manager")
    new = f.NewFinding(
        category="waste", text="seeded", deadline="2099-01-01", unit="物业", person="warden1"
    )
    made, _ = f.record_finding(engine, park.slug, park.codes[0], new, boss)
    if closed:
        f.close_finding(engine, made.id, boss)
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    photo = f.add_photo(engine, made.id, boss, "seeded.jpg", jpeg.getvalue())
    return {"finding_id": made.id, "photo_id": photo.id}


PARK_GATE = (120.4641, 36.1030)  # a point inside the demo park


def seed_checkpoint(engine, park: Seeded) -> dict[str, int]:
    """The park's checkpoint "north gate" with warden1 posted there (made once):
    {"checkpoint_id"}, to fill URLs of the checkpoints API."""
    from gridmgr.services.checkpoints import add_checkpoint, list_checkpoints, staff_checkpoint

    made = [c for c in list_checkpoints(engine, park.slug) if c.name == "north gate"]
    if made:
        return {"checkpoint_id": made[0].id}
    gate = add_checkpoint(engine, park.slug, name="north gate", lon=PARK_GATE[0], lat=PARK_GATE[1])
    staff_checkpoint(engine, park.slug, gate.id, "warden1")
    return {"checkpoint_id": gate.id}
