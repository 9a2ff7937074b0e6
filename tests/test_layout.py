"""The tests mirror the package: `gridmgr/X/Y.py` has its tests in `tests/X/test_Y.py` (and
`gridmgr/Y.py` in `tests/test_Y.py`), so each module's tests are found in one guess."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "gridmgr"
TESTS = ROOT / "tests"

# Modules without a mirrored test module, each with its reason. Keep this short: a small test beats an entry.
NOT_MIRRORED = {
    "__main__.py": "`python -m gridmgr` only calls cli.main (tests/cli/test_main.py runs it)",
    "geometry/arrays.py": "type aliases only, no behaviour: mypy (tests/test_types.py) checks every use",
}


def mirrored(module: Path) -> Path:
    """Where the tests of a package module live."""
    rel = module.relative_to(PACKAGE)
    return TESTS / rel.parent / f"test_{rel.name}"


def modules() -> list[str]:
    """Every module of the package but `__init__.py`s and Alembic's migrations, relative to it."""
    return sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" and "migrations" not in p.parts and "__pycache__" not in p.parts
    )


def test_every_module_has_its_test_module():
    missing = [m for m in modules() if not mirrored(PACKAGE / m).is_file()]
    unexplained = sorted(set(missing) - set(NOT_MIRRORED))
    assert not unexplained, (
        "modules without a mirrored test module (write tests/X/test_Y.py for gridmgr/X/Y.py, "
        f"or allow-list it in tests/test_layout.py with a reason): {unexplained}"
    )


def test_the_allow_list_names_only_unmirrored_modules():
    """An entry goes once its module is gone or has its test module: the list cannot go stale."""
    stale = sorted(m for m in NOT_MIRRORED if m not in modules() or mirrored(PACKAGE / m).is_file())
    assert not stale, (
        f"allow-listed but mirrored or gone, remove from tests/test_layout.py: {stale}"
    )


def test_the_mirror_rule():
    """The rule itself, on both kinds of path (a package folder and the package's root)."""
    assert mirrored(PACKAGE / "services" / "plans.py") == TESTS / "services" / "test_plans.py"
    assert mirrored(PACKAGE / "web" / "api" / "serialise.py") == (
        TESTS / "web" / "api" / "test_serialise.py"
    )
    assert mirrored(PACKAGE / "errors.py") == TESTS / "test_errors.py"
