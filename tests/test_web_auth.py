"""Logging in, roles, sessions, CSRF and the secret key: the web service's front door."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest

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


def test_secret_key_is_generated_once_into_the_instance_folder(app_factory, tmp_path):
    app = app_factory()
    key_file = tmp_path / "instance" / "secret_key"
    assert len(app.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app_factory().config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert app_factory(tmp_path / "other").config["SECRET_KEY"] != app.config["SECRET_KEY"]


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
    assert services.authenticate(engine, "zhang", "a long secret")["warden"] == "张伟"
    short = subprocess.run([*run, "li", "--role", "manager"], input="short\n",
                           capture_output=True, text=True)  # fmt: skip
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    assert "Traceback" not in short.stderr
    stray = subprocess.run([*run, "wu", "--role", "warden"], input="a long secret\n",
                           capture_output=True, text=True)  # fmt: skip
    assert stray.returncode == 2 and "needs --warden" in stray.stderr


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
