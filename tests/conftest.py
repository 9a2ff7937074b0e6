"""Shared fixtures: where the project's own and the shared sample data live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEODATA = ROOT / "geodata"
SHARED_GEODATA = ROOT.parent / "shared" / "geodata"


@pytest.fixture
def shared_geodata() -> Path:
    """The real sample files of ../shared/geodata; tests using them skip on a user's fresh clone."""
    if not SHARED_GEODATA.is_dir():
        pytest.skip(
            "../shared/geodata is not beside this checkout (only CI and developers have it)"
        )
    return SHARED_GEODATA
