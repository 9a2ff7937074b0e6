"""Only paths of this site are followed after a login or a language switch: one check for both."""

from __future__ import annotations

import pytest

from gridmgr.web.redirects import safe_target

from webtools import PASSWORD, csrf_of

HOSTILE = [
    "//evil.example",
    "//evil.example/areas",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert safe_target(target) is None


@pytest.mark.parametrize("target", ["/", "/areas", "/areas/haibin-park/map?at=2026-11-24T10:00"])
def test_paths_of_this_site_are_kept(target):
    assert safe_target(target) == target


@pytest.fixture
def app(engine, app_factory):
    from gridmgr import services

    services.add_user(engine, "li", role="manager", password=PASSWORD)
    return app_factory()


def test_the_language_switch_goes_home_instead(app):
    client = app.test_client()
    for target in filter(None, HOSTILE):
        got = client.get("/lang/zh-CN", query_string={"next": target})
        assert got.status_code == 302 and got.headers["Location"] == "/", target


def test_the_login_goes_to_the_users_home_instead(app):
    for target in filter(None, HOSTILE):
        client = app.test_client()
        got = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "li", "password": PASSWORD, "csrf_token": csrf_of(client)},
        )
        assert got.status_code == 302 and got.headers["Location"] == "/areas", target


def test_both_follow_a_path_of_this_site(app):
    client = app.test_client()
    got = client.get("/lang/en", query_string={"next": "/login?x=1"})
    assert got.headers["Location"] == "/login?x=1"
    got = client.post(
        "/login",
        query_string={"next": "/wardens"},
        data={"username": "li", "password": PASSWORD, "csrf_token": csrf_of(client)},
    )
    assert got.status_code == 302 and got.headers["Location"] == "/wardens"
