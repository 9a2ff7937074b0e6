"""Interface languages (en, zh-CN) on Flask-Babel: the locale of a request, text and errors in it,
number formats.

How text gets translated:

- The catalog is gettext's: `translations/zh_CN/LC_MESSAGES/messages.po` (shipped in the package as
  `gridmgr.translations`), kept with `pybabel extract/update` (babel.cfg, docs/web.md). gridmgr reads
  the .po itself and compiles it in memory, once a process (`read_catalog`), so an editable install, a
  fresh clone and a wheel all run on the catalog as written, with no compiled .mo to keep in step.
- Pages and views call ``_("English text", name=value)`` (`gettext`) or
  ``ngettext("{n} cell", "{n} cells", n)``: msgids keep ``{name}`` placeholders, filled with
  ``str.format`` after the lookup (the error templates use the same ones). Text with no translation
  shows in English. Text defined away from where it is shown is marked with `words.N_`.
- Errors: services raise GridmgrErrors whose ``str()`` is an English sentence, which the CLI and the
  JSON API show unchanged (the API is a machine interface and stays English). An error a page user
  meets is raised as ``InvalidInput.of("{source}: no polygons in this file: …", source=…)``: it keeps
  its English `template` and `values`, and `error_text(exc)` shows it on a page in the request's
  language — the template looked up in the catalog, filled with the values (a value that is an
  `errors.Phrase` is translated too, and a `Phrase.of("{source}: line {line}: ", …)` has its own
  template). Errors raised with a plain message show in English unless the whole message is in the
  catalog. tests/web/test_i18n.py runs the extractor and checks that every message it finds has a
  translation with the same placeholders.
- Dates and times are shown in the area's own time zone (the services return local ISO times);
  the plan history converts its UTC stamps and names the zone in its header.
"""

from __future__ import annotations

import io
import sys
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Blueprint, Flask, g, make_response, redirect, request
from flask_babel import Babel, Domain, get_locale, get_translations

from gridmgr.errors import GridmgrError, Phrase
from gridmgr.web.redirects import safe_target

LOCALES = ("en", "zh-CN")
DEFAULT_LOCALE = "en"
COOKIE = "gridmgr_lang"
CATALOGS = Path(str(files("gridmgr.translations")))
DOMAIN = "messages"

bp = Blueprint("i18n", __name__)


class Catalog(Translations):
    """A compiled catalog that can say whether it holds a translation of a message."""

    def holds(self, message: str) -> bool:
        """True if the catalog translates `message` (untranslated and fuzzy entries are left out)."""
        return message in self._catalog


def read_catalog(path: Path) -> Catalog:
    """The catalog of a .po file, compiled in memory as `pybabel compile` would (fuzzy entries out).

    Parsing a .po takes a tenth of a second, so the apps of one process share each version of a
    file (a Catalog is only read once made); a changed file is read again.
    """
    stat = path.stat()
    return _compiled(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _compiled(path: str, _mtime_ns: int, _size: int) -> Catalog:
    with open(path, "rb") as po:
        catalog = read_po(po, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Catalog(compiled, domain=DOMAIN)


def catalog_path(locale: str, directory: Path = CATALOGS) -> Path:
    """Where the .po file of a catalog folder's locale name (``zh_CN``) is."""
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_of(locale: Locale, directory: Path = CATALOGS) -> Path | None:
    """The .po file of a Babel locale, if there is one: ``zh_Hans_CN`` is in the folder ``zh_CN``
    (or ``zh``), as gettext looks them up."""
    names = [str(locale), "_".join(filter(None, [locale.language, locale.territory]))]
    for name in dict.fromkeys([*names, locale.language]):
        if (path := catalog_path(name, directory)).is_file():
            return path
    return None


class CatalogDomain(Domain):
    """Flask-Babel's message domain with its catalogs read from the .po files (`read_catalog`)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(translation_directories=[str(directory)], domain=DOMAIN)
        self.directory = directory

    def get_translations(self) -> NullTranslations:
        """The catalog of the request's locale; English (the source language) has none."""
        locale = get_locale()
        if locale is None:
            return NullTranslations()
        key = str(locale)
        if key not in self.cache:
            path = catalog_of(locale, self.directory)
            self.cache[key] = NullTranslations() if path is None else read_catalog(path)
        return self.cache[key]


class CatalogBabel(Babel):
    """Flask-Babel whose message domain reads the .po catalogs (see `CatalogDomain`)."""

    def __init__(self, app: Flask, directory: Path = CATALOGS) -> None:
        self.directory = directory
        super().__init__(
            app,
            configure_jinja=False,  # the templates get `_` and `ngettext` with {name} placeholders
            default_locale=DEFAULT_LOCALE,
            default_translation_directories=str(directory),
            locale_selector=lambda: current_locale().replace("-", "_"),
        )

    @cached_property
    def domain_instance(self) -> Domain:
        """The app's message domain."""
        return CatalogDomain(self.directory)


def best_locale(accept_language: str | None, cookie: str | None) -> str:
    """The locale for a request: the remembered choice, else the browser's first supported language."""
    if cookie in LOCALES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()))
    for _q, _i, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of this request (cached on `g`); English outside a request."""
    try:
        if "locale" not in g:
            g.locale = best_locale(
                request.headers.get("Accept-Language"), request.cookies.get(COOKIE)
            )
        return g.locale
    except RuntimeError:
        return DEFAULT_LOCALE


def gettext(text: str, **values: Any) -> str:
    """`text` in the request's language, with `{name}` placeholders filled from `values`."""
    out = get_translations().gettext(text)
    return out.format(**values) if values else out


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The form of `singular`/`plural` for `n` in the request's language (Chinese has one form),
    with `{n}` and the other placeholders filled."""
    return get_translations().ngettext(singular, plural, n).format(n=n, **values)


def error_text(error: BaseException | str | None) -> str:
    """An error as a page shows it, in the request's language: a GridmgrError made with `.of` has its
    template translated and filled; other messages are translated if the whole text is in the catalog.

    Given a message string (the error page gets only that), the GridmgrError being handled, if its
    message is that text, is used for its template.
    """
    if error is None:
        return ""
    if isinstance(error, str):
        handled = sys.exc_info()[1]
        if not (isinstance(handled, GridmgrError) and str(handled) == error):
            return gettext(error)
        error = handled
    return phrase_text(error)


def _filled(catalog: Catalog, template: str, values: Any) -> str:
    """The translation of `template` filled with `values`, those that are Phrases translated too."""

    def shown(value: Any) -> Any:
        if not isinstance(value, Phrase):
            return value
        if value.template is not None:
            if not catalog.holds(value.template):
                return str(value)
            return _filled(catalog, value.template, value.values)
        return catalog.gettext(value)

    return catalog.gettext(template).format(**{k: shown(v) for k, v in values.items()})


def phrase_text(text: str | BaseException) -> str:
    """A message that may carry an English template (a `Phrase.of`, such as a note about a file read,
    or an error made with `.of`) in the request's language."""
    catalog = get_translations()
    template = getattr(text, "template", None)
    if template and isinstance(catalog, Catalog) and catalog.holds(template):
        try:
            return _filled(catalog, template, getattr(text, "values", {}))
        except (KeyError, IndexError, ValueError):
            pass  # a catalog entry that does not fit its values: the English sentence instead
    return gettext(str(text))


def labels(texts: dict[str, str]) -> dict[str, str]:
    """The values of `texts` (such as maps.STATUS_LABELS or a tooltip's field names) translated."""
    return {k: gettext(v) for k, v in texts.items()}


def number(value: float, digits: int = 0) -> str:
    """A number with thousands separators (the same in both locales)."""
    return f"{value:,.{digits}f}"


def area_m2(value: float) -> str:
    """An area in square metres for the locale: '1,219 m²' / '1,219 平方米'."""
    return f"{number(value)} {gettext('m²')}"


def hectares(value_m2: float) -> str:
    """An area in hectares for the locale: '9.31 ha' / '9.31 公顷'."""
    return f"{number(value_m2 / 10000, 2)} {gettext('ha')}"


def percent(ratio: float, digits: int = 1) -> str:
    """A ratio as a percentage: '97.5%'."""
    return f"{ratio * 100:.{digits}f}%"


@bp.get("/lang/<code>")
def switch(code: str):
    """Remember the chosen language in a cookie and go back to the page the user came from."""
    resp = make_response(redirect(safe_target(request.args.get("next")) or "/"))
    if code in LOCALES:
        resp.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return resp


def init_app(app: Flask) -> None:
    """Set up Flask-Babel on the catalogs, register the switch route and the template helpers
    (_, ngettext, locale, area_m2, hectares, percent)."""
    CatalogBabel(app)
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        _=gettext,
        ngettext=ngettext,
        error_text=error_text,
        locale=current_locale,
        LOCALES=LOCALES,
        area_m2=area_m2,
        hectares=hectares,
        percent=percent,
    )
