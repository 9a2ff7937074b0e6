"""The tiles part of the OpenAPI document: merged as written, its refs resolve, the app serves its paths."""

from __future__ import annotations

from gridmgr.web.api import openapi_tiles

from openapitools import check_part


def test_the_part_is_in_the_document_and_served(tmp_path):
    check_part(openapi_tiles, tmp_path)
