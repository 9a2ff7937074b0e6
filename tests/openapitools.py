"""Checks of a part of the OpenAPI document (`web/api/openapi_*.py`): merged into the document as it
is, every $ref it makes resolves, and every path and method it documents is one the app serves."""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from gridmgr.db.store import make_engine, upgrade
from gridmgr.web import create_app
from gridmgr.web.api.openapi import REVALIDATED, openapi_document

PREFIX = "/api/v1"
METHODS = {"get", "post", "put", "patch", "delete"}


def refs(node: Any) -> set[str]:
    """Every $ref under a node of the document."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for key in ref.removeprefix("#/").split("/"):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def served(tmp_path) -> dict[str, set[str]]:
    """The app's routes under /api/v1 in OpenAPI's spelling ({slug}), with their methods."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i")})
    try:
        routes: dict[str, set[str]] = {}
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(PREFIX + "/"):
                path = re.sub(
                    r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>",
                    r"{\1}",
                    rule.rule.removeprefix(PREFIX),
                )
                routes.setdefault(path, set()).update(m.lower() for m in rule.methods or ())
        return routes
    finally:
        app.extensions["gridmgr.engine"].dispose()


def check_part(part: ModuleType, tmp_path) -> None:
    """The part is in the document as written, its refs resolve, and the app serves what it says."""
    document = openapi_document()
    assert part.PATHS, "the part documents at least one path"
    routes = served(tmp_path)
    for path, item in part.PATHS.items():
        for method, operation in item.items():
            got = document["paths"][path][method]
            if method == "get" and path in REVALIDATED:
                got = {
                    **got,
                    "responses": {k: v for k, v in got["responses"].items() if k != "304"},
                }
            assert got == operation, f"{method} {path} is not in the document as written"
            if method in METHODS:
                assert method in routes.get(path, set()), f"the app does not serve {method} {path}"
    for name, schema in part.SCHEMAS.items():
        assert document["components"]["schemas"][name] == schema
    unresolved = sorted(
        r for r in refs(part.PATHS) | refs(part.SCHEMAS) if not resolves(document, r)
    )
    assert not unresolved, f"refs that resolve to nothing: {unresolved}"


def valid(schema: str, value: object) -> None:
    """Assert `value` is valid against components/schemas/<schema> of the document (refs resolved in it)."""
    doc = openapi_document()
    registry = Registry().with_resource("urn:doc", Resource.opaque(doc))
    validator = Draft202012Validator(
        {"$ref": f"urn:doc#/components/schemas/{schema}"}, registry=registry
    )
    errors = sorted(str(e.message) for e in validator.iter_errors(value))
    assert not errors, f"{schema}: {errors[:3]}"
