"""`gridmgr serve` and `gridmgr user add` end to end: a real waitress process, a login over HTTP."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gridmgr(*args, db, **kw):
    return subprocess.run([sys.executable, "-m", "gridmgr", "--db", db, *args],
                          capture_output=True, text=True, **kw)  # fmt: skip


def test_serve_a_database_and_log_in(tmp_path):
    db = f"sqlite:///{tmp_path / 'g.db'}"
    assert _gridmgr("init", db=db).returncode == 0
    added = _gridmgr("user", "add", "li", "--role", "manager", db=db, input="a long secret\n")
    assert added.returncode == 0, added.stderr
    port = _free_port()
    # urllib, unlike a browser, keeps no Secure cookie over plain http, even on loopback
    env = {
        **os.environ,
        "GRIDMGR_INSTANCE": str(tmp_path / "instance"),
        "GRIDMGR_INSECURE_COOKIES": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmgr", "--db", db, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                page = opener.open(f"{base}/login", timeout=2).read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "gridmgr serve did not answer in 30 s"
                time.sleep(0.2)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": "li", "password": "a long secret", "csrf_token": token}
        ).encode()
        landed = opener.open(f"{base}/login", data=form, timeout=10)
        assert landed.geturl() == f"{base}/areas"
        assert "Areas" in landed.read().decode()
        assert landed.headers["Server"] == "gridmgr"  # waitress, named by serve
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    with sqlite3.connect(tmp_path / "g.db") as conn:  # the key every server signs sessions with
        (key,) = conn.execute("SELECT value FROM settings WHERE name = 'secret_key'").fetchone()
    assert len(key) == 64


def test_behind_a_proxy_failed_logins_count_per_client_not_per_proxy(tmp_path):
    """With --behind-proxy the client's address comes from the proxy's X-Forwarded-For: one client
    using up its failures does not lock out every other client behind the same proxy."""
    db = f"sqlite:///{tmp_path / 'g.db'}"
    assert _gridmgr("init", db=db).returncode == 0
    added = _gridmgr("user", "add", "li", "--role", "manager", db=db, input="a long secret\n")
    assert added.returncode == 0, added.stderr
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "LOGIN_FAILURES_PER_ADDRESS = 2\nLOGIN_FAILURES_PER_USER = 100\n", encoding="utf-8"
    )
    port = _free_port()
    env = {**os.environ, "GRIDMGR_INSTANCE": str(instance)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridmgr", "--db", db, "serve", "--port", str(port), "--behind-proxy"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip

    def token(client: str, password: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/token",
            data=json.dumps({"username": "li", "password": password}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": client},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as got:
                return got.status
        except urllib.error.HTTPError as refused:
            return refused.code

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "gridmgr serve did not answer in 30 s"
                time.sleep(0.2)
        assert [token("192.0.2.1", "wrong") for _ in range(2)] == [401, 401]
        assert token("192.0.2.1", "a long secret") == 429  # that client has used up its failures
        assert token("192.0.2.2", "a long secret") == 200  # another behind the same proxy has not
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
