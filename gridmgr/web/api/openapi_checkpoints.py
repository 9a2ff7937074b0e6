"""The OpenAPI paths and schemas of checkpoints, counts and occupancy, which
`openapi.openapi_document()` merges into the API's document."""

from __future__ import annotations

from typing import Any

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


_INT = {"type": "integer"}
_INT_OR_NULL = {"type": ["integer", "null"]}
_STR = {"type": "string"}
_STATUS = {"type": "string", "enum": ["open", "near", "full"]}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "the area's slug",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
}
_CHECKPOINT = {
    "name": "checkpoint_id",
    "in": "path",
    "required": True,
    "description": "a checkpoint's id (gridmgr checkpoint list)",
    "schema": {"type": "integer", "minimum": 1},
}
_SLOT = {
    "type": ["object", "null"],
    "required": ["from", "to", "quota", "entries"],
    "properties": {"from": _STR, "to": _STR, "quota": _INT, "entries": _INT},
}

SCHEMAS: dict[str, Any] = {
    "NewCount": {
        "type": "object",
        "description": 'people in and out at a gate; at least one of "in" and "out" above 0',
        "properties": {
            "in": {"type": "integer", "minimum": 0, "maximum": 10000},
            "out": {"type": "integer", "minimum": 0, "maximum": 10000},
            "at": {"type": "string", "description": "when; no offset: the area's clock"},
            "override": {
                "type": "boolean",
                "default": False,
                "description": "managers: pass the caps (needs a reason; audited)",
            },
            "reason": {"type": "string", "maxLength": 500},
        },
        "additionalProperties": False,
    },
    "Count": {
        "type": "object",
        "required": ["occupancy", "limit", "status", "id", "checkpoint", "in", "out", "at"],
        "properties": {
            "occupancy": _INT,
            "limit": _INT_OR_NULL,
            "status": _STATUS,
            "id": _INT,
            "checkpoint": _INT,
            "in": _INT,
            "out": _INT,
            "at": _STR,
            "override": {"type": "boolean"},
        },
    },
    "Occupancy": {
        "type": "object",
        "required": ["occupancy", "limit", "status", "entries_today", "slots", "checkpoints"],
        "properties": {
            "occupancy": {"type": "integer", "description": "entries minus exits today"},
            "limit": _INT_OR_NULL,
            "status": _STATUS,
            "entries_today": _INT,
            "slots": {"type": "array", "items": _SLOT},
            "checkpoints": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "name", "in", "out"],
                    "properties": {
                        "id": _INT,
                        "name": _STR,
                        "in": _INT,
                        "out": _INT,
                        "lon": {"type": "number"},
                        "lat": {"type": "number"},
                        "last_count": {"type": ["string", "null"]},
                    },
                },
            },
            "area": _STR,
            "name": _STR,
            "day": _STR,
            "at": _STR,
            "timezone": _STR,
            "exits_today": _INT,
            "current_slot": _SLOT,
            "next_slot": _SLOT,
            "max_capacity": _INT_OR_NULL,
            "percent": {"type": ["number", "null"]},
            "instant": _INT_OR_NULL,
            "limit_from": {
                "type": "string",
                "enum": ["own", "children"],
                "description": "a parent area's limit, slots and counts are its children's summed",
            },
        },
    },
    "OccupancyCurve": {
        "type": "object",
        "required": ["area", "day", "step_min", "limit", "times", "occupancy"],
        "properties": {
            "area": _STR,
            "day": _STR,
            "step_min": _INT,
            "limit": _INT_OR_NULL,
            "times": {"type": "array", "items": _STR},
            "occupancy": {"type": "array", "items": _INT},
        },
    },
    "Checkpoint": {
        "type": "object",
        "required": ["id", "area", "name", "lon", "lat", "wardens"],
        "properties": {
            "id": _INT,
            "area": _STR,
            "name": _STR,
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "wardens": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "shift"],
                    "properties": {"name": _STR, "shift": {"type": ["string", "null"]}},
                },
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/areas/{slug}/checkpoints/{checkpoint_id}/counts": {
        "parameters": [_SLUG, _CHECKPOINT],
        "post": {
            "operationId": "countAtCheckpoint",
            "summary": "count people in and out at a gate (its wardens, managers); 409 at_capacity "
            "for entries past the limit or the slot's quota",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "a retry with the same key returns the first answer and "
                    "counts nothing",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
                }
            ],
            "requestBody": {"required": True, "content": {JSON: {"schema": _ref("NewCount")}}},
            "responses": {
                "201": _ok("counted (or a retry of a key: the first answer)", _ref("Count")),
                **_errors(400, 401, 403, 404, 409, 413, 422),
            },
        },
    },
    "/areas/{slug}/occupancy": {
        "parameters": [_SLUG],
        "get": {
            "operationId": "getOccupancy",
            "summary": "people inside today against the limit, slots and each gate's counts",
            "parameters": [
                {
                    "name": "at",
                    "in": "query",
                    "required": False,
                    "description": "the day of this moment (default now)",
                    "schema": _STR,
                }
            ],
            "responses": {
                "200": _ok("the area's day so far", _ref("Occupancy")),
                **_errors(401, 403, 404, 422),
            },
        },
    },
    "/areas/{slug}/occupancy/curve": {
        "parameters": [_SLUG],
        "get": {
            "operationId": "getOccupancyCurve",
            "summary": "the day's occupancy in steps (the highest in each)",
            "parameters": [
                {
                    "name": "day",
                    "in": "query",
                    "required": False,
                    "description": "YYYY-MM-DD on the area's clock (default today)",
                    "schema": {"type": "string", "format": "date"},
                },
                {
                    "name": "step",
                    "in": "query",
                    "required": False,
                    "description": "minutes a step (default 10)",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 240},
                },
            ],
            "responses": {
                "200": _ok("the curve", _ref("OccupancyCurve")),
                **_errors(401, 403, 404, 422),
            },
        },
    },
    "/areas/{slug}/checkpoints": {
        "parameters": [_SLUG],
        "get": {
            "operationId": "listCheckpoints",
            "summary": "an area's checkpoints and the wardens posted there (managers, planners)",
            "responses": {
                "200": _ok("checkpoints", {"type": "array", "items": _ref("Checkpoint")}),
                **_errors(401, 403, 404),
            },
        },
    },
}
