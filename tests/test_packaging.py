"""The wheel carries what the service needs at run time: templates, static assets, migrations."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_ships_pages_assets_and_migrations(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         str(ROOT), "-w", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("gridmgr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n for n in names if n.startswith("gridmgr/")}
    for page in (ROOT / "templates").glob("*.html"):
        assert f"gridmgr/templates/{page.name}" in shipped
    for asset in (ROOT / "gridmgr" / "static").rglob("*"):
        if asset.is_file():
            assert f"gridmgr/{asset.relative_to(ROOT / 'gridmgr').as_posix()}" in shipped
    assert any(n.startswith("gridmgr/migrations/versions/0001") for n in shipped)
    assert "gridmgr/migrations/script.py.mako" in shipped
