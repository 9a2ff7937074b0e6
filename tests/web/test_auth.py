"""Logging in, roles, sessions, CSRF and the secret key: the web service's front door."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from gridmgr import services

from webtools import PASSWORD, api_token, csrf_of, login, seed_park


@pytest.fixture
def site(engine, app_factory, tmp_path):
    seeded = seed_park(engine, tmp_path)
    return app_factory(), seeded


@pytest.mark.parametrize(
    ("username", "home"),
    [("manager", "/areas"), ("planner", "/areas"), ("warden1", "/me")],
)
def test_each_role_lands_on_its_page(site, username, home):
    app, _ = site
    client = app.test_client()
    got = login(client, username)
    assert got.status_code == 302 and got.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_wrong_password_is_refused_with_one_message(site):
    app, _ = site
    client = app.test_client()
    got = login(client, "manager", "not the password")
    assert got.status_code == 401
    assert "wrong user name or password" in got.get_data(as_text=True)
    got = login(client, "nobody", "not the password")
    assert got.status_code == 401
    assert client.get("/areas").status_code == 302  # still logged out


def test_pages_need_a_login_and_the_right_role(site):
    app, _ = site
    client = app.test_client()
    got = client.get("/areas")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login?next=")
    login(client, "warden1")
    assert client.get("/areas").status_code == 403
    other = app.test_client()
    login(other, "manager")
    assert other.get("/me").status_code == 403


def test_login_sends_back_only_to_a_path_of_this_site(site):
    app, _ = site
    client = app.test_client()
    token = csrf_of(client)
    for target, want in [
        ("/me", "/me"),
        ("https://evil.example/", "/areas"),
        ("//evil.example/", "/areas"),
        ("/\\evil.example/", "/areas"),  # a browser reads /\ as //: another site
        ("/%09/evil.example/", "/areas"),  # a tab, which browsers skip: //evil.example
    ]:
        got = client.post(
            f"/login?next={target}",
            data={"username": "manager", "password": PASSWORD, "csrf_token": token},
        )
        assert got.headers["Location"] == want
        token = csrf_of(client)


def test_forms_without_the_csrf_token_are_refused(site):
    app, _ = site
    client = app.test_client()
    got = client.post("/login", data={"username": "manager", "password": PASSWORD})
    assert got.status_code == 400 and "security token" in got.get_data(as_text=True)
    login(client, "manager")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/areas")}).status_code == 302
    assert client.get("/areas").status_code == 302


def test_session_cookie_is_secure_and_http_only(site):
    app, _ = site
    got = login(app.test_client(), "manager")
    cookie = got.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_secret_key_is_made_once_in_the_database_for_every_server(
    app_factory, site, tmp_path, monkeypatch
):
    monkeypatch.delenv("GRIDMGR_SECRET_KEY", raising=False)
    app = app_factory()
    assert len(app.config["SECRET_KEY"]) == 64
    assert not (tmp_path / "instance" / "secret_key").exists()  # nothing secret on the disk
    # another server on the same database, with an instance folder of its own, signs alike: a
    # session made on one is good on the other
    other = app_factory(tmp_path / "other")
    assert other.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    client = app.test_client()
    assert login(client, "manager").status_code == 302
    cookie = client.get_cookie("gridmgr_session")
    elsewhere = other.test_client()
    elsewhere.set_cookie("gridmgr_session", cookie.value)
    assert elsewhere.get("/areas").status_code == 200
    monkeypatch.setenv("GRIDMGR_SECRET_KEY", "k" * 64)  # the environment wins
    assert app_factory(tmp_path / "third").config["SECRET_KEY"] == "k" * 64


def test_an_instance_folders_older_key_is_adopted_so_its_sessions_hold(
    db_url, tmp_path, monkeypatch
):
    from gridmgr.web import create_app

    monkeypatch.delenv("GRIDMGR_SECRET_KEY", raising=False)
    instance = tmp_path / "old"
    instance.mkdir()
    (instance / "secret_key").write_text("e" * 64, encoding="ascii")
    app = create_app({"DATABASE_URL": db_url, "INSTANCE_PATH": str(instance)})
    try:
        assert app.config["SECRET_KEY"] == "e" * 64
    finally:
        app.extensions["gridmgr.engine"].dispose()


def test_api_tokens(site):
    app, _ = site
    client = app.test_client()
    bad = client.post("/api/v1/token", json={"username": "manager", "password": "nope nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    headers = api_token(client, "manager")
    assert headers["Authorization"].startswith("Bearer ")
    junk = client.post("/api/v1/token", data="{not json", content_type="application/json")
    assert junk.status_code in (400, 422) and "error" in junk.get_json()


def test_user_add_reads_the_password_from_stdin(db_url, tmp_path, engine):
    from gridmgr import services

    services.add_warden(engine, "张伟")
    run = [sys.executable, "-m", "gridmgr", "--db", db_url, "user", "add"]
    done = subprocess.run([*run, "zhang", "--role", "warden", "--warden", "张伟"],
                          input="a long secret\n", capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert services.authenticate(engine, "zhang", "a long secret").warden == "张伟"
    short = subprocess.run([*run, "li", "--role", "manager"], input="short\n",
                           capture_output=True, text=True)  # fmt: skip
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert "Traceback" not in short.stderr
    stray = subprocess.run([*run, "wu", "--role", "warden"], input="a long secret\n",
                           capture_output=True, text=True)  # fmt: skip
    assert stray.returncode == 2 and "needs --warden" in stray.stderr


def test_user_passwd_and_remove_from_the_command_line(db_url, engine):
    from gridmgr import services

    services.add_user(engine, "li", role="manager", password=PASSWORD)
    run = [sys.executable, "-m", "gridmgr", "--db", db_url, "user"]
    done = subprocess.run([*run, "passwd", "li"], input="another long secret\n",
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert services.authenticate(engine, "li", "another long secret").username == "li"
    short = subprocess.run([*run, "passwd", "li"], input="short\n",
                           capture_output=True, text=True)  # fmt: skip
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert services.authenticate(engine, "li", "another long secret") is not None  # unchanged
    gone = subprocess.run([*run, "remove", "li"], capture_output=True, text=True)
    assert gone.returncode == 0, gone.stderr
    assert [u.username for u in services.list_users(engine)] == []
    again = subprocess.run([*run, "remove", "li"], capture_output=True, text=True)
    assert again.returncode != 0 and "li" in again.stderr and "Traceback" not in again.stderr


def test_login_page_warns_when_the_cookie_would_be_dropped(site):
    app, _ = site
    client = app.test_client()
    assert "plain HTTP" not in client.get("/login").get_data(as_text=True)  # loopback: fine
    remote = client.get("/login", base_url="http://192.0.2.10:5000").get_data(as_text=True)
    assert "plain HTTP" in remote and "GRIDMGR_INSECURE_COOKIES" in remote
    https = client.get("/login", base_url="https://grid.example.org").get_data(as_text=True)
    assert "plain HTTP" not in https


def test_failed_logins_are_throttled_per_user_name_and_address(app_factory, engine, tmp_path):
    seed_park(engine, tmp_path)
    app = app_factory(LOGIN_FAILURES_PER_USER=3, LOGIN_FAILURES_PER_ADDRESS=5)
    client = app.test_client()
    for _ in range(3):
        assert login(client, "manager", "wrong password").status_code == 401
    refused = login(client, "manager")  # even the right password waits now
    assert refused.status_code == 429 and "too many failed logins" in refused.get_data(as_text=True)
    api = client.post("/api/v1/token", json={"username": "manager", "password": PASSWORD})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"
    assert int(api.headers["Retry-After"]) > 0
    assert login(client, "planner").status_code == 302  # another name from the same address
    for name in ("a", "b"):  # the address's own limit
        assert login(client, name, "wrong password").status_code == 401
    assert login(client, "warden1").status_code == 429
    other = app.test_client()  # another address is not held back
    other_ip = {"REMOTE_ADDR": "192.0.2.7"}
    page = other.get("/login", environ_base=other_ip).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    got = other.post("/login", environ_base=other_ip,
                     data={"username": "warden1", "password": PASSWORD, "csrf_token": token})  # fmt: skip
    assert got.status_code == 302


def test_passwords_and_tokens_never_reach_the_logs(site, caplog):
    import logging

    app, _ = site
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        login(client, "manager", "a wrong secret 123")
        login(client, "manager")
        token = client.post("/api/v1/token", json={"username": "planner", "password": PASSWORD})
        client.get(
            "/api/v1/areas", headers={"Authorization": f"Bearer {token.get_json()['token']}"}
        )
    text = caplog.text
    assert PASSWORD not in text and "a wrong secret 123" not in text
    assert token.get_json()["token"] not in text


# --- session expiry and ending ---------------------------------------------------------------


def _cookie(client) -> str:
    return client.get_cookie("gridmgr_session").value


def _replay(app, cookie: str):
    """A new client (another browser) carrying a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie("gridmgr_session", cookie, domain="localhost")
    return other


def _signed(app, data: dict, *, age_s: float) -> str:
    """A session cookie with `data`, signed by Flask's own session serializer `age_s` seconds ago."""
    serializer = app.session_interface.get_signing_serializer(app)

    class Earlier(serializer.signer):
        def get_timestamp(self) -> int:
            return int(time.time() - age_s)

    serializer.signer = Earlier
    return serializer.dumps(data)


def _rounds(engine) -> int:
    from sqlalchemy import func, select

    from gridmgr.db.models import Round
    from gridmgr.db.store import reading

    with reading(engine) as s:
        return s.execute(select(func.count()).select_from(Round)).scalar_one()


def _log_round(client, park, token: str):
    url = f"/me/cells/{park.slug}/{park.codes[0]}/rounds"
    return client.post(url, data={"note": "after hours", "csrf_token": token})


def test_a_session_older_than_its_lifetime_is_refused(site, engine):
    app, park = site
    lifetime = app.permanent_session_lifetime.total_seconds()
    warden = app.test_client()
    login(warden, "warden1")
    with warden.session_transaction() as sess:
        data = dict(sess)
    young = _replay(app, _signed(app, data, age_s=lifetime - 3600))
    assert young.get("/me").status_code == 200  # an hour left: still good
    # a cookie idle past the lifetime: Flask's serializer refuses its signature's age
    idle = _replay(app, _signed(app, data, age_s=lifetime + 60))
    got = idle.get("/me")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login")
    before = _rounds(engine)
    assert _log_round(idle, park, data["csrf"]).status_code == 400
    # a cookie refreshed a minute ago, but of a login older than the lifetime: refused too
    old_login = {**data, "since": int(time.time() - lifetime - 60)}
    busy = _replay(app, _signed(app, old_login, age_s=60))
    got = busy.get("/me")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login")
    busy = _replay(app, _signed(app, old_login, age_s=60))
    assert _log_round(busy, park, data["csrf"]).status_code == 400  # its form token went with it
    assert _rounds(engine) == before
    assert _log_round(warden, park, data["csrf"]).status_code == 303  # the live session writes
    assert _rounds(engine) == before + 1


def test_a_cookie_from_before_a_logout_no_longer_works(site, engine):
    app, park = site
    warden = app.test_client()
    login(warden, "warden1")
    kept = _cookie(warden)
    token = csrf_of(warden, "/me")
    assert _replay(app, kept).get("/me").status_code == 200
    assert warden.post("/logout", data={"csrf_token": token}).status_code == 302
    replayed = _replay(app, kept)
    got = replayed.get("/me")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login")
    before = _rounds(engine)
    assert _log_round(_replay(app, kept), park, token).status_code == 400
    assert _rounds(engine) == before
    login(warden, "warden1")  # logging in again works, with a new session
    assert warden.get("/me").status_code == 200


def test_a_new_password_or_removal_ends_the_users_sessions(site, engine):
    from gridmgr.services.audit import list_audit
    from gridmgr.services.users import remove_user, set_password

    app, _ = site
    manager, planner = app.test_client(), app.test_client()
    login(manager, "manager")
    login(planner, "planner")
    api = api_token(app.test_client(), "manager")
    assert manager.get("/areas").status_code == 200
    assert app.test_client().get("/api/v1/areas", headers=api).status_code == 200
    set_password(engine, "manager", "a brand new secret", actor="admin")
    got = manager.get("/areas")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login")
    assert app.test_client().get("/api/v1/areas", headers=api).status_code == 401
    assert planner.get("/areas").status_code == 200  # other users stay logged in
    assert login(manager, "manager").status_code == 401  # the old password is gone
    assert login(manager, "manager", "a brand new secret").status_code == 302
    assert manager.get("/areas").status_code == 200

    kept = _cookie(planner)
    remove_user(engine, "planner", actor="admin")
    got = _replay(app, kept).get("/areas")
    assert got.status_code == 302 and got.headers["Location"].startswith("/login")
    # a new user of the same name is another person: the old cookie is not theirs
    services.add_user(engine, "planner", role="planner", password=PASSWORD)
    assert _replay(app, kept).get("/areas").status_code == 302
    actions = [e.action for e in list_audit(engine, limit=3)]
    assert actions == ["user.add", "user.remove", "user.password"]


def test_migration_0005_gives_every_existing_user_its_own_session_key(db_url, engine):
    from sqlalchemy import text

    from gridmgr.db.store import downgrade, upgrade

    downgrade(engine, "0004")
    with engine.begin() as conn:
        for k in (1, 2, 3):
            conn.execute(
                text("INSERT INTO users (id, username, password_hash, role, created_at) "
                     "VALUES (:id, :name, 'x', 'manager', CURRENT_TIMESTAMP)"),
                {"id": k, "name": f"old{k}"},
            )  # fmt: skip
        conn.execute(
            text("INSERT INTO api_tokens (user_id, token_sha256, created_at) "
                 "VALUES (1, 'abc', CURRENT_TIMESTAMP)")
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT session_key FROM users ORDER BY id")).scalars().all()
        tokens = conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one()
    assert len(keys) == 3 and all(k and len(k) == 32 for k in keys) and len(set(keys)) == 3
    assert tokens == 1  # adding the column kept the rows that point at users


def test_a_user_without_a_session_key_gets_one_at_login(site, engine):
    from sqlalchemy import text

    app, _ = site
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET session_key = NULL WHERE username = 'manager'"))
    client = app.test_client()
    assert login(client, "manager").status_code == 302
    assert client.get("/areas").status_code == 200
    with engine.connect() as conn:
        key = conn.execute(
            text("SELECT session_key FROM users WHERE username = 'manager'")
        ).scalar_one()
    assert key and len(key) == 32
