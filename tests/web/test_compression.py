"""Answers compressed in the app: br or gzip when the client accepts it, the same bytes once
decompressed, nothing for clients that do not ask and nothing for formats compressed already."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from webtools import logged_in, seed_finding, seed_park

API = "/api/v1"
DECODE = {"gzip": gzip.decompress, "br": brotli.decompress}


@pytest.fixture
def site(engine, tmp_path, app_factory):
    """A manager's and warden1's test clients on the seeded demo park."""
    park = seed_park(engine, tmp_path)
    app = app_factory()
    return logged_in(app, "manager", "warden1"), park


def _get(client, url: str, **headers):
    """The answer to a GET, read and closed (a static file's is left open otherwise)."""
    resp = client.get(url, headers=headers)
    resp.get_data()
    resp.close()
    return resp


def _varies(resp) -> bool:
    return "accept-encoding" in resp.headers.get("Vary", "").lower()


@pytest.mark.parametrize("encoding", ["gzip", "br"])
@pytest.mark.parametrize("query", ["", "?format=compact", "?format=compact&fields=status"])
def test_the_cells_api_is_compressed_to_exactly_its_plain_bytes(site, encoding, query):
    clients, park = site
    url = f"{API}/areas/{park.slug}/cells{query}"
    plain = clients["manager"].get(url)
    packed = clients["manager"].get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers and _varies(plain)
    assert packed.headers["Content-Encoding"] == encoding and _varies(packed)
    body = packed.get_data()
    assert int(packed.headers["Content-Length"]) == len(body) < len(plain.get_data())
    assert DECODE[encoding](body) == plain.get_data()
    assert packed.mimetype == plain.mimetype == "application/json"


def test_br_is_preferred_and_gzip_used_where_br_is_not_accepted(site):
    clients, park = site
    url = f"{API}/areas/{park.slug}/cells?format=compact"
    for accept, chosen in [
        ("gzip, deflate, br", "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0.1, gzip", "gzip"),
        ("identity", None),
        ("deflate", None),
    ]:
        got = clients["manager"].get(url, headers={"Accept-Encoding": accept})
        assert got.headers.get("Content-Encoding") == chosen, accept


@pytest.mark.parametrize("path", ["/me", "/static/vendor/leaflet-1.9.4/leaflet.js"])
def test_pages_and_static_files_are_compressed(site, path):
    clients, _ = site
    plain = _get(clients["warden1"], path)
    packed = _get(clients["warden1"], path, **{"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip" and _varies(packed)
    assert _fixed(gzip.decompress(packed.get_data())) == _fixed(plain.get_data())
    assert len(packed.get_data()) < len(plain.get_data())


def _fixed(page: bytes) -> bytes:
    """A page without what differs on every request (nonces, tokens, ids: random, of one length)."""
    return re.sub(rb"[\w-]{20,}", lambda m: b"x" * len(m.group()), page)


def test_small_answers_and_compressed_formats_go_as_they_are(site, engine):
    clients, park = site
    made = seed_finding(engine, park)
    for who, url, magic in [
        ("warden1", f"{API}/photos/{made['photo_id']}", b"\xff\xd8\xff"),  # JPEG
        ("manager", f"/areas/{park.slug}/findings/export.xlsx", b"PK\x03\x04"),
        ("manager", f"/areas/{park.slug}/findings/export.gpkg", b"SQLite format 3"),
        ("manager", "/static/vendor/leaflet-1.9.4/images/marker-icon.png", b"\x89PNG"),
    ]:
        packed = _get(clients[who], url, **{"Accept-Encoding": "gzip, br"})
        assert packed.status_code == 200, url
        assert "Content-Encoding" not in packed.headers, url
        assert packed.get_data().startswith(magic), url  # the file as made, not recompressed
        assert int(packed.headers["Content-Length"]) == len(packed.get_data()), url
    tiny = clients["manager"].get(f"{API}/areas/nope/cells", headers={"Accept-Encoding": "gzip"})
    assert tiny.status_code == 404 and "Content-Encoding" not in tiny.headers


def test_a_byte_range_of_a_static_file_is_sent_as_stored(site):
    clients, _ = site
    path = "/static/vendor/leaflet-1.9.4/leaflet.js"
    whole = _get(clients["manager"], path).get_data()
    part = _get(clients["manager"], path, **{"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.get_data() == whole[:100]


def test_a_compressed_answer_revalidates_in_the_encoding_the_client_holds(site):
    clients, park = site
    url = f"{API}/areas/{park.slug}/cells?format=compact"
    tags = {}
    for encoding in ("gzip", "br"):
        got = _get(clients["manager"], url, **{"Accept-Encoding": encoding})
        tags[encoding] = got.headers["ETag"]
        assert tags[encoding].endswith(f':{encoding}"'), tags
    plain = _get(clients["manager"], url).headers["ETag"]
    assert tags == {e: f'{plain[:-1]}:{e}"' for e in ("gzip", "br")}  # marked by encoding
    for accept, held, status in [
        ("gzip", "gzip", 304),
        ("gzip, br", "br", 304),
        ("gzip, br", "gzip", 304),  # the gzip copy it holds is still good
        ("gzip, br;q=0", "br", 200),  # it no longer takes br: the answer again, in gzip
        ("identity", "gzip", 200),
    ]:
        got = _get(
            clients["manager"], url, **{"Accept-Encoding": accept, "If-None-Match": tags[held]}
        )
        assert got.status_code == status, (accept, held)
        assert _varies(got), (accept, held)
        if status == 304:
            assert got.get_data() == b"" and got.headers["ETag"] == tags[held]
        else:
            assert got.get_data() and got.headers["ETag"] != tags[held]
