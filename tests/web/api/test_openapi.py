"""The OpenAPI document of /api/v1: valid OpenAPI 3.1, a fresh copy each time, every route the app
serves under /api/v1 documented with its methods, and the revalidated reads answering 304."""

from __future__ import annotations

from openapi_spec_validator import validate

from gridmgr.web.api.openapi import REVALIDATED, openapi_document

from openapitools import METHODS, refs, resolves, served


def test_the_document_is_valid_and_a_fresh_copy():
    doc = openapi_document()
    validate(doc)
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": "/api/v1"}]
    doc["paths"].clear()
    assert openapi_document()["paths"]  # the caller's change did not reach the next document
    doc = openapi_document()
    assert not sorted(r for r in refs(doc) if not resolves(doc, r))


def test_every_route_under_api_v1_is_documented(tmp_path):
    doc = openapi_document()
    routes = served(tmp_path)
    assert routes
    undocumented = [
        f"{method.upper()} {path}"
        for path, methods in sorted(routes.items())
        for method in sorted(methods & METHODS)
        if path != "/openapi.json" and method not in doc["paths"].get(path, {})
    ]
    assert not undocumented, undocumented


def test_revalidated_reads_answer_304():
    doc = openapi_document()
    for path in REVALIDATED:
        assert "304" in doc["paths"][path]["get"]["responses"]
    assert not any(
        "304" in op.get("responses", {})
        for path, item in doc["paths"].items()
        if path not in REVALIDATED
        for op in item.values()
        if isinstance(op, dict)
    )
