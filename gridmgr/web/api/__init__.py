"""The JSON API under /api/v1 and its OpenAPI document."""

from gridmgr.web.api import findings  # noqa: F401  (adds the findings routes to bp)
from gridmgr.web.api.routes import bp

__all__ = ["bp"]
