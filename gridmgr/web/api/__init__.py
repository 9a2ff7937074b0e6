"""The JSON API under /api/v1 and its OpenAPI document."""

from gridmgr.web.api import (
    checkpoints,  # noqa: F401  (adds the checkpoints routes to bp)
    findings,  # noqa: F401  (adds the findings routes to bp)
    rollup,  # noqa: F401  (adds the roll-up route to bp)
    rounds,  # noqa: F401  (adds the rounds list to bp)
    tiles,  # noqa: F401  (adds the vector tiles to bp)
)
from gridmgr.web.api.routes import bp

__all__ = ["bp"]
