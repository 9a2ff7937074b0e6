"""Bytes on the wire: a warden's first load of /me on a phone (the page and every asset it
references) and the cells API of a 10,000-cell plan, uncompressed (the baseline), gzip and br, and
the 304 of a revalidation, all through the WSGI app in this process.

Run: python benchmarks/bench_wire.py [--cells 10000] [--repeat 5]

Bytes are bodies as sent (headers not counted; a 304 sends none). Times are the median of N requests
in this process (no network), so the cost of compressing shows against the uncompressed baseline.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_web import PASSWORD, build

from gridmgr import services
from gridmgr.db.store import make_engine
from gridmgr.web import create_app

ENCODINGS = ("identity", "gzip", "br")


def login(client, username: str) -> None:
    """Log in through the form, as a browser does."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    got = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert got.status_code == 302, got.get_data(as_text=True)[:300]


def fetch(client, path: str, **headers) -> tuple[int, bytes, dict]:
    """Status, body as sent and headers of GET path."""
    resp = client.get(path, headers=headers)
    body = resp.get_data()
    resp.close()
    return resp.status_code, body, dict(resp.headers)


def timed(client, path: str, repeat: int, **headers) -> tuple[float, int, dict]:
    """Median ms, bytes as sent and headers of GET path."""
    times, size, head = [], 0, {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        status, body, head = fetch(client, path, **headers)
        times.append((time.perf_counter() - t0) * 1000)
        assert status in (200, 304), (path, status, body[:200])
        size = len(body)
    return statistics.median(times), size, head


def phone_load(client, encoding: str) -> tuple[int, int]:
    """Bytes of /me and every static file it references, and how many files."""
    status, html, _ = fetch(client, "/me", **{"Accept-Encoding": "identity"})
    assert status == 200
    refs = re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode())
    total = len(fetch(client, "/me", **{"Accept-Encoding": encoding})[1])
    for ref in refs:
        status, body, head = fetch(
            client, ref.replace("&amp;", "&"), **{"Accept-Encoding": encoding}
        )
        assert status == 200 and "immutable" in head.get("Cache-Control", ""), ref
        total += len(body)
    return total, 1 + len(refs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, slug = build(Path(tmp), args.cells, count=False)
        engine = make_engine(url)
        services.add_user(engine, "warden", role="warden", password=PASSWORD, warden="w0")
        n_cells = len(services.plan_cells(engine, slug))
        engine.dispose()
        app = create_app(
            {"DATABASE_URL": url, "INSTANCE_PATH": str(Path(tmp) / "instance"), "TILES_URL": ""}
        )
        phone, manager = app.test_client(), app.test_client()
        login(phone, "warden")
        login(manager, "manager")

        print("A warden's first load of /me (the page and every asset it references):")
        base = None
        for enc in ENCODINGS:
            size, files = phone_load(phone, enc)
            base = base or size
            print(f"  {enc:<9} {size / 1024:>8.1f} KB in {files} files   ratio {size / base:.3f}")
        again = len(fetch(phone, "/me", **{"Accept-Encoding": "gzip"})[1])
        print(
            f"  next load (assets kept: immutable) {again / 1024:.1f} KB gzip, ratio {again / base:.3f}"
        )

        print(f"\nThe cells API of a {n_cells:,}-cell plan:")
        for query in ("?format=compact", ""):
            path = f"/api/v1/areas/{slug}/cells{query}"
            base_ms, base_b, _ = timed(
                manager, path, args.repeat, **{"Accept-Encoding": "identity"}
            )
            print(f"  /cells{query or ' (GeoJSON)'}")
            print(
                f"    {'identity':<12} {base_b / 1024:>9.1f} KB {base_ms:>8.1f} ms   ratio 1.000, time x1.00"
            )
            tags = {}
            for enc in ENCODINGS[1:]:
                ms, size, head = timed(manager, path, args.repeat, **{"Accept-Encoding": enc})
                tags[enc] = head["ETag"]
                print(f"    {enc:<12} {size / 1024:>9.1f} KB {ms:>8.1f} ms   ratio {size / base_b:.3f}, "
                      f"time x{ms / base_ms:.2f}")  # fmt: skip
            ms, size, _ = timed(manager, path, args.repeat,
                                **{"Accept-Encoding": "gzip", "If-None-Match": tags["gzip"]})  # fmt: skip
            print(f"    {'304 (ETag)':<12} {size / 1024:>9.1f} KB {ms:>8.1f} ms   ratio {size / base_b:.3f}, "
                  f"time x{ms / base_ms:.2f}")  # fmt: skip
        app.extensions["gridmgr.engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
