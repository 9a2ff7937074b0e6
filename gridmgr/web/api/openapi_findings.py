"""The OpenAPI paths and schemas of findings, the ledger, categories and photos, which
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


def _body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_RATE = {"type": ["number", "null"], "description": "rectified / found, 3 decimals; null: none"}
_DAY = {"type": "string", "format": "date", "example": "2026-11-30"}
_ID = {
    "name": "finding_id",
    "in": "path",
    "required": True,
    "description": "a finding's id",
    "schema": {"type": "integer", "minimum": 1},
}
_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "the area's slug",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "a cell code of the area's active plan",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,80}$"},
}
_NOTE_BODY = {
    "type": "object",
    "properties": {"note": {"type": "string", "maxLength": 2000}},
}
_FILTERS = [
    _query(
        "status",
        "open (the overdue included), overdue, fixed or closed",
        {"type": "string", "enum": ["open", "overdue", "fixed", "closed"]},
    ),
    _query("category", "a category's key or either name"),
    _query("cell", "a cell code, as recorded or of the cell it lies in now"),
    _query("from", "found on or after this day (the area's calendar)", _DAY),
    _query("to", "found on or before this day", _DAY),
]

SCHEMAS: dict[str, Any] = {
    "Category": {
        "type": "object",
        "required": ["key", "name_en", "name_zh"],
        "properties": {"key": _STR, "name_en": _STR, "name_zh": _STR},
    },
    "PhotoRef": {
        "type": "object",
        "required": ["id", "stage", "width", "height", "url", "thumb_url"],
        "properties": {
            "id": _INT,
            "stage": {"type": "string", "enum": ["found", "fix"]},
            "width": _INT,
            "height": _INT,
            "url": _STR,
            "thumb_url": _STR,
        },
    },
    "NewFinding": {
        "type": "object",
        "description": 'either "fixed_now": true (立行立改, with an optional "note") or a '
        '"deadline" with a responsible "unit" and "person" (限期整改)',
        "required": ["category", "text"],
        "properties": {
            "category": {"type": "string", "description": "a category's key or either name"},
            "text": {"type": "string", "minLength": 1, "maxLength": 4000},
            "at": {"type": "string", "description": "when found; no offset: the area's clock"},
            "location": {
                "type": "object",
                "required": ["lon", "lat"],
                "properties": {
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                },
            },
            "fixed_now": {"type": "boolean", "default": False},
            "note": {"type": "string", "maxLength": 2000},
            "deadline": _DAY,
            "unit": {"type": "string", "maxLength": 200},
            "person": {"type": "string", "maxLength": 120},
            "by": {"type": "string", "description": "managers: the warden who found it"},
        },
    },
    "Finding": {
        "type": "object",
        "required": ["id", "status", "overdue", "area", "cell", "category", "text", "mode"],
        "properties": {
            "id": _INT,
            "status": {"type": "string", "enum": ["open", "fixed", "closed"]},
            "overdue": {"type": "boolean", "description": "open after its deadline day ended"},
            "area": _STR,
            "cell": {"type": "string", "description": "the cell code as recorded"},
            "cell_now": {"type": ["string", "null"], "description": "its cell in the active plan"},
            "category": _STR,
            "category_name": {"type": "object"},
            "text": _STR,
            "found_by": _STR,
            "found_at": _STR,
            "received_at": _STR,
            "location": {"type": ["object", "null"]},
            "mode": {"type": "string", "enum": ["on_spot", "deadline"]},
            "fixed_now": {"type": "boolean"},
            "deadline": _STR_OR_NULL,
            "unit": _STR_OR_NULL,
            "person": _STR_OR_NULL,
            "closed_as": {"type": ["string", "null"], "enum": ["rectified", "error", None]},
            "note": _STR_OR_NULL,
            "fixed_at": _STR_OR_NULL,
            "closed_at": _STR_OR_NULL,
            "photos": {"type": "array", "items": _ref("PhotoRef")},
            "events": {"type": "array", "items": {"type": "object"}},
        },
    },
    "GroupFigures": {
        "type": "object",
        "required": ["found", "rectified"],
        "properties": {
            "category": _STR,
            "cell": _STR,
            "period": _STR,
            "found": _INT,
            "rectified": _INT,
            "open": _INT,
            "overdue": _INT,
            "rate": _RATE,
        },
    },
    "Ledger": {
        "type": "object",
        "required": [
            "found",
            "fixed_on_spot",
            "with_deadline",
            "rectified",
            "open",
            "overdue",
            "rate",
            "by_category",
            "by_cell",
        ],
        "properties": {
            "area": _STR,
            "from": _STR_OR_NULL,
            "to": _STR_OR_NULL,
            "at": _STR,
            "found": _INT,
            "fixed_on_spot": _INT,
            "with_deadline": _INT,
            "rectified": {"type": "integer", "description": "fixed on the spot + closed"},
            "open": _INT,
            "fixed": {"type": "integer", "description": "reported fixed, awaiting a check"},
            "overdue": _INT,
            "rate": _RATE,
            "by_category": {"type": "array", "items": _ref("GroupFigures")},
            "by_cell": {"type": "array", "items": _ref("GroupFigures")},
            "period": {"type": "string", "enum": ["day", "week", "month"]},
            "by_period": {"type": "array", "items": _ref("GroupFigures")},
        },
    },
}

_FINDING = _ref("Finding")

PATHS: dict[str, Any] = {
    "/areas/{slug}/cells/{code}/findings": {
        "parameters": [_SLUG, _CODE],
        "post": {
            "operationId": "recordFinding",
            "summary": "record a problem found in a cell (wardens in their cells, managers)",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "a retry with the same key returns the first finding (200) "
                    "and stores nothing",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 80},
                }
            ],
            "requestBody": _body(_ref("NewFinding")),
            "responses": {
                "200": _ok("a retry: the finding this key made before", _FINDING),
                "201": _ok("recorded", _FINDING),
                **_errors(400, 401, 403, 404, 409, 413, 422),
            },
        },
    },
    "/areas/{slug}/findings": {
        "parameters": [_SLUG],
        "get": {
            "operationId": "listFindings",
            "summary": "an area's findings, newest first (wardens: their cells and charge)",
            "parameters": [
                *_FILTERS,
                _query("responsible", "part of the responsible unit or person"),
                _query("page", "page number (1 on)", {"type": "integer", "minimum": 1}),
                _query(
                    "per_page",
                    "findings per page (default and most 1000)",
                    {"type": "integer", "minimum": 1, "maximum": 1000},
                ),
            ],
            "responses": {
                "200": {
                    "description": "findings; X-Total-Count gives how many match, Link the next",
                    "headers": {"X-Total-Count": {"schema": _INT}, "Link": {"schema": _STR}},
                    "content": {JSON: {"schema": {"type": "array", "items": _FINDING}}},
                },
                **_errors(401, 403, 404, 422),
            },
        },
    },
    "/areas/{slug}/ledger": {
        "parameters": [_SLUG],
        "get": {
            "operationId": "getLedger",
            "summary": "the rectification ledger's figures (managers, planners)",
            "parameters": [
                _query("from", "found on or after this day (the area's calendar)", _DAY),
                _query("to", "found on or before this day", _DAY),
                _query(
                    "period",
                    "the periods of by_period",
                    {"type": "string", "enum": ["day", "week", "month"]},
                ),
            ],
            "responses": {
                "200": _ok("as `gridmgr ledger --json` prints it", _ref("Ledger")),
                **_errors(401, 403, 404, 422),
            },
        },
    },
    "/findings/{finding_id}": {
        "parameters": [_ID],
        "get": {
            "operationId": "getFinding",
            "summary": "one finding with its history",
            "responses": {"200": _ok("the finding", _FINDING), **_errors(401, 403, 404)},
        },
    },
    "/findings/{finding_id}/photos": {
        "parameters": [_ID],
        "post": {
            "operationId": "addFindingPhoto",
            "summary": "add a JPEG, PNG, WebP or HEIC photo (at most 10 MB, 5 per finding and "
            "5 per fix); re-encoded, EXIF stripped",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    }
                },
            },
            "responses": {
                "201": _ok("stored", _ref("PhotoRef")),
                **_errors(400, 401, 403, 404, 413, 422),
            },
        },
    },
    **{
        f"/findings/{{finding_id}}/{verb}": {
            "parameters": [_ID],
            "post": {
                "operationId": f"{verb}Finding",
                "summary": summary,
                "requestBody": _body(schema, required=verb == "extend"),
                "responses": {
                    "200": _ok("the finding now", _FINDING),
                    **_errors(400, 401, 403, 404, 409, 413, 422),
                },
            },
        }
        for verb, summary, schema in [
            (
                "fix",
                "the responsible person reports it fixed (wardens in charge, managers)",
                _NOTE_BODY,
            ),
            (
                "close",
                "verify and close it (managers); recorded_in_error: it counts nowhere",
                {
                    "type": "object",
                    "properties": {"note": _STR, "recorded_in_error": {"type": "boolean"}},
                },
            ),
            ("reopen", "reopen a fixed or closed finding (managers)", _NOTE_BODY),
            (
                "extend",
                "move an open finding's deadline later, with a reason (managers)",
                {
                    "type": "object",
                    "required": ["deadline", "reason"],
                    "properties": {"deadline": _DAY, "reason": {"type": "string", "minLength": 1}},
                },
            ),
        ]
    },
    "/categories": {
        "get": {
            "operationId": "listCategories",
            "summary": "the finding categories",
            "responses": {
                "200": _ok("categories", {"type": "array", "items": _ref("Category")}),
                **_errors(401),
            },
        },
        "post": {
            "operationId": "addCategories",
            "summary": "add categories (managers); a name that exists changes nothing",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["names"],
                    "properties": {
                        "names": {
                            "type": "array",
                            "items": {"type": "string", "description": "English=中文, or one"},
                            "minItems": 1,
                            "maxItems": 50,
                        }
                    },
                }
            ),
            "responses": {
                "201": _ok("the categories named", {"type": "array", "items": _ref("Category")}),
                **_errors(400, 401, 403, 413, 422),
            },
        },
    },
    "/me/findings": {
        "get": {
            "operationId": "myFindings",
            "summary": "the warden's open and fixed findings: in its cells or its charge",
            "responses": {
                "200": _ok("findings", {"type": "array", "items": _FINDING}),
                **_errors(401, 403, 404),
            },
        },
    },
    "/photos/{photo_id}": {
        "parameters": [
            {
                "name": "photo_id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        ],
        "get": {
            "operationId": "getPhoto",
            "summary": "a finding's photo (JPEG, no EXIF) for whoever may see the finding",
            "parameters": [
                _query("size", "full or thumb", {"type": "string", "enum": ["full", "thumb"]})
            ],
            "responses": {
                "200": {
                    "description": "the image",
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                **_errors(401, 403, 404, 422),
            },
        },
    },
}
