"""Planners' pages: upload a boundary or cells, preview a new grid, commit it, plan history."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plan", __name__)
