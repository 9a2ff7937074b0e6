"""Logging in and out, who the current user is (session or API token), roles and CSRF checks."""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from gridmgr import services
from gridmgr.errors import Forbidden, RateLimited
from gridmgr.services.users import UserInfo, end_sessions, session_key, session_user
from gridmgr.web import engine_of, error_response, i18n, wants_json
from gridmgr.web.i18n import error_text, gettext
from gridmgr.web.redirects import safe_target
from gridmgr.web.throttle import LoginThrottle
from gridmgr.web.words import N_

bp = Blueprint("auth", __name__)

HOME_OF_ROLE = {"manager": "manage.areas", "planner": "manage.areas", "warden": "warden.me"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CLOCK_SLACK_S = 300


def init_app(app: Flask) -> None:
    """Load the user of each request and check the CSRF token of every unsafe request with a session."""

    @app.before_request
    def _load_user():
        g.user = None
        g.by_token = False
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and request.path.startswith("/api/"):
            g.user = services.user_for_token(engine_of(), header[7:].strip())
            g.by_token = True
            return None
        if session.get("uid") is not None:
            g.user = _session_user()
            if g.user is None:
                session.clear()  # expired or ended: log in again
        if g.user is None and request.path.startswith("/api/"):
            return None  # nobody to impersonate: the endpoint's own check answers 401
        if request.method in UNSAFE and not _csrf_ok():
            return error_response(
                400,
                "csrf",
                N_("the form's security token is missing or out of date; reload the page"),
            )
        return None

    app.extensions["gridmgr.throttle"] = LoginThrottle(
        engine_of(app),
        per_user=app.config.get("LOGIN_FAILURES_PER_USER", 5),
        per_address=app.config.get("LOGIN_FAILURES_PER_ADDRESS", 20),
        window_s=app.config.get("LOGIN_FAILURE_WINDOW_S", 900),
    )
    i18n.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = lambda: g.get("user")


def _session_user() -> UserInfo | None:
    """The user of this request's session while it holds: logged in less than
    PERMANENT_SESSION_LIFETIME ago (however busy since: Flask only drops cookies idle that long),
    and not ended since by a logout, a new password or the user's removal."""
    since, uid = session.get("since"), session.get("uid")
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    # a login stamped a little ahead is kept: the clock of another worker may be a bit behind
    if not isinstance(since, int) or not -CLOCK_SLACK_S <= time.time() - since <= lifetime:
        return None
    if not isinstance(uid, int):
        return None
    return session_user(engine_of(), uid, session.get("key"))


def csrf_token() -> str:
    """This session's CSRF token (made on first use), for forms and the X-CSRF-Token header."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok() -> bool:
    if request.path == url_for("api.token"):
        return True  # a token request proves itself with the password and sets no cookie
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    want = session.get("csrf", "")
    return bool(want) and hmac.compare_digest(sent.encode(), want.encode())


def roles_required(*roles: str) -> Callable:
    """Let only logged-in users with one of these roles through; others get 401/403 (or the login page)."""

    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any):
            user = g.get("user")
            if user is None:
                if wants_json():
                    return error_response(401, "unauthorized", "log in first: POST /api/v1/token")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                raise Forbidden.of(
                    "this needs the role {roles}; you are logged in as {role}",
                    roles=" or ".join(roles),
                    role=user.role,
                )
            return view(*args, **kwargs)

        return inner

    return wrap


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success a fresh session and the page the user asked for (or their home)."""
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = checked_login(request.form.get("username", ""), request.form.get("password", ""))
        except Forbidden as exc:
            error, status = error_text(exc), 401
        except RateLimited as exc:
            error, status = error_text(exc), 429
        else:
            session.clear()
            session.permanent = True
            session["uid"] = user.id
            session["key"] = session_key(engine_of(), user.id)
            session["since"] = int(time.time())
            csrf_token()
            return redirect(
                safe_target(request.args.get("next")) or url_for(HOME_OF_ROLE[user.role])
            )
    return render_template("login.html", error=error, cookie_warning=_cookie_warning()), status


def checked_login(username: str, password: str) -> UserInfo:
    """The user these credentials name, counting failures per user name and client address
    (RateLimited once either has too many)."""
    throttle: LoginThrottle = current_app.extensions["gridmgr.throttle"]
    address = request.remote_addr or "?"
    throttle.check(username, address)
    try:
        user = services.authenticate(engine_of(), username, password)
    except Forbidden:
        throttle.failed(username, address)
        raise
    throttle.succeeded(username)
    return user


def _cookie_warning() -> str | None:
    """Why a browser would drop the login here: secure cookies asked for over plain HTTP off loopback."""
    from flask import current_app

    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if current_app.config["SESSION_COOKIE_SECURE"] and not request.is_secure and not loopback:
        return gettext(
            "This page came over plain HTTP, so your browser will not keep the login cookie. "
            "Serve gridmgr behind HTTPS, or on a trusted network set GRIDMGR_INSECURE_COOKIES=1."
        )
    return None


@bp.post("/logout")
def logout():
    """End the session, and with it every other session of the user: a cookie kept from before (or
    copied) no longer logs anyone in."""
    if g.get("user") is not None:
        end_sessions(engine_of(), g.user.id)
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """Each role's start page."""
    user = g.get("user")
    if user is None:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_OF_ROLE[user.role]))


@bp.get("/healthz")
def healthz():
    """A liveness probe for load balancers."""
    return {"ok": True}


def forbid_unless(condition: bool, message: str) -> None:
    """Raise Forbidden unless the condition holds (object-level checks in views)."""
    if not condition:
        raise Forbidden(message)
