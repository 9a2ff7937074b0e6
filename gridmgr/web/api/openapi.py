"""The OpenAPI 3 description of /api/v1, written as data; tests check the app against it (schemathesis)."""

from __future__ import annotations

import copy
from typing import Any

from gridmgr import __version__ as _version
from gridmgr.rules.naming import SLUG_PATTERN

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_NUM = {"type": "number"}
_INT = {"type": "integer"}
_CODES = {"type": "array", "items": _STR}
_TIME_HHMM = {"type": "string", "example": "08:00"}

_SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "the area's slug, e.g. haibin-park",
    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,79}$"},
}
_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "a cell code of the area's active plan, e.g. HAIBIN-PARK-001",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,80}$"},
}
_AT = {
    "name": "at",
    "in": "query",
    "required": False,
    "description": "an ISO moment, e.g. 2026-11-24T10:00 (no offset: the area's local time); default now",
    "schema": {"type": "string"},
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "description": "machine-readable, e.g. not_found"},
                    "message": {"type": "string", "description": "for people; names the fault"},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "GeoJSONGeometry": {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string"}},
        "description": "a GeoJSON geometry (RFC 7946), WGS84 longitude/latitude",
    },
    "GeoJSON": {
        "description": "GeoJSON: a FeatureCollection, Feature, geometry, or an array of Features",
        "oneOf": [{"type": "object", "required": ["type"]}, {"type": "array"}],
    },
    "AreaSummary": {
        "type": "object",
        "required": ["slug", "name", "kind", "area_m2", "plan_version", "cells", "parent"],
        "properties": {
            "slug": _STR,
            "name": _STR,
            "kind": _STR,
            "area_m2": _NUM,
            "plan_version": {"type": ["integer", "null"]},
            "cells": _INT,
            "parent": {
                **_STR_OR_NULL,
                "description": "the parent area's slug (district → street → community); null: a root",
            },
            "leader": {**_STR_OR_NULL, "description": "the area's leader (e.g. 街道书记, 网格长)"},
            "leader_phone": _STR_OR_NULL,
            "deputy": {**_STR_OR_NULL, "description": "the leader's deputy"},
            "deputy_phone": _STR_OR_NULL,
        },
    },
    "NewArea": {
        "type": "object",
        "required": ["name", "geometry"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "kind": {
                "type": "string",
                "description": "park, community, district, ...; default area",
            },
            "geometry": _ref("GeoJSON"),
            "crs": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"},
            "code": {
                "type": "string",
                "description": "cell-code prefix, e.g. 370212, or an administrative code: 6 digits "
                "(district), 9 (+ street), 12 (+ community); cells then read code + 3 digits",
            },
            "timezone": {"type": "string", "default": "Asia/Shanghai"},
            "parent": {
                "type": "string",
                "description": "the parent area's slug: the new area is its child, clipped to it "
                "(one mostly outside it answers 422); a gridded parent's cells move to the child "
                "when it covers them all, else 422 and nothing is written",
            },
            "slug": {
                "type": "string",
                "pattern": f"^{SLUG_PATTERN}$",
                "description": "the area's slug in its paths; default: made from the name in pinyin "
                "or ASCII (儿童公园 -> ertong-gongyuan, -2, -3 on a clash); one taken answers 409",
            },
        },
    },
    "AddedArea": {
        "type": "object",
        "required": ["slug", "name", "kind", "area_m2", "warnings"],
        "properties": {
            "slug": _STR,
            "name": _STR,
            "kind": _STR,
            "area_m2": _NUM,
            "warnings": {"type": "array", "items": _STR},
            "parent": _STR_OR_NULL,
        },
    },
    "AreaFeature": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": _STR,
            "geometry": _ref("GeoJSONGeometry"),
            "properties": {
                "type": "object",
                "required": [
                    "slug",
                    "name",
                    "kind",
                    "timezone",
                    "area_m2",
                    "plan_version",
                    "cells",
                    "parent",
                ],
                "properties": {
                    "slug": _STR,
                    "name": _STR,
                    "kind": _STR,
                    "code": _STR_OR_NULL,
                    "timezone": _STR,
                    "area_m2": _NUM,
                    "plan_version": {"type": ["integer", "null"]},
                    "cells": _INT,
                    "parent": {
                        **_STR_OR_NULL,
                        "description": "the parent area's slug (district → street → community); null: a root",
                    },
                    "leader": {
                        **_STR_OR_NULL,
                        "description": "the area's leader (e.g. 街道书记, 网格长)",
                    },
                    "leader_phone": _STR_OR_NULL,
                    "deputy": {**_STR_OR_NULL, "description": "the leader's deputy"},
                    "deputy_phone": _STR_OR_NULL,
                },
            },
        },
    },
    "GridRequest": {
        "type": "object",
        "description": 'exactly one of "count", "cell_size", "target_weight" or "cells"',
        "properties": {
            "count": {
                "type": "integer",
                "minimum": 1,
                "description": "N cells of equal area, or of equal weight with weight",
            },
            "cell_size": {"type": "number", "exclusiveMinimum": 0, "description": "metres"},
            "weight": {
                **_ref("GeoJSON"),
                "description": "the workload to balance: points (a count each, weight_field or 1) "
                "or polygons whose weight_field is spread over their area",
            },
            "weight_field": {"type": "string", "description": "the number property of weight"},
            "target_weight": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "with weight: ceil(total weight / target_weight) cells",
            },
            "shape": {"type": "string", "enum": ["square", "hex"], "default": "square"},
            "cells": _ref("GeoJSON"),
            "crs": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"},
            "dry_run": {"type": "boolean", "default": False},
        },
    },
    "LeavesGridded": {
        "type": "object",
        "description": "an area with child areas gridded leaf by leaf: count shared out by land",
        "required": ["area", "dry_run", "mode", "cells", "leaves"],
        "properties": {
            "area": _STR,
            "dry_run": {"type": "boolean"},
            "mode": {"type": "string", "enum": ["count", "cell_size"]},
            "cells": _INT,
            "leaves": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "slug",
                        "name",
                        "code",
                        "area_m2",
                        "share",
                        "cells",
                        "plan_version",
                    ],
                    "properties": {
                        "slug": _STR,
                        "name": _STR,
                        "code": _STR_OR_NULL,
                        "area_m2": _NUM,
                        "share": {
                            "type": ["number", "null"],
                            "description": "the leaf's exact share of count by land",
                        },
                        "cells": _INT,
                        "first_code": _STR,
                        "last_code": _STR,
                        "plan_version": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
    "GridReport": {
        "type": "object",
        "required": ["dry_run", "mode", "cells", "previous_cells", "gained_staff", "lost_staff"],
        "properties": {
            "dry_run": {"type": "boolean"},
            "mode": _STR,
            "cells": _INT,
            "previous_cells": _INT,
            "kept_codes": _INT,
            "staffed_cells": _INT,
            "wardens_posted": _INT,
            "gained_staff": _CODES,
            "lost_staff": _CODES,
            "quality": {"type": "object"},
            "gaps_and_overlaps": {"type": "object"},
            "plan_version": {"type": "integer", "description": "absent on a dry run"},
        },
    },
    "Post": {
        "type": "object",
        "required": ["name", "role"],
        "properties": {
            "name": _STR,
            "role": {
                "type": "string",
                "enum": ["leader", "member", "volunteer", "building_leader", "unit_leader"],
            },
        },
    },
    "Schedule": {
        "type": "object",
        "required": ["times", "extra"],
        "properties": {"times": {"type": "array", "items": _TIME_HHMM}, "extra": _INT},
    },
    "CellCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "geometry": _ref("GeoJSONGeometry"),
                        "properties": {
                            "type": "object",
                            "description": "the fields asked for (all by default)",
                            "properties": {
                                "code": _STR,
                                "area_m2": _NUM,
                                "wardens": {"type": "array", "items": _ref("Post")},
                                "schedule": {"oneOf": [_ref("Schedule"), {"type": "null"}]},
                                "status": {
                                    "type": "string",
                                    "enum": ["ok", "due", "overdue", "unstaffed", "unscheduled"],
                                },
                                "weight": {
                                    "type": ["number", "null"],
                                    "description": "the cell's workload (households, visitors a "
                                    "day) when the plan was made with a weight; absent otherwise",
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "CompactCells": {
        "type": "object",
        "description": "the cells with ?format=compact (docs/api.md): properties as columns in plan "
        "order, values looked up in `tables`; geometries as integer coordinates in units of "
        "10^-precision degrees. Per cell `geometries.parts[i]` polygons (a MultiPolygon when i is "
        "in `multi`, else a Polygon), per polygon `rings[j]` rings (exterior first, then holes), "
        "per ring `vertices[k]` vertices (the closing one left out) whose x, y pairs follow in "
        "`coords`: a ring's first vertex is relative to `origin`, each next one the step from the "
        "one before. Longitude = (origin[0] + x) / 10^precision, latitude likewise with y",
        "required": [
            "format",
            "count",
            "precision",
            "origin",
            "columns",
            "tables",
            "geometries",
        ],
        "properties": {
            "format": {"const": "compact"},
            "count": {"type": "integer", "minimum": 0, "description": "the number of cells"},
            "precision": {"type": "integer", "minimum": 5, "maximum": 7},
            "origin": {
                "type": "array",
                "items": _INT,
                "minItems": 2,
                "maxItems": 2,
                "description": "x, y in units of 10^-precision degrees (the plan's lowest)",
            },
            "columns": {
                "type": "object",
                "description": "the fields asked for (all by default), one entry per cell",
                "properties": {
                    "code": {
                        "oneOf": [
                            {"type": "array", "items": _STR},
                            {
                                "type": "object",
                                "description": "code = prefix + number zero-padded to width "
                                "digits (0: not padded)",
                                "required": ["prefix", "width", "numbers"],
                                "properties": {
                                    "prefix": _STR,
                                    "width": {"type": "integer", "minimum": 0},
                                    "numbers": {"type": "array", "items": _INT},
                                },
                            },
                        ]
                    },
                    "area_m2": {"type": "array", "items": _NUM},
                    "wardens": {
                        "type": "object",
                        "description": "per cell `counts[i]` wardens, whose indices into "
                        "tables.wardens follow in `posts`",
                        "required": ["counts", "posts"],
                        "properties": {
                            "counts": {"type": "array", "items": _INT},
                            "posts": {"type": "array", "items": _INT},
                        },
                    },
                    "schedule": {
                        "type": "array",
                        "description": "an index into tables.schedule, or null: no schedule",
                        "items": {"type": ["integer", "null"]},
                    },
                    "status": {
                        "type": "array",
                        "description": "an index into tables.status",
                        "items": {"type": "integer", "minimum": 0, "maximum": 4},
                    },
                    "weight": {
                        "type": "array",
                        "description": "each cell's workload when the plan was made with a "
                        "weight (absent otherwise), null where a cell has none",
                        "items": {"type": ["number", "null"]},
                    },
                },
            },
            "tables": {
                "type": "object",
                "properties": {
                    "status": {
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": ["ok", "due", "overdue", "unstaffed", "unscheduled"],
                        },
                    },
                    "wardens": {
                        "type": "array",
                        "description": "distinct [name, role] pairs",
                        "items": {"type": "array", "items": _STR, "minItems": 2, "maxItems": 2},
                    },
                    "schedule": {"type": "array", "items": _ref("Schedule")},
                },
            },
            "geometries": {
                "type": "object",
                "required": ["parts", "multi", "rings", "vertices", "coords"],
                "properties": {
                    "parts": {"type": "array", "items": _INT, "description": "polygons per cell"},
                    "multi": {
                        "type": "array",
                        "items": _INT,
                        "description": "the cells (by position) that are MultiPolygons",
                    },
                    "rings": {"type": "array", "items": _INT, "description": "rings per polygon"},
                    "vertices": {
                        "type": "array",
                        "items": _INT,
                        "description": "vertices per ring, the closing one left out",
                    },
                    "coords": {
                        "type": "array",
                        "items": _INT,
                        "description": "x, y pairs: per ring the first from the origin, then steps",
                    },
                },
            },
        },
    },
    "Pieces": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["type", "geometry", "properties"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "geometry": _ref("GeoJSONGeometry"),
                        "properties": {
                            "type": "object",
                            "required": ["area_m2"],
                            "properties": {"area_m2": _NUM},
                        },
                    },
                },
            },
        },
    },
    "Coverage": {
        "type": "object",
        "description": "what `gridmgr coverage --json` prints; every scheduled cell is in exactly "
        "one of due, overdue, ok (the worst that applies)",
        "required": [
            "area",
            "at",
            "timezone",
            "plan_version",
            "area_m2",
            "covered_m2",
            "coverage_ratio",
            "gaps",
            "overlaps",
            "cells_total",
            "unstaffed",
            "unscheduled",
            "due",
            "overdue",
            "ok",
        ],
        "properties": {
            "area": _STR,
            "at": _STR,
            "timezone": _STR,
            "plan_version": _INT,
            "area_m2": _NUM,
            "covered_m2": _NUM,
            "coverage_ratio": _NUM,
            "gaps": _ref("Pieces"),
            "overlaps": _ref("Pieces"),
            "cells_total": _INT,
            "unstaffed": _CODES,
            "unscheduled": _CODES,
            "due": _CODES,
            "overdue": _CODES,
            "ok": _CODES,
            "short_of_extra": _CODES,
            "wardens": {"type": "array", "items": {"type": "object"}},
            "worst": {"type": "array", "items": {"type": "object"}},
            "day": {"type": "object", "description": "with ?day=: the local day's rounds per cell"},
            "rounds_today": {
                "type": "integer",
                "description": "rounds logged today (the area's clock) up to `at`",
            },
            "rounds_without_proof": {
                "type": "integer",
                "description": "of those, rounds without a position in the cell",
            },
            "late_entries": {
                "type": "integer",
                "description": "of those, rounds entered over 15 minutes after their time",
            },
            "unproven": {
                **_CODES,
                "description": "cells whose rounds today all lack proof",
            },
            "checkpoints": {
                "type": "object",
                "description": "the area's checkpoints: how many, the ids of those nobody is "
                "posted at and of those whose shift is on with no count since it began, and each "
                "one's state (unstaffed, unattended, off, ok)",
                "properties": {
                    "total": _INT,
                    "unstaffed": {"type": "array", "items": _INT},
                    "unattended": {"type": "array", "items": _INT},
                    "states": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    "CellWardens": {
        "type": "object",
        "required": ["area", "cell", "wardens"],
        "properties": {
            "area": _STR,
            "cell": _STR,
            "wardens": {"type": "array", "items": _ref("Post")},
        },
    },
    "NewWardens": {
        "type": "object",
        "required": ["wardens"],
        "properties": {
            "wardens": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": _STR,
                        "role": {
                            "type": "string",
                            "enum": [
                                "leader",
                                "member",
                                "volunteer",
                                "building_leader",
                                "unit_leader",
                            ],
                            "default": "member",
                        },
                    },
                },
            }
        },
    },
    "NewSchedule": {
        "type": "object",
        "required": ["times"],
        "properties": {
            "times": {"type": "array", "items": _TIME_HHMM, "minItems": 1},
            "extra": {"type": "integer", "minimum": 0, "maximum": 48, "default": 0},
        },
    },
    "CellSchedule": {
        "type": "object",
        "required": ["area", "cell", "times", "extra"],
        "properties": {
            "area": _STR,
            "cell": _STR,
            "times": {"type": "array", "items": _STR},
            "extra": _INT,
        },
    },
    "NewRound": {
        "type": "object",
        "properties": {
            "at": {"type": "string", "description": "ISO time; default now"},
            "note": {"type": "string", "maxLength": 2000},
            "warden": {
                "type": "string",
                "description": "managers name the warden; a warden logs for itself",
            },
            "location": {
                "description": "where the phone was, WGS84 as phones report it; required (and "
                "in the cell) in an area that requires a location",
                **_ref("Location"),
            },
        },
    },
    "Location": {
        "type": "object",
        "required": ["lon", "lat"],
        "properties": {
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "accuracy_m": {"type": ["number", "null"], "minimum": 0, "maximum": 2000},
        },
    },
    "Round": {
        "type": "object",
        "required": ["id", "area", "cell", "warden", "at", "note"],
        "properties": {
            "id": _INT,
            "area": _STR,
            "cell": _STR,
            "warden": _STR_OR_NULL,
            "at": _STR,
            "note": _STR_OR_NULL,
            "received_at": {
                "type": ["string", "null"],
                "description": "when the server stored it",
            },
            "late_entry": {
                "type": "boolean",
                "description": "received more than 15 minutes after `at`",
            },
            "backfilled": {"type": "boolean", "description": "dated back by a manager"},
            "location": {"oneOf": [_ref("Location"), {"type": "null"}]},
            "in_cell": {
                "type": ["boolean", "null"],
                "description": "the location within max(accuracy, 30 m) of the cell; null "
                "without a location",
            },
            "distance_m": {"type": ["number", "null"], "description": "metres from the cell"},
        },
    },
    "MyCells": {
        "type": "object",
        "required": ["warden", "at", "cells"],
        "properties": {
            "warden": _STR,
            "at": _STR,
            "cells": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "area",
                        "area_name",
                        "code",
                        "geometry",
                        "schedule",
                        "status",
                        "rounds",
                        "extra",
                        "last_round",
                    ],
                    "properties": {
                        "area": _STR,
                        "area_name": _STR,
                        "timezone": _STR,
                        "code": _STR,
                        "role": _STR,
                        "area_m2": _NUM,
                        "geometry": _ref("GeoJSONGeometry"),
                        "schedule": {"oneOf": [_ref("Schedule"), {"type": "null"}]},
                        "status": {
                            "type": "string",
                            "enum": ["ok", "due", "overdue", "unscheduled"],
                        },
                        "rounds": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["time", "at", "window", "status"],
                                "properties": {
                                    "time": _STR,
                                    "at": _STR,
                                    "window": {
                                        "type": "object",
                                        "required": ["opens", "closes"],
                                        "properties": {"opens": _STR, "closes": _STR},
                                    },
                                    "status": {
                                        "type": "string",
                                        "enum": ["done", "late", "due", "overdue", "upcoming"],
                                    },
                                },
                            },
                        },
                        "extra": {
                            "type": "object",
                            "required": ["done", "expected"],
                            "properties": {"done": _INT, "expected": _INT},
                        },
                        "logged": {"type": "array", "items": {"type": "object"}},
                        "last_round": _STR_OR_NULL,
                        "next_round": _STR_OR_NULL,
                    },
                },
            },
        },
    },
}

_ERROR_TEXT = {
    400: "malformed request: the body is not JSON, or a form's CSRF token is missing",
    401: "no login: no token, or one that is unknown or revoked",
    403: "the user's role (or, for a warden, the cell) does not allow this",
    404: "no such area, cell or warden",
    409: "a clash with the current state: a concurrent re-grid, a reused Idempotency-Key",
    413: "the body is over MAX_UPLOAD_MB",
    422: "JSON whose content cannot be used: bad GeoJSON, times, fields; the message names it",
    429: "too many failed logins for this user name or address; Retry-After says when to try again",
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "gridmgr API",
        "version": _version,
        "description": "Areas split into cells, wardens and 3+N schedules, coverage gaps. Log in "
        "with POST /api/v1/token and send `Authorization: Bearer TOKEN`.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": _SCHEMAS,
        "responses": {
            f"E{c}": {"description": t, "content": {JSON: {"schema": _ref("Error")}}}
            for c, t in _ERROR_TEXT.items()
        },
    },
    "paths": {
        "/token": {
            "post": {
                "operationId": "token",
                "summary": "trade a user name and password for a bearer token",
                "security": [],
                "requestBody": _body(
                    {
                        "type": "object",
                        "required": ["username", "password"],
                        "properties": {"username": _STR, "password": _STR},
                    }
                ),
                "responses": {
                    "200": _ok(
                        "a new token, shown once",
                        {"type": "object", "required": ["token"], "properties": {"token": _STR}},
                    ),
                    **_errors(400, 401, 413, 422, 429),
                },
            },
            "delete": {
                "operationId": "revokeToken",
                "summary": "revoke the token this request carries (it answers 401 from then on)",
                "responses": {"204": {"description": "revoked"}, **_errors(401, 422)},
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "this document",
                "security": [],
                "responses": {"200": _ok("OpenAPI 3.1", {"type": "object"})},
            }
        },
        "/areas": {
            "get": {
                "operationId": "listAreas",
                "summary": "every area (managers, planners); ?parent=SLUG: that area's children",
                "parameters": [
                    {
                        "name": "parent",
                        "in": "query",
                        "required": False,
                        "description": "list only the children of this area (its slug)",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _ok(
                        "areas by slug, as `gridmgr area list --json` prints them",
                        {"type": "array", "items": _ref("AreaSummary")},
                    ),
                    **_errors(401, 403, 404),
                },
            },
            "post": {
                "operationId": "addArea",
                "summary": "store a new area from a GeoJSON outline (planners)",
                "requestBody": _body(_ref("NewArea")),
                "responses": {
                    "201": {
                        "description": "stored; Location names it",
                        "headers": {"Location": {"schema": _STR}},
                        "content": {JSON: {"schema": _ref("AddedArea")}},
                    },
                    **_errors(400, 401, 403, 409, 413, 422),
                },
            },
        },
        "/areas/{slug}": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getArea",
                "summary": "an area as a GeoJSON Feature (managers, planners)",
                "responses": {
                    "200": _ok("the area", _ref("AreaFeature")),
                    **_errors(401, 403, 404),
                },
            },
        },
        "/areas/{slug}/grid": {
            "parameters": [_SLUG],
            "post": {
                "operationId": "gridArea",
                "summary": "a new plan by count, cell size or drawn cells; staff carried over; an "
                "area with child areas: its leaves gridded, count shared out by land (planners)",
                "requestBody": _body(_ref("GridRequest")),
                "responses": {
                    "200": _ok(
                        "dry run: what would change; nothing written",
                        {"anyOf": [_ref("GridReport"), _ref("LeavesGridded")]},
                    ),
                    "201": _ok(
                        "the new plan is active (an area with child areas: each leaf's)",
                        {"anyOf": [_ref("GridReport"), _ref("LeavesGridded")]},
                    ),
                    **_errors(400, 401, 403, 404, 409, 413, 422),
                },
            },
        },
        "/areas/{slug}/cells": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getCells",
                "summary": "the plan's cells with wardens, schedule and status (managers, planners)",
                "description": "the active plan's cells; with `at`, those of the plan in force then "
                "(as the coverage report), with their status at that moment",
                "parameters": [
                    {
                        "name": "fields",
                        "in": "query",
                        "required": False,
                        "description": "properties to keep, comma-separated: "
                        "code,area_m2,wardens,schedule,status (default all)",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "precision",
                        "in": "query",
                        "required": False,
                        "description": "decimals of coordinates (7 is about 1 cm)",
                        "schema": {"type": "integer", "minimum": 5, "maximum": 7, "default": 7},
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "description": "geojson: a FeatureCollection; compact: the same cells as "
                        "columns and delta-encoded integer coordinates, about a fifth the size",
                        "schema": {
                            "type": "string",
                            "enum": ["geojson", "compact"],
                            "default": "geojson",
                        },
                    },
                    _AT,
                ],
                "responses": {
                    "200": _ok(
                        "a FeatureCollection, or with format=compact the compact object",
                        {"oneOf": [_ref("CellCollection"), _ref("CompactCells")]},
                    ),
                    **_errors(401, 403, 404, 409, 422),
                },
            },
        },
        "/areas/{slug}/coverage": {
            "parameters": [_SLUG],
            "get": {
                "operationId": "getCoverage",
                "summary": "the coverage report at a moment (managers, planners)",
                "parameters": [
                    _AT,
                    {
                        "name": "day",
                        "in": "query",
                        "required": False,
                        "description": "also summarise this local day (YYYY-MM-DD)",
                        "schema": {"type": "string", "format": "date"},
                    },
                ],
                "responses": {
                    "200": _ok("the report", _ref("Coverage")),
                    **_errors(401, 403, 404, 422),
                },
            },
        },
        "/areas/{slug}/cells/{code}/wardens": {
            "parameters": [_SLUG, _CODE],
            "put": {
                "operationId": "setCellWardens",
                "summary": "replace a cell's wardens (managers)",
                "requestBody": _body(_ref("NewWardens")),
                "responses": {
                    "200": _ok("the cell's wardens now", _ref("CellWardens")),
                    **_errors(400, 401, 403, 404, 413, 422),
                },
            },
        },
        "/areas/{slug}/cells/{code}/schedule": {
            "parameters": [_SLUG, _CODE],
            "put": {
                "operationId": "setCellSchedule",
                "summary": 'give a cell its "3+N" schedule (managers)',
                "requestBody": _body(_ref("NewSchedule")),
                "responses": {
                    "200": _ok("the cell's schedule now", _ref("CellSchedule")),
                    **_errors(400, 401, 403, 404, 413, 422),
                },
            },
        },
        "/areas/{slug}/cells/{code}/rounds": {
            "parameters": [_SLUG, _CODE],
            "post": {
                "operationId": "logRound",
                "summary": "log a round: a warden in a cell it holds, or a manager naming the warden",
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "a retry with the same key returns the first round (200) "
                        "and stores nothing",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 80},
                    }
                ],
                "requestBody": _body(_ref("NewRound"), required=False),
                "responses": {
                    "200": _ok("a retry: the round this key made before", _ref("Round")),
                    "201": _ok("logged", _ref("Round")),
                    **_errors(400, 401, 403, 404, 409, 413, 422),
                },
            },
        },
        "/me/cells": {
            "get": {
                "operationId": "myCells",
                "summary": "the logged-in warden's own cells with today's rounds (wardens)",
                "parameters": [_AT],
                "responses": {
                    "200": _ok("the warden's cells", _ref("MyCells")),
                    **_errors(401, 403, 404, 422),
                },
            },
        },
        "/audit": {
            "get": {
                "operationId": "audit",
                "summary": "the audit log, newest first: who changed what, when (managers)",
                "parameters": [
                    {
                        "name": "area",
                        "in": "query",
                        "required": False,
                        "description": "only this area's events (its slug)",
                        "schema": _STR,
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "at most this many events (1 to 1000, default 100)",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "required": False,
                        "description": "only events older than this event id (the next page)",
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": _ok(
                        "audit events",
                        {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "at", "actor", "action", "area", "details"],
                                "properties": {
                                    "id": {"type": "integer"},
                                    "at": {"type": "string", "format": "date-time"},
                                    "actor": _STR,
                                    "action": _STR,
                                    "area": _STR_OR_NULL,
                                    "details": {"type": "object"},
                                },
                            },
                        },
                    ),
                    **_errors(401, 403, 404, 422),
                },
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of /api/v1 (a copy: callers may change it), with the findings'
    paths and schemas (`openapi_findings`), those of checkpoints (`openapi_checkpoints`), of the
    roll-up (`openapi_rollup`), of rounds lists (`openapi_rounds`) and of tiles (`openapi_tiles`) merged in, method by method."""
    from gridmgr.web.api import (
        openapi_checkpoints,
        openapi_findings,
        openapi_rollup,
        openapi_rounds,
        openapi_tiles,
    )

    document = copy.deepcopy(_DOCUMENT)
    for part in (
        openapi_findings,
        openapi_checkpoints,
        openapi_rollup,
        openapi_rounds,
        openapi_tiles,
    ):
        for path, item in copy.deepcopy(part.PATHS).items():
            document["paths"].setdefault(path, {}).update(item)
        document["components"]["schemas"].update(copy.deepcopy(part.SCHEMAS))
    for path in REVALIDATED:  # web/revalidate.py: an ETag on the 200, a 304 on If-None-Match
        document["paths"][path]["get"]["responses"]["304"] = {
            "description": "Not Modified: If-None-Match named the answer's ETag (sent with every "
            "200, with Cache-Control: private, no-cache); no body"
        }
    return document


REVALIDATED = (
    "/areas/{slug}/cells",
    "/areas/{slug}/coverage",
    "/areas/{slug}/rollup",
    "/areas/{slug}/ledger",
    "/areas/{slug}/findings",
    "/me/cells",
    "/areas/{slug}/tiles/{z}/{x}/{y}.mvt",
)
