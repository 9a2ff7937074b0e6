"""The package passes mypy as pyproject.toml sets it up (strict for geometry/, rules/ and services/),
so a wrong or missing type fails the suite, not a review."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT

STRICT_LAYERS = ["gridmgr.geometry.*", "gridmgr.rules.*", "gridmgr.services.*"]
# what mypy's --strict turns on that can be set per module
STRICT_FLAGS = [
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_decorators",
    "warn_return_any",
    "no_implicit_reexport",
    "strict_equality",
    "extra_checks",
]


def test_mypy():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail(
            "mypy is not installed: it is part of the test extra (pip install -e '.[test]')"
        )
    # the cache (.mypy_cache, ignored by git) makes a run after the first take about a second
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_pure_layers_are_checked_strictly():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["gridmgr"]
    strict = [o for o in config["overrides"] if o["module"] == STRICT_LAYERS]
    assert len(strict) == 1, "one override sets the strict flags for geometry, rules and services"
    assert {flag: strict[0].get(flag) for flag in STRICT_FLAGS} == dict.fromkeys(STRICT_FLAGS, True)
    # no module of those layers is relaxed by name (the services' typed results landed, issue 13.3)
    layers = tuple(pattern.removesuffix("*") for pattern in STRICT_LAYERS)
    for override in config["overrides"]:
        relaxed = [flag for flag in STRICT_FLAGS if override.get(flag) is False]
        named = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if relaxed:
            assert not [m for m in named if m.startswith(layers)], (named, relaxed)
