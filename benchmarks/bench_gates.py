"""Gates under load: wardens tapping +1 / −1 at many checkpoints of one capped area while managers'
maps read its occupancy, against a real `gridmgr serve`.

Run: python benchmarks/bench_gates.py [--gates 50] [--managers 20] [--seconds 300] [--limit 300] [--pg URL]

A real `gridmgr serve` process (waitress) on loopback, on a fresh SQLite file and, with --pg or
GRIDMGR_TEST_PG_URL, on PostGIS. Each gate is a thread tapping twice a second (an entry, or an exit
while people it let in are inside), each tap with its own Idempotency-Key, retried with the same key
on a lost answer or a 5xx; each manager a thread reading GET …/occupancy every 5 s (and the day's
curve every minute), as the coverage map does. The limit is low enough to be reached: entries then
get 409 at_capacity, an expected answer. Printed per database: requests per second, p50 and p99 per
kind, errors, and the checks: the final occupancy equals the acknowledged entries minus exits
exactly, every acknowledged count is stored once, and replaying the stored events in the order they
were taken never passes the limit. Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench_gridding import bench_area, bench_area_file
from bench_load import (
    PASSWORD,
    Recorder,
    free_port,
    manager_login,
    request,
    server_log,
    start_server,
)
from bench_store import fresh_database

from gridmgr import services
from gridmgr.db.store import make_engine, upgrade


def setup(url: str, tmp: Path, gates: int, managers: int, limit: int) -> tuple[str, list, list]:
    """An area capped at `limit` with `gates` checkpoints, one warden (and API token) at each."""
    from gridmgr.services.checkpoints import add_checkpoint, set_capacity, staff_checkpoint

    engine = make_engine(url)
    try:
        upgrade(engine)
        slug = services.add_area(engine, bench_area_file(tmp), name="Gates").slug
        x, y = bench_area().representative_point().coords[0]
        set_capacity(engine, slug, instant=limit)
        posts = []
        for k in range(gates):
            gate = add_checkpoint(engine, slug, name=f"gate {k}", lon=x, lat=y + k * 1e-5)
            services.add_warden(engine, f"g{k}")
            staff_checkpoint(engine, slug, gate.id, f"g{k}")
            user = services.add_user(
                engine, f"g{k}", role="warden", password=PASSWORD, warden=f"g{k}"
            )
            posts.append((gate.id, services.issue_token(engine, user.id)))
        for m in range(managers):
            services.add_user(engine, f"m{m}", role="manager", password=PASSWORD)
        return slug, posts, [f"m{m}" for m in range(managers)]
    finally:
        engine.dispose()


class Tally:
    """Acknowledged counts by key: (in, out), shared by the gate threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[int, int]] = {}
        self.refused = 0

    def ack(self, key: str, n_in: int, n_out: int) -> None:
        with self.lock:
            self.acked[key] = (n_in, n_out)


def gate_loop(port, slug, gate, token, until, rec: Recorder, tally: Tally, pause: float) -> None:
    """One gate tapping until `until`: an exit while its own entrants may be inside (45 %), else an
    entry; a lost answer or a 5xx is retried with the same key up to 4 times."""
    path = f"/api/v1/areas/{slug}/checkpoints/{gate}/counts"
    jitter = random.Random(gate)
    own = 0  # people this gate let in and not yet out
    time.sleep(jitter.uniform(0, pause))
    while time.monotonic() < until:
        out = own > 0 and jitter.random() < 0.45
        body = {"out": 1} if out else {"in": 1}
        key = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        for _ in range(4):
            t0 = time.perf_counter()
            try:
                status, answer, _ = request(port, "POST", path, body=body, headers=headers)
            except (OSError, http.client.HTTPException) as exc:
                rec.error(f"count: {type(exc).__name__}")
                continue
            rec.took("count", time.perf_counter() - t0)
            if status == 201:
                tally.ack(key, 0 if out else 1, 1 if out else 0)
                own += -1 if out else 1
            elif status == 409 and b"at_capacity" in answer:
                with tally.lock:
                    tally.refused += 1
            else:
                rec.error(f"count: {status} {answer[:120]!r}")
                if status >= 500:
                    continue
            break
        time.sleep(max(0.0, min(pause * jitter.uniform(0.5, 1.5), until - time.monotonic())))


def manager_loop(port, slug, cookie, until, rec: Recorder, pause: float) -> None:
    """One manager's map: the occupancy every `pause` seconds, the curve every twelfth time."""
    jitter = random.Random(cookie)
    time.sleep(jitter.uniform(0, pause))
    k = 0
    while time.monotonic() < until:
        paths = [("occupancy", f"/api/v1/areas/{slug}/occupancy")]
        if k % 12 == 0:
            paths.append(("curve", f"/api/v1/areas/{slug}/occupancy/curve"))
        k += 1
        for kind, path in paths:
            t0 = time.perf_counter()
            try:
                status, _, _ = request(port, "GET", path, headers={"Cookie": cookie})
            except OSError as exc:
                rec.error(f"{kind}: {type(exc).__name__}")
                continue
            rec.took(kind, time.perf_counter() - t0)
            if status != 200:
                rec.error(f"{kind}: {status}")
        time.sleep(max(0.0, min(pause * jitter.uniform(0.8, 1.2), until - time.monotonic())))


def check_stored(url: str, slug: str, tally: Tally, limit: int) -> dict:
    """The database against what the gates were told: final occupancy, each count once, the limit."""
    import numpy as np
    from sqlalchemy import select

    from gridmgr.db.models import GateEvent
    from gridmgr.services.occupancy import occupancy, recount

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(GateEvent.idempotency_key, GateEvent.n_in, GateEvent.n_out,
                       GateEvent.occupancy_after).order_by(GateEvent.id)
            ).all()  # fmt: skip
        now = occupancy(engine, slug)
        again = recount(engine, slug)
    finally:
        engine.dispose()
    keys = [r[0] for r in rows]
    entries = sum(i for i, _ in tally.acked.values())
    exits = sum(o for _, o in tally.acked.values())
    level = np.cumsum([r[1] - r[2] for r in rows]) if rows else np.zeros(1, np.int64)
    return {
        "acked": len(tally.acked),
        "stored": len(rows),
        "exactly_once": sorted(keys) == sorted(tally.acked),
        "final": now.occupancy,
        "acked_in_minus_out": entries - exits,
        "counter_equals_events": (now.occupancy, now.entries, now.exits)
        == (again.occupancy, again.entries, again.exits),
        "peak": int(level.max()),
        "never_over": bool(level.max() <= limit and level.min() >= 0),
        "stored_levels_agree": [int(v) for v in level] == [r[3] for r in rows],
        "refused": tally.refused,
    }


def run(kind: str, gates: int, managers: int, seconds: float, pg: str | None, *, limit: int = 300,
        pause: float = 0.5, manager_pause: float = 5.0) -> dict:  # fmt: skip
    """One run on a fresh database: the figures and the checks."""
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(kind, Path(tmp), pg)
        try:
            slug, posts, logins = setup(url, Path(tmp), gates, managers, limit)
            port = free_port()
            server = start_server(url, Path(tmp), port)
            try:
                rec, tally = Recorder(), Tally()
                cookies = [manager_login(port, m) for m in logins]
                until = time.monotonic() + seconds
                threads = [threading.Thread(target=gate_loop, args=(port, slug, g, t, until, rec, tally, pause))
                           for g, t in posts]  # fmt: skip
                threads += [threading.Thread(target=manager_loop, args=(port, slug, c, until, rec, manager_pause))
                            for c in cookies if c]  # fmt: skip
                if len([c for c in cookies if c]) != len(logins):
                    rec.error("manager login refused")
                t0 = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.monotonic() - t0
            finally:
                server.terminate()
                server.wait(timeout=30)
            log = server_log(server).splitlines()
            checks = check_stored(url, slug, tally, limit)
            return {"db": kind, "wall_s": wall, "times": rec.times, "errors": rec.errors,
                    "limit": limit, "queue_deep": sum("Task queue depth" in line for line in log),
                    "server_errors": [line for line in log if "Traceback" in line or "ERROR" in line], **checks}  # fmt: skip
        finally:
            drop()


def p99(times: list[float]) -> float:
    ordered = sorted(times) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def report(r: dict) -> bool:
    n = sum(len(v) for v in r["times"].values())
    print(f"\n{r['db']}: {n:,} requests in {r['wall_s']:.0f} s = {n / r['wall_s']:.0f}/s")
    print(f"{'request':<10} {'count':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(r["times"].items()):
        ordered = sorted(times)
        print(f"{kind:<10} {len(ordered):>8,} {ordered[len(ordered) // 2] * 1000:>8.1f} "
              f"{p99(ordered) * 1000:>8.1f}")  # fmt: skip
    print(f"errors: {len(r['errors'])} {r['errors'][:5]}")
    print(f"server: all 16 threads busy with more waiting {r['queue_deep']:,} times; "
          f"errors logged: {len(r['server_errors'])} {r['server_errors'][:3]}")  # fmt: skip
    print(f"counts acknowledged {r['acked']:,}, stored {r['stored']:,}"
          f" ({'each once' if r['exactly_once'] else 'NOT each once'}); {r['refused']:,} refused at capacity")  # fmt: skip
    print(f"final occupancy {r['final']:,}, acknowledged entries − exits {r['acked_in_minus_out']:,}; "
          f"peak {r['peak']:,} of a limit of {r['limit']:,}: {'never over' if r['never_over'] else 'OVER'}")  # fmt: skip
    met = (
        not r["errors"] and not r["server_errors"] and r["exactly_once"] and r["final"] == r["acked_in_minus_out"]
        and r["never_over"] and r["counter_equals_events"] and r["stored_levels_agree"]
        and p99(r["times"].get("count", [])) < 0.2
    )  # fmt: skip
    print(f"targets (no errors, exact occupancy, never over the limit, count p99 < 200 ms): "
          f"{'met' if met else 'NOT MET'}")  # fmt: skip
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--limit", type=int, default=300, help="people inside at once")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between a gate's taps")
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgis"), help="one database only")
    args = parser.parse_args()
    ok = True
    kinds = ["sqlite"] + (["postgis"] if args.pg else [])
    for kind in [k for k in kinds if args.only in (None, k)]:
        r = run(kind, args.gates, args.managers, args.seconds, args.pg, limit=args.limit,
                pause=args.pause)  # fmt: skip
        ok &= report(r)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
