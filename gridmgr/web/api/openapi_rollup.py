"""The OpenAPI path and schemas of the roll-up, which `openapi.openapi_document()` merges in."""

from __future__ import annotations

from typing import Any

from gridmgr.web.api.rollup_json import ROW_FIELDS

JSON = "application/json"
_INT = {"type": "integer", "minimum": 0}

PATHS: dict[str, Any] = {
    "/areas/{slug}/rollup": {
        "parameters": [
            {
                "name": "slug",
                "in": "path",
                "required": True,
                "description": "the area's slug",
                "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
            }
        ],
        "get": {
            "operationId": "getRollup",
            "summary": "an area's figures and each child's at a moment, added up from the leaves "
            "(managers, planners; within a scoped user's area)",
            "parameters": [
                {
                    "name": "at",
                    "in": "query",
                    "required": False,
                    "description": "the moment (ISO; without offset the area's clock); default now",
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": {
                    "description": "the roll-up",
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/Rollup"}}},
                },
                **{str(c): {"$ref": f"#/components/responses/E{c}"} for c in (401, 403, 404, 422)},
            },
        },
    },
}

_ROW: dict[str, Any] = {
    "type": "object",
    "description": "an area's figures: a leaf's from its plan and ledger, an inner area's the sum "
    "of its leaves' (coverage_ratio weighted by area, rectification_rate over the subtree)",
    "required": list(ROW_FIELDS),
    "additionalProperties": False,
    "properties": {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "cells": _INT,
        "wardens": _INT,
        "coverage_ratio": {"type": "number", "minimum": 0},
        "unstaffed": _INT,
        "due": _INT,
        "overdue": _INT,
        "ok": _INT,
        "rounds_expected_today": _INT,
        "rounds_done_today": _INT,
        "findings_open": _INT,
        "findings_overdue": _INT,
        "rectification_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    },
}

SCHEMAS: dict[str, Any] = {
    "RollupRow": _ROW,
    "Rollup": {
        "type": "object",
        "required": ["area", "at", "total", "children"],
        "additionalProperties": False,
        "properties": {
            "area": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "total": {"$ref": "#/components/schemas/RollupRow"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/RollupRow"}},
        },
    },
}
