"""Load: wardens logging rounds from their phones and managers reloading maps, against `gridmgr serve`.

Run: python benchmarks/bench_load.py [--wardens 200] [--managers 20] [--seconds 300] [--pg URL]
                                     [--servers 2] [--replay]

Real `gridmgr serve` processes (waitress) on loopback, one or several (`--servers N`, each with an
instance folder of its own, all on one database), on a fresh SQLite file and, with --pg or
GRIDMGR_TEST_PG_URL, on PostGIS. Each warden is a thread posting rounds in its own cell with an
Idempotency-Key, retrying the same key on a dropped connection or a 5xx (the next try to the next
server, as a proxy would); each manager a thread loading the coverage map page and the cells. Clients
are spread over the servers in turn. With `--replay` every round's request is sent to every server at
once with the same key (a phone's retry racing its first try through two servers). Printed per database: requests per second, p50 and p99 per
kind of request, errors, and whether every acknowledged round is stored exactly once (rounds in the
database == distinct acknowledged keys). The baseline, measured in the same run, is GET /healthz
(the server's floor), so the ratios say what the work itself costs. Only loopback is ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from bench_gridding import bench_area_file
from bench_store import fresh_database

from gridmgr import services
from gridmgr.db.store import make_engine, upgrade

PASSWORD = "load test password"


def setup(
    url: str, tmp: Path, wardens: int, managers: int
) -> tuple[str, list[tuple[str, str]], list[str]]:
    """An area of `wardens` cells, one warden each, with API tokens; manager logins."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        slug = services.add_area(engine, bench_area_file(tmp), name="Load").slug
        services.grid(engine, slug, count=wardens)
        codes = list(services.plan_cells(engine, slug)["code"])
        csv = tmp / "w.csv"
        csv.write_text(
            "name,phone\n" + "".join(f"w{k},1{k:010d}\n" for k in range(wardens)), "utf-8"
        )
        services.import_wardens(engine, csv)
        services.auto_assign(engine, slug)  # as many wardens as cells: one each, in code order
        services.set_schedule(engine, slug, None, extra=2)
        cells = services.coverage_report(engine, slug, with_cells=True).cells
        holder = {c: posts[0][0] for c, posts in zip(cells.code, cells.wardens(), strict=True)}
        tokens = []
        for k, code in enumerate(codes):
            user = services.add_user(
                engine, f"u{k}", role="warden", password=PASSWORD, warden=holder[code]
            )
            tokens.append((code, services.issue_token(engine, user.id)))
        for m in range(managers):
            services.add_user(engine, f"m{m}", role="manager", password=PASSWORD)
        return slug, tokens, [f"m{m}" for m in range(managers)]
    finally:
        engine.dispose()


def cell_positions(url: str, slug: str) -> dict[str, dict[str, float]]:
    """A phone's position inside each cell (a point on its surface, WGS84, 10 m accuracy), sent with
    every round as a warden's phone does (rounds as evidence, issue 16)."""
    engine = make_engine(url)
    try:
        cells = services.plan_cells(engine, slug)
    finally:
        engine.dispose()
    return {
        str(code): {"lon": p.x, "lat": p.y, "accuracy_m": 10.0}
        for code, p in zip(cells["code"], cells.geometry.representative_point(), strict=True)
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    url: str,
    tmp: Path,
    port: int,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> subprocess.Popen:
    """`gridmgr serve` on the database and port (extra environment from `env`), once it listens;
    `command` runs gridmgr another way (the fault tests' hooks), default `python -m gridmgr`."""
    env = {**os.environ, "GRIDMGR_INSTANCE": str(tmp / "instance"), "GRIDMGR_INSECURE_COOKIES": "1",
           "GRIDMGR_TILES_URL": "", **(env or {})}  # fmt: skip
    # its stderr goes to a file, never an unread pipe: waitress logs a line each time its queue is
    # deep, and once a pipe's 64 KiB filled, the server's main loop blocked writing and every
    # client waited (the "PostGIS stalls" of bench_gates and bench_load, 2026-12-02)
    log = tmp / f"serve-{port}.log"
    with log.open("ab") as err:
        proc = subprocess.Popen(
            [*(command or [sys.executable, "-m", "gridmgr"]), "--db", url, "serve", "--port", str(port), "--threads", "16"],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    proc.log_path = log  # type: ignore[attr-defined]  # read by server_log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(server_log(proc)) from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gridmgr serve did not start in 60 s")


def server_log(proc: subprocess.Popen) -> str:
    """What a server from start_server wrote to its stderr so far (every start on its port)."""
    return proc.log_path.read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]


class Recorder:
    """Latencies per kind of request, errors, acknowledged round keys; shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.acked: set[str] = set()
        self.sent: set[str] = set()
        # every answer to a round's POST: (key, status or None for no answer, when, body if not 2xx)
        self.answers: list[tuple[str, int | None, float, bytes]] = []

    def answered(self, key: str, status: int | None, body: bytes = b"") -> None:
        with self.lock:
            self.answers.append((key, status, time.monotonic(), body))
            if status in (200, 201):
                self.acked.add(key)

    def took(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def request(
    port: int, method: str, path: str, *, body=None, headers=None, timeout: float = 30
) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})} if data else (headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.read(), dict(resp.getheaders())
    finally:
        conn.close()


def warden_loop(
    port: int | list[int],
    slug: str,
    code: str,
    token: str,
    until: float,
    rec: Recorder,
    pause: float,
    *,
    retry_for: float = 0.0,
    stop: threading.Event | None = None,
    timeout: float = 30,
    replay: bool = False,
    where: dict[str, float] | None = None,
) -> None:
    """One warden logging rounds until `until` (or `stop`); a lost answer or a 5xx is retried with
    the same Idempotency-Key, 4 times at once, or for `retry_for` seconds, 0.1 s apart. Given several
    ports, each try goes to the next server; with `replay`, every request goes to every server at
    once first (the answers must all name one round). `where`: the phone's position, sent with
    every round."""
    ports = port if isinstance(port, list) else [port]
    payload = {"note": "load", **({"location": where} if where else {})}
    path = f"/api/v1/areas/{slug}/cells/{code}/rounds"
    jitter = random.Random(code)  # people do not all tap at once
    time.sleep(jitter.uniform(0, pause))
    turn = itertools.count(jitter.randrange(len(ports)))
    while time.monotonic() < until and not (stop and stop.is_set()):
        key = uuid.uuid4().hex
        with rec.lock:
            rec.sent.add(key)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        if (
            replay
            and len(ports) > 1
            and _replayed_everywhere(ports, path, headers, rec, timeout, payload)
        ):
            _sleep_until(pause * jitter.uniform(0.5, 1.5), until)
            continue
        first_failure = None
        for attempt in itertools.count(1):  # a phone retries a lost answer with the same key
            t0 = time.perf_counter()
            try:
                status, body, _ = request(
                    ports[next(turn) % len(ports)], "POST", path, body=payload,
                    headers=headers, timeout=timeout,
                )  # fmt: skip
            except (OSError, http.client.HTTPException) as exc:  # no answer: the server went away
                rec.error(f"round: {type(exc).__name__}")
                rec.answered(key, None)
            else:
                rec.took("log a round", time.perf_counter() - t0)
                rec.answered(key, status, b"" if status in (200, 201) else body)
                if status in (200, 201):
                    break
                rec.error(f"round: {status} {body[:120]!r}")
                if status < 500:
                    break
            first_failure = first_failure or time.monotonic()
            if attempt >= 4 and time.monotonic() - first_failure >= retry_for:
                break
            if retry_for:
                time.sleep(0.1)
        _sleep_until(pause * jitter.uniform(0.5, 1.5), until)  # between rounds (in life: hours)


def _replayed_everywhere(
    ports: list[int],
    path: str,
    headers: dict[str, str],
    rec: Recorder,
    timeout: float,
    body: dict | None = None,
) -> bool:
    """One round's request sent to every server at the same moment with one key: every answer must
    name the same round, and exactly one say it was made (201). False if any went unanswered (the
    caller then retries as a phone would)."""
    answers: list[tuple[int, bytes] | None] = [None] * len(ports)
    start = threading.Barrier(len(ports))

    def send(k: int) -> None:
        start.wait()
        t0 = time.perf_counter()
        try:
            answers[k] = request(
                ports[k],
                "POST",
                path,
                body=body or {"note": "load"},
                headers=headers,
                timeout=timeout,
            )[:2]
        except (OSError, http.client.HTTPException) as exc:
            rec.error(f"round: {type(exc).__name__}")
        else:
            rec.took("log a round", time.perf_counter() - t0)

    senders = [threading.Thread(target=send, args=(k,)) for k in range(len(ports))]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    key = headers["Idempotency-Key"]
    if any(a is None or a[0] >= 500 for a in answers):
        return False
    statuses = [a[0] for a in answers if a is not None]
    ids = {json.loads(a[1]).get("id") for a in answers if a is not None and a[0] in (200, 201)}
    for status, body in (a for a in answers if a is not None):
        rec.answered(key, status, b"" if status in (200, 201) else body)
    if sorted(statuses) != [200] * (len(ports) - 1) + [201] or len(ids) != 1:
        rec.error(f"replayed round: answers {statuses}, round ids {sorted(map(str, ids))}")
    return True


def manager_login(port: int, username: str) -> str | None:
    """Log a manager in through the login form; the session cookie, or None if refused."""
    _, body, headers = request(port, "GET", "/login")
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body=form, headers={"Cookie": cookie,
                 "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return (resp.getheader("Set-Cookie") or cookie).split(";", 1)[0] if resp.status == 302 else None


def manager_loop(
    port: int,
    slug: str,
    username: str,
    until: float,
    rec: Recorder,
    pause: float,
    cookie: str | None = None,
) -> None:
    """One manager reloading the coverage map page and the cells until `until` (logged in first,
    unless a session cookie is given)."""
    cookie = cookie or manager_login(port, username)
    if cookie is None:
        rec.error(f"manager login: {username} refused")
        return
    jitter = random.Random(username)
    time.sleep(jitter.uniform(0, pause))
    while time.monotonic() < until:
        for kind, path in [("map page", f"/areas/{slug}/map"),
                           ("cells", f"/api/v1/areas/{slug}/cells?fields=code,status&precision=6")]:  # fmt: skip
            t0 = time.perf_counter()
            try:
                status, _, _ = request(port, "GET", path, headers={"Cookie": cookie})
            except OSError as exc:
                rec.error(f"{kind}: {type(exc).__name__}")
                continue
            rec.took(kind, time.perf_counter() - t0)
            if status != 200:
                rec.error(f"{kind}: {status}")
        _sleep_until(pause * jitter.uniform(0.5, 1.5), until)


def _sleep_until(seconds: float, until: float) -> None:
    """Sleep, but not past the end of the run (so the wall time is the run's)."""
    time.sleep(max(0.0, min(seconds, until - time.monotonic())))


def floor(port: int, n: int = 200) -> float:
    """Median time of GET /healthz: the server's own cost per request."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        request(port, "GET", "/healthz")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def rounds_in_cell(url: str) -> int:
    """How many stored rounds carry a position in their cell (every one the wardens sent should)."""
    from sqlalchemy import func, select

    from gridmgr.db.models import Round

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).where(Round.in_cell.is_(True))).scalar() or 0
            )
    finally:
        engine.dispose()


def rounds_by_key(url: str) -> dict[str | None, int]:
    """How many stored rounds carry each Idempotency-Key."""
    from sqlalchemy import func, select

    from gridmgr.db.models import Round

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Round.idempotency_key, func.count()).group_by(Round.idempotency_key)
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


def stored_once(url: str, acked: set[str]) -> tuple[int, int, bool]:
    """Rounds in the database, distinct acknowledged keys, and whether each key is there once."""
    counts = rounds_by_key(url)
    total = sum(counts.values())
    return total, len(acked), all(counts.get(k) == 1 for k in acked) and total == len(acked)


def run(
    kind: str,
    wardens: int,
    managers: int,
    seconds: float,
    pg: str | None,
    pause: float = 5.0,
    manager_pause: float = 10.0,
    login_burst: bool = False,
    servers: int = 1,
    replay: bool = False,
) -> dict:
    """One load run on a fresh database; the figures and the exactly-once check (with `login_burst`
    every manager logs in at the start of the timed run, all at once). With `servers` > 1 that many
    `gridmgr serve` processes share the database and the clients take them in turn; `replay` sends
    every round to every server at once."""
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(kind, Path(tmp), pg)
        try:
            slug, tokens, logins = setup(url, Path(tmp), wardens, managers)
            positions = cell_positions(url, slug)
            started = start_servers(url, Path(tmp), servers)
            ports = [p for p, _ in started]
            try:
                base = floor(ports[0])
                rec = Recorder()
                # by default logging in is not what is measured (twenty password checks at once,
                # scrypt, slow by design); --login-burst puts them in the timed run
                cookies = {m: None if login_burst else manager_login(ports[k % servers], m)
                           for k, m in enumerate(logins)}  # fmt: skip
                until = time.monotonic() + seconds
                threads = [threading.Thread(target=warden_loop, args=(ports[k % servers:] + ports[:k % servers], slug, c, t, until, rec, pause),
                                            kwargs={"replay": replay, "where": positions[c]})
                           for k, (c, t) in enumerate(tokens)]  # fmt: skip
                threads += [threading.Thread(target=manager_loop, args=(ports[k % servers], slug, m, until, rec, manager_pause, cookies[m]))
                            for k, m in enumerate(logins)]  # fmt: skip
                t0 = time.monotonic()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall = time.monotonic() - t0
            finally:
                stop_servers(started)
            total, acked, once = stored_once(url, rec.acked)
            in_cell = rounds_in_cell(url)
            return {"db": kind, "servers": servers, "wall_s": wall, "floor_s": base, "times": rec.times,
                    "errors": rec.errors, "stored": total, "acked": acked, "exactly_once": once,
                    "in_cell": in_cell}  # fmt: skip
        finally:
            drop()


def start_servers(
    url: str, tmp: Path, n: int, env: dict[str, str] | None = None
) -> list[tuple[int, subprocess.Popen]]:
    """`n` `gridmgr serve` processes on one database, each with an instance folder of its own (as
    on separate machines): their ports and processes."""
    started: list[tuple[int, subprocess.Popen]] = []
    try:
        for k in range(n):
            port = free_port()
            own = {"GRIDMGR_INSTANCE": str(tmp / f"instance-{k}"), **(env or {})}
            started.append((port, start_server(url, tmp, port, env=own)))
    except BaseException:
        stop_servers(started)
        raise
    return started


def stop_servers(started: list[tuple[int, subprocess.Popen]]) -> None:
    """Stop servers from start_servers and wait for them."""
    for _, proc in started:
        proc.terminate()
    for _, proc in started:
        proc.wait(timeout=30)


def report(r: dict) -> None:
    n = sum(len(v) for v in r["times"].values())
    print(f"\n{r['db']}, {r.get('servers', 1)} server(s): {n:,} requests in {r['wall_s']:.0f} s = {n / r['wall_s']:.0f}/s; "
          f"floor (GET /healthz) {r['floor_s'] * 1000:.1f} ms")  # fmt: skip
    print(f"{'request':<14} {'count':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 / floor':>11}")
    for kind, times in sorted(r["times"].items()):
        times = sorted(times)
        p50 = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        print(
            f"{kind:<14} {len(times):>8,} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f} {p99 / r['floor_s']:>11.1f}"
        )
    print(f"errors: {len(r['errors'])} {r['errors'][:5]}")
    print(f"rounds acknowledged {r['acked']:,}, stored {r['stored']:,}: "
          f"{'each exactly once' if r['exactly_once'] else 'NOT exactly once'}")  # fmt: skip
    if "in_cell" in r:
        print(f"rounds with a position in their cell: {r['in_cell']:,} of {r['stored']:,}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wardens", type=int, default=200)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument(
        "--pause", type=float, default=5.0, help="seconds a warden waits between rounds"
    )
    parser.add_argument(
        "--manager-pause", type=float, default=10.0, help="seconds a manager waits between reloads"
    )
    parser.add_argument("--pg", default=os.environ.get("GRIDMGR_TEST_PG_URL"))
    parser.add_argument(
        "--only", choices=("sqlite", "postgis"), help="run on this database only (default: both)"
    )
    parser.add_argument(
        "--login-burst",
        action="store_true",
        help="managers log in at the start of the timed run, all at once (default: before it)",
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="gridmgr serve processes on the one database"
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="send every round to every server at once with the same Idempotency-Key",
    )
    args = parser.parse_args()
    ok = True
    kinds = ["sqlite"] + (["postgis"] if args.pg else [])
    for kind in [k for k in kinds if args.only in (None, k)]:
        r = run(kind, args.wardens, args.managers, args.seconds, args.pg, args.pause,
                args.manager_pause, login_burst=args.login_burst, servers=args.servers,
                replay=args.replay)  # fmt: skip
        report(r)
        rounds = sorted(r["times"].get("log a round", [0]))
        p99 = rounds[min(len(rounds) - 1, int(len(rounds) * 0.99))]
        met = not r["errors"] and r["exactly_once"] and p99 < 0.5
        print(f"targets (no errors, every acknowledged round once, p99 of a round < 500 ms): "
              f"{'met' if met else 'NOT MET'}")  # fmt: skip
        ok &= met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
