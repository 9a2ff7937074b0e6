"""The OpenAPI path of a cell's rounds list, which `openapi.openapi_document()` merges into the
API's document (next to logging a round on the same path)."""

from __future__ import annotations

from typing import Any

JSON = "application/json"

PATHS: dict[str, Any] = {
    "/areas/{slug}/cells/{code}/rounds": {
        "get": {
            "operationId": "listRounds",
            "summary": "a cell's rounds on a day of the area's clock, oldest first, with their "
            "evidence (managers and planners; a warden for its own cells)",
            "parameters": [
                {
                    "name": "day",
                    "in": "query",
                    "required": False,
                    "description": "YYYY-MM-DD on the area's clock; default today",
                    "schema": {"type": "string", "format": "date"},
                }
            ],
            "responses": {
                "200": {
                    "description": "the rounds",
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Round"},
                            }
                        }
                    },
                },
                **{str(c): {"$ref": f"#/components/responses/E{c}"} for c in (401, 403, 404, 422)},
            },
        }
    }
}
SCHEMAS: dict[str, Any] = {}
