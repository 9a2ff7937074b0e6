"""Logins: users added with their role, warden or scope; passwords checked with one message for any
mismatch; sessions ended by logout, a new password or removal; API tokens issued and revoked."""

from __future__ import annotations

import pytest

from gridmgr import services
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridmgr.services.users import (
    MIN_PASSWORD,
    add_user,
    authenticate,
    end_sessions,
    issue_token,
    list_users,
    remove_user,
    revoke_token,
    session_key,
    session_user,
    set_password,
    user_for_token,
)

PASSWORD = "correct horse battery"


def test_users_by_role_warden_and_scope(engine, park):
    services.add_warden(engine, "张伟")
    boss = add_user(engine, "boss", role="manager", password=PASSWORD)
    local = add_user(engine, "local", role="planner", password=PASSWORD, scope=park)
    phone = add_user(engine, "zhang", role="warden", password=PASSWORD, warden="张伟")
    assert (boss.role, boss.warden, boss.scope, boss.scope_id) == ("manager", None, None, None)
    assert local.scope == park and local.scope_id is not None
    assert phone.warden == "张伟"
    assert list_users(engine) == sorted([boss, local, phone], key=lambda u: u.username)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"username": "two words"}, InvalidInput, "no spaces"),
        ({"username": ""}, InvalidInput, "1 to 80 characters"),
        ({"role": "admin"}, InvalidInput, "unknown user role 'admin'"),
        ({"password": "x" * (MIN_PASSWORD - 1)}, InvalidInput, f"at least {MIN_PASSWORD}"),
        ({"role": "warden"}, InvalidInput, "needs --warden"),
        ({"role": "warden", "warden": "nobody"}, NotFound, "no warden named 'nobody'"),
        (
            {"role": "warden", "warden": "张伟", "scope": "x"},
            InvalidInput,
            "--scope is for managers",
        ),
        ({"scope": "nowhere"}, NotFound, "nowhere"),
        ({"username": "boss"}, Conflict, "already exists"),
    ],
)
def test_bad_users_are_refused_and_nothing_is_added(engine, kwargs, error, words):
    services.add_warden(engine, "张伟")
    add_user(engine, "boss", role="manager", password=PASSWORD)
    args = {"username": "new", "role": "manager", "password": PASSWORD} | kwargs
    with pytest.raises(error, match=words):
        add_user(engine, args.pop("username"), **args)
    assert [u.username for u in list_users(engine)] == ["boss"]


def test_one_message_for_any_mismatch_and_the_password_changed(engine):
    user = add_user(engine, "boss", role="manager", password=PASSWORD)
    assert authenticate(engine, " boss ", PASSWORD) == user
    for name, password in (("boss", "wrong password"), ("nobody", PASSWORD), ("boss", "")):
        with pytest.raises(Forbidden, match=r"^wrong user name or password$"):
            authenticate(engine, name, password)
    set_password(engine, "boss", "another long password")
    with pytest.raises(Forbidden):
        authenticate(engine, "boss", PASSWORD)
    assert authenticate(engine, "boss", "another long password") == user
    with pytest.raises(InvalidInput):
        set_password(engine, "boss", "short")


def test_sessions_end_on_logout_new_password_and_removal(engine):
    user = add_user(engine, "boss", role="manager", password=PASSWORD)
    key = session_key(engine, user.id)
    assert session_key(engine, user.id) == key and session_user(engine, user.id, key) == user
    assert (
        session_user(engine, user.id, key + "x") is None
        and session_user(engine, user.id, "") is None
    )
    end_sessions(engine, user.id)
    assert session_user(engine, user.id, key) is None
    key = session_key(engine, user.id)
    set_password(engine, "boss", "another long password")
    assert session_user(engine, user.id, key) is None
    key = session_key(engine, user.id)
    remove_user(engine, "boss")
    assert session_user(engine, user.id, key) is None and list_users(engine) == []
    with pytest.raises(NotFound):
        remove_user(engine, "boss")


def test_tokens_are_issued_found_and_revoked(engine):
    user = add_user(engine, "boss", role="manager", password=PASSWORD)
    first, second = issue_token(engine, user.id), issue_token(engine, user.id)
    assert first != second and len(first) >= 40
    assert user_for_token(engine, first) == user == user_for_token(engine, second)
    revoke_token(engine, first)
    assert user_for_token(engine, first) is None and user_for_token(engine, second) == user
    assert user_for_token(engine, "made up") is None
