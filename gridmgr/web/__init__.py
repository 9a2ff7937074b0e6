"""The web service: `create_app(config)` builds the Flask app (pages for managers, planners and wardens,
and the JSON API) on one database engine."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, g, jsonify, make_response, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from gridmgr.db.shared_state import shared_secret
from gridmgr.db.store import database_url, make_engine, schema_ready
from gridmgr.errors import (
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    GridmgrError,
    InvalidInput,
    LimitExceeded,
    NotFound,
    RateLimited,
)
from gridmgr.web.words import N_

if TYPE_CHECKING:  # the services load with the blueprints, not with this module
    from gridmgr.services.tile_cache import TileCache
    from gridmgr.services.users import UserInfo

TEMPLATES = Path(str(files("gridmgr.templates")))
STATIC = Path(__file__).resolve().parent / "static"

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

# the web server's own messages (werkzeug's descriptions) that the error page shows translated
SERVER_MESSAGES = (
    N_(
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    ),
    N_("The method is not allowed for the requested URL."),
)

STATUS_OF: dict[type[GridmgrError], int] = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    LimitExceeded: 422,
    RateLimited: 429,
    DatabaseUnavailable: 503,
    InvalidInput: 422,
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A gridmgr app: defaults, then GRIDMGR_* environment variables, then instance/config.py, then `config`.

    Keys: DATABASE_URL, INSTANCE_PATH, SECRET_KEY (GRIDMGR_SECRET_KEY; else made once and kept in
    the database, so every server on it signs sessions alike), REPORTS_DATABASE_URL (a read
    replica for read-only reports; default the database itself),
    TILES_URL and TILES_ATTRIBUTION (the base map; TILES_URL "" for none), MAX_UPLOAD_MB,
    SESSION_COOKIE_SECURE, INLINE_CELLS_MAX (plans with more cells load them from the API),
    TILES_ABOVE (GRIDMGR_TILES_ABOVE: the coverage map of a plan with more cells draws vector tiles),
    TILE_CACHE_MB (GRIDMGR_TILE_CACHE_MB: made vector tiles kept per process; 0 for none),
    LARGE_UPLOAD_MB and LARGE_UPLOADS_AT_ONCE (bodies over that size processed that many at a time).
    """
    config = dict(config or {})
    instance = Path(
        config.get("INSTANCE_PATH") or os.environ.get("GRIDMGR_INSTANCE", "instance")
    ).resolve()
    app = Flask(
        "gridmgr",
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
        static_url_path="/static",
        instance_path=str(instance),
        instance_relative_config=True,
    )
    app.config.update(
        DATABASE_URL=None,
        TILES_URL=os.environ.get("GRIDMGR_TILES_URL", OSM_TILES),
        TILES_ATTRIBUTION=os.environ.get("GRIDMGR_TILES_ATTRIBUTION", OSM_ATTRIBUTION),
        MAX_UPLOAD_MB=float(os.environ.get("GRIDMGR_MAX_UPLOAD_MB", 50)),
        SESSION_COOKIE_SECURE=os.environ.get("GRIDMGR_INSECURE_COOKIES", "") == "",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="gridmgr_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        INLINE_CELLS_MAX=3000,
        TILES_ABOVE=int(os.environ.get("GRIDMGR_TILES_ABOVE", 5000)),
        TILE_CACHE_MB=float(os.environ.get("GRIDMGR_TILE_CACHE_MB", 64)),
        LARGE_UPLOAD_MB=float(os.environ.get("GRIDMGR_LARGE_UPLOAD_MB", 5)),
        LARGE_UPLOADS_AT_ONCE=int(os.environ.get("GRIDMGR_LARGE_UPLOADS_AT_ONCE", 1)),
        SECRET_KEY=os.environ.get("GRIDMGR_SECRET_KEY") or None,
        REPORTS_DATABASE_URL=os.environ.get("GRIDMGR_REPORTS_DATABASE_URL") or None,
        JSON_SORT_KEYS=False,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"] * 1024 * 1024)
    json_provider = cast(DefaultJSONProvider, app.json)  # Flask's own, which the app keeps
    json_provider.ensure_ascii = False
    json_provider.sort_keys = False
    engine = make_engine(
        database_url(
            app.config["DATABASE_URL"], env={**os.environ, "GRIDMGR_INSTANCE": str(instance)}
        )
    )
    try:  # an app that cannot start leaves no connection open behind it
        if not schema_ready(engine):
            raise InvalidInput(
                f"the database {engine.url.render_as_string(hide_password=True)!r} is not set "
                "up; run 'gridmgr init' first"
            )
        app.extensions["gridmgr.engine"] = engine
        app.extensions["gridmgr.reports_engine"] = _reports_engine(app, engine)
        from gridmgr.services.tile_cache import TileCache

        cache_bytes = int(float(app.config["TILE_CACHE_MB"]) * 1024 * 1024)
        app.extensions["gridmgr.tile_cache"] = TileCache(cache_bytes) if cache_bytes > 0 else None
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = shared_secret(engine, adopt=_instance_secret(instance))
    except BaseException:
        engine.dispose()
        raise

    from gridmgr.web import (
        api,
        assets,
        audit,
        auth,
        compression,
        daily_report,
        findings,
        gates,
        inputs,
        manage,
        offline,
        overview,
        plan,
        scope,
        staff,
        warden,
    )  # fmt: skip

    _gate_large_uploads(app)
    auth.init_app(app)
    scope.init_app(app)
    for module in (
        auth,
        manage,
        plan,
        warden,
        api,
        staff,
        audit,
        findings,
        gates,
        overview,
        daily_report,
        offline,
    ):
        app.register_blueprint(module.bp)
    inputs.init_app(app)
    compression.init_app(app)
    assets.init_app(app)
    _error_handlers(app)

    tile_sources = _tile_sources(app.config)
    app.context_processor(lambda: {"csp_nonce": csp_nonce})

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault(
            "Content-Security-Policy", content_security_policy(g.get("csp_nonce"), tile_sources)
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    return app


def _gate_large_uploads(app: Flask) -> None:
    """Bodies over LARGE_UPLOAD_MB are processed LARGE_UPLOADS_AT_ONCE at a time (429 for the rest),
    so parallel uploads cannot together exhaust the server's memory."""
    from gridmgr.web.throttle import UploadGate

    gate = UploadGate(
        engine_of(app),
        large_mb=app.config["LARGE_UPLOAD_MB"],
        at_once=app.config["LARGE_UPLOADS_AT_ONCE"],
        lease_s=app.config.get("LARGE_UPLOAD_LEASE_S", 900),
    )
    app.extensions["gridmgr.upload_gate"] = gate

    @app.before_request
    def _enter():
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if request.method in ("POST", "PUT", "PATCH") and gate.is_large(
            request.content_length, chunked
        ):
            g.upload_slot = gate.enter()

    @app.teardown_request
    def _leave(_exc):
        held = g.pop("upload_slot", None)
        if held is not None:
            gate.leave(held)


def csp_nonce() -> str:
    """This response's script nonce (made on first use): inline scripts carrying it may run."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None, tile_sources: list[str]) -> str:
    """The Content-Security-Policy: scripts only from this server (inline ones with this response's
    nonce), images from it and the configured tile servers, connections only back to it."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    images = " ".join(["'self'", "data:", *tile_sources])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )


def _tile_sources(config: Mapping[str, Any]) -> list[str]:
    """The tile servers of the configured base maps (none if the configuration is wrong: the map
    pages say what is wrong with it)."""
    from gridmgr.web.maps import basemaps

    try:
        return basemaps.tile_sources(basemaps.from_config(config))
    except InvalidInput:
        return []


def engine_of(app: Flask | None = None):
    """The app's database engine."""
    from flask import current_app

    return (app or current_app).extensions["gridmgr.engine"]


def tile_cache_of(app: Flask | None = None) -> TileCache | None:
    """The app's cache of made vector tiles (None when TILE_CACHE_MB is 0)."""
    from flask import current_app

    cache: TileCache | None = (app or current_app).extensions.get("gridmgr.tile_cache")
    return cache


def reports_engine_of(app: Flask | None = None):
    """The engine read-only reports read from (coverage, the coverage map, the ledger): a read
    replica's when REPORTS_DATABASE_URL names one, else the app's own. A replica may lag the
    primary by a moment; nothing that writes, or must see its own writes, reads through it."""
    from flask import current_app

    return (app or current_app).extensions["gridmgr.reports_engine"]


def _reports_engine(app: Flask, engine):
    url = app.config.get("REPORTS_DATABASE_URL")
    if not url:
        return engine
    replica = make_engine(url)
    if not schema_ready(replica):
        replica.dispose()
        raise InvalidInput(
            f"the reports database {replica.url.render_as_string(hide_password=True)!r} "
            "(GRIDMGR_REPORTS_DATABASE_URL) has no gridmgr schema; point it at a replica of "
            f"{engine.url.render_as_string(hide_password=True)!r}"
        )
    return replica


def wants_json() -> bool:
    """True for API requests: they get JSON errors, pages get HTML."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: Any = None):
    """The one error shape: JSON {"error": {code, message, details}} for the API, a page otherwise."""
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
        resp.status_code = status
        return resp
    return render_template("error.html", status=status, message=message), status


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(GridmgrError)
    def _gridmgr_error(exc: GridmgrError):
        status = next((v for k, v in STATUS_OF.items() if isinstance(exc, k)), 400)
        resp = error_response(status, exc.code, str(exc), getattr(exc, "details", None))
        if isinstance(exc, RateLimited):
            resp = make_response(resp)
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 413:  # the API answers in English, pages in their language
            from gridmgr.web.i18n import gettext

            template = N_("the upload is larger than the limit of {mb} MB (GRIDMGR_MAX_UPLOAD_MB)")
            mb = f"{app.config['MAX_UPLOAD_MB']:g}"
            message = template.format(mb=mb) if wants_json() else gettext(template, mb=mb)
        else:
            message = exc.description or exc.name
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(status, code, message)

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        app.logger.exception("internal error on %s %s", request.method, request.path)
        return error_response(500, "internal", N_("internal error; it has been logged"))


def _instance_secret(instance: Path) -> str | None:
    """The key an earlier gridmgr generated into instance/secret_key, if there is one: the database
    adopts it, so sessions signed before the upgrade hold."""
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def current_user() -> UserInfo | None:
    """The logged-in user of this request (session or API token), or None."""
    return g.get("user")
