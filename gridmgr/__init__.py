"""gridmgr: split managed areas into grid cells, staff them, and show where coverage falls short."""

__version__ = "0.1.0"
