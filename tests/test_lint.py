"""The code base passes ruff's lint and format checks, so style drift fails the suite."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(args):
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.fail(
            "ruff is not installed: it is part of the test extra (pip install -e '.[test]')"
        )
    done = subprocess.run(
        [ruff, *args, "gridmgr", "tests", "benchmarks", "geodata"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
