"""People who log in: managers, planners and wardens; their passwords and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gridmgr.db.models import ApiToken, Area, User, Warden, new_session_key, utcnow
from gridmgr.db.queries import get_area, record_audit
from gridmgr.db.store import reading, transaction
from gridmgr.errors import Conflict, Forbidden, InvalidInput, NotFound

USER_ROLES = ("manager", "planner", "warden")
MIN_PASSWORD = 8
# checked against when a name is unknown, so a login takes as long whether or not the user exists
_DUMMY_HASH = generate_password_hash("not a password of anyone's")


@dataclass(frozen=True)
class UserInfo:
    """A login: its id, name, role, the warden it is (None for managers and planners) and, for a
    scoped manager or planner, the area (slug and id) it is limited to with its descendants."""

    id: int
    username: str
    role: str  # manager | planner | warden
    warden: str | None
    scope: str | None = None
    scope_id: int | None = None


# users with the name of the warden each is (None for managers and planners) and the slug of the
# area each is scoped to (None: every area); a statement is immutable
_WITH_WARDEN = (
    select(User, Warden.name, Area.slug)
    .outerjoin(Warden, Warden.id == User.warden_id)
    .outerjoin(Area, Area.id == User.scope_area_id)
)
_BY_TOKEN = _WITH_WARDEN.join(ApiToken, ApiToken.user_id == User.id).where(
    ApiToken.token_sha256 == bindparam("digest"), ApiToken.revoked_at.is_(None)
)  # built once: every API request with a token runs it
SCOPED_ROLES = ("manager", "planner")


def add_user(
    engine: Engine,
    username: str,
    *,
    role: str,
    password: str,
    warden: str | None = None,
    scope: str | None = None,
    actor: str = "cli",
) -> UserInfo:
    """Create a login; a warden user is tied to the warden whose cells it may see and log; a
    manager or planner given a `scope` (an area's slug) sees and changes only that area and its
    descendants."""
    username = (username or "").strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise InvalidInput("a user name needs 1 to 80 characters and no spaces")
    if role not in USER_ROLES:
        raise InvalidInput(f"unknown user role {role!r}: use one of {', '.join(USER_ROLES)}")
    check_password_rules(password)
    if role == "warden" and not warden:
        raise InvalidInput("a warden user needs --warden NAME: the warden whose cells it holds")
    if scope is not None and role not in SCOPED_ROLES:
        raise InvalidInput(
            f"--scope is for managers and planners; a {role} sees what its own cells need"
        )
    with transaction(engine) as s:
        if s.execute(select(User.id).where(User.username == username)).first():
            raise Conflict(f"a user named {username!r} already exists")
        warden_id = None
        if warden:
            warden_id = s.execute(select(Warden.id).where(Warden.name == warden)).scalar()
            if warden_id is None:
                raise NotFound(f"no warden named {warden!r}; add it first (gridmgr warden add)")
        scope_id = get_area(s, scope).id if scope is not None else None
        user = User(
            username=username,
            password_hash=generate_password_hash(password),
            role=role,
            warden_id=warden_id,
            scope_area_id=scope_id,
        )
        s.add(user)
        s.flush()
        record_audit(
            s, actor, "user.add", scope_id, username=username, role=role, warden=warden, scope=scope
        )
        return UserInfo(user.id, username, role, warden, scope, scope_id)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short or all one character."""
    if password is None or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if len(set(password)) < 3:
        raise InvalidInput("a password needs at least 3 different characters")
    if len(password) > 200:
        raise InvalidInput("a password may be at most 200 characters")


def authenticate(engine: Engine, username: str, password: str) -> UserInfo:
    """The user whose name and password these are; Forbidden with one message for any mismatch."""
    with reading(engine) as s:
        row = s.execute(_WITH_WARDEN.where(User.username == (username or "").strip())).first()
    if row is None:
        _password_matches(_DUMMY_HASH, password or "")
        raise Forbidden.of("wrong user name or password")
    user, warden, scope = row
    if not _password_matches(user.password_hash, password or ""):
        raise Forbidden.of("wrong user name or password")
    return _user_info(user, warden, scope)


# a password check is made slow on purpose (scrypt, a fraction of a second of a whole core): a burst
# of logins checked all at once would take every core and stall the wardens' rounds, so they queue,
# leaving a core for everything else
_HASHING = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))


def _password_matches(password_hash: str, password: str) -> bool:
    """check_password_hash, with at most all cores but one checking passwords at once."""
    with _HASHING:
        return check_password_hash(password_hash, password)


def session_key(engine: Engine, user_id: int) -> str:
    """The user's current session key, which a login puts in its session (made if the user has none)."""
    with reading(engine) as s:
        key = s.execute(select(User.session_key).where(User.id == user_id)).scalar()
    if key:
        return key  # the usual case: no write (SQLite would take its write lock for it)
    with transaction(engine) as s:
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        if not user.session_key:
            user.session_key = new_session_key()
        return user.session_key


def session_user(engine: Engine, user_id: int, key: str | None) -> UserInfo | None:
    """The user of a session, or None once it was ended: the user logged out, got a new password or
    was removed since (each gives the user a new session key, or no user at all)."""
    if not isinstance(user_id, int) or not isinstance(key, str) or not key:
        return None
    with reading(engine) as s:
        row = s.execute(_WITH_WARDEN.where(User.id == user_id)).first()
    if row is None or not row[0].session_key:
        return None
    if not hmac.compare_digest(row[0].session_key.encode(), key.encode()):
        return None
    return _user_info(*row)


def end_sessions(engine: Engine, user_id: int) -> None:
    """End every session of the user, on every device (a logout does this)."""
    with transaction(engine) as s:
        s.execute(update(User).where(User.id == user_id).values(session_key=new_session_key()))


def set_password(engine: Engine, username: str, password: str, *, actor: str = "cli") -> None:
    """Give the user a new password; it ends the user's sessions and revokes its API tokens."""
    check_password_rules(password)
    with transaction(engine) as s:
        user = _named(s, username)
        user.password_hash = generate_password_hash(password)
        user.session_key = new_session_key()
        s.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        record_audit(s, actor, "user.password", None, username=user.username)


def remove_user(engine: Engine, username: str, *, actor: str = "cli") -> None:
    """Remove a login with its API tokens; its sessions end with it."""
    with transaction(engine) as s:
        user = _named(s, username)
        s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        s.delete(user)
        record_audit(s, actor, "user.remove", None, username=user.username, role=user.role)


def _named(s: Session, username: str) -> User:
    """The user with this name (spaces around it ignored), or NotFound."""
    user = s.execute(
        select(User).where(User.username == (username or "").strip())
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def issue_token(engine: Engine, user_id: int) -> str:
    """A new API token for the user; only its digest is kept, so it is shown once."""
    token = secrets.token_urlsafe(32)
    with transaction(engine) as s:
        s.add(ApiToken(user_id=user_id, token_sha256=_digest(token)))
    return token


def user_for_token(engine: Engine, token: str) -> UserInfo | None:
    """The user a live (not revoked) token belongs to, or None."""
    with reading(engine) as s:
        row = s.execute(_BY_TOKEN, {"digest": _digest(token)}).first()
    return None if row is None else _user_info(*row)


def revoke_token(engine: Engine, token: str) -> None:
    """Make a token unusable from now on."""
    with transaction(engine) as s:
        t = s.execute(
            select(ApiToken).where(ApiToken.token_sha256 == _digest(token))
        ).scalar_one_or_none()
        if t is not None and t.revoked_at is None:
            t.revoked_at = utcnow()


def list_users(engine: Engine) -> list[UserInfo]:
    """Every user with role and warden, by name."""
    with reading(engine) as s:
        rows = s.execute(_WITH_WARDEN.order_by(User.username)).all()
    return [_user_info(u, w, a) for u, w, a in rows]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _user_info(user: User, warden: str | None, scope: str | None = None) -> UserInfo:
    return UserInfo(user.id, user.username, user.role, warden, scope, user.scope_area_id)
