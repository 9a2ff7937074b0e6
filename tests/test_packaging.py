"""The wheel carries what the service needs at run time: templates, static assets, migrations and the
translation catalog, which works from the unpacked wheel alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def clean_copy(target: Path) -> Path:
    """The repository's tracked files (and new ones not ignored) copied to `target`: a wheel built
    from the working tree would also take whatever a stale build/ folder holds."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_wheel_ships_pages_assets_and_migrations(tmp_path):
    source = clean_copy(tmp_path / "src")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         str(source), "-w", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("gridmgr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n for n in names if n.startswith("gridmgr/")}
    for page in (ROOT / "templates").glob("*.html"):
        assert f"gridmgr/templates/{page.name}" in shipped
    for asset in (ROOT / "gridmgr" / "web" / "static").rglob("*"):
        if asset.is_file():
            assert f"gridmgr/{asset.relative_to(ROOT / 'gridmgr').as_posix()}" in shipped
    assert any(n.startswith("gridmgr/db/migrations/versions/0001") for n in shipped)
    assert "gridmgr/db/migrations/script.py.mako" in shipped
    # every module of the package, in its layer folder
    for module in (ROOT / "gridmgr").rglob("*.py"):
        assert f"gridmgr/{module.relative_to(ROOT / 'gridmgr').as_posix()}" in shipped
    # the gettext catalog and its template (gettext's layout, as `pybabel` keeps them)
    assert "gridmgr/translations/zh_CN/LC_MESSAGES/messages.po" in shipped
    assert "gridmgr/translations/messages.pot" in shipped
    # the unpacked wheel alone (not this checkout) serves a page in Chinese: the .po is read as is
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    check = (
        "import sys, gridmgr.web.i18n as i18n, flask\n"
        "assert i18n.__file__.startswith(sys.argv[1]), i18n.__file__\n"
        "app = flask.Flask('x')\n"
        "i18n.CatalogBabel(app)\n"
        "with app.test_request_context(headers={'Accept-Language': 'zh-CN'}):\n"
        "    assert i18n.gettext('Log in') == '登录'\n"
        "    assert i18n.ngettext('{n} warden', '{n} wardens', 3) == '3 名网格员'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(unpacked)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(unpacked)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
