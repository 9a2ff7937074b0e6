"""The `gridmgr` command."""

from gridmgr.cli.main import main

__all__ = ["main"]
