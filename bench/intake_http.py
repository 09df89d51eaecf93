"""Single-event intake over HTTP (issue 3 §9): gunicorn with 2 workers on loopback, a steady
request rate for a fixed time, p50/p99 latency of POST /api/v1/events/ (the whole intake pipeline:
validate, locate, classify, duplicates, open the case, timeline, audit) beside a baseline in the same
run — the same server answering an authenticated GET of one small row (/api/v1/event-categories/1/),
i.e. Django + DRF + auth + one query, without the pipeline.

    .venv/bin/python bench/intake_http.py --size 6000 --rate 100

--size is the number of intake requests (at --rate per second: 6000 at 100/s = 60 s). The database is a
throwaway SQLite file (or DATABASE_URL if set) loaded with the demo city. Prints one JSON line last:
latencies as rates (1000 / ms, higher is better) so that ratio = value / baseline as every bench does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)


def prepare(env) -> tuple[str, list[tuple[float, float]]]:
    manage(env, "migrate", "--no-input")
    manage(env, "seed_calendar")
    manage(env, "load_demo")
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["token"], [tuple(p) for p in data["points"]]


SETUP = """
import json
from civicgrid.accounts.models import User
from civicgrid.accounts.services import do_create_api_token
from civicgrid.areas.models import Grid
user = User.objects.get(username="city")
_, raw = do_create_api_token(actor=None, user=user, name="bench")
points = []
for g in Grid.objects.filter(code__startswith="3380", kind="base")[:200]:
    ring = g.boundary["coordinates"][0][:-1]
    points.append((sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)))
print(json.dumps({"token": raw, "points": points}))
"""


def run_load(port, token, make_request, count, rate, threads=16):
    """Send `count` requests at `rate`/s (open loop: each request has its scheduled start time)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    schedule = iter(range(count))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(schedule, None)
            if i is None:
                break
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            method, path, body = make_request(i)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                if resp.status >= 300:
                    errors.append(f"{resp.status} {payload[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                errors.append(repr(exc))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            # Latency from the scheduled start: queueing behind a slow server counts (no coordinated omission).
            with lock:
                latencies.append((time.perf_counter() - min(t0, due)) * 1000)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--size", type=int, default=6000, help="intake requests (default 6000 = 60 s at 100/s)"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="civicgrid-intake-bench-")
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    env["CIVICGRID_VAR_DIR"] = tmp
    env["CIVICGRID_LOG_LEVEL"] = "WARNING"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    token, points = prepare(env)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        rng = random.Random(7)

        def intake(i, key="bench"):
            lon, lat = rng.choice(points)
            body = json.dumps(
                {
                    "title": f"小区供水问题 {i}",
                    "description": "早上开始停水，未见通知。",
                    "channel": "hotline_12345",
                    "category": "1201",
                    "lon": lon,
                    "lat": lat,
                    "idempotency_key": f"{key}-{i}",
                }
            )
            return "POST", "/api/v1/events/", body

        def baseline(i):
            return "GET", "/api/v1/event-categories/1/", None

        # Both measured in a warm state: each worker has loaded its code, compiled its hot
        # queries and built the spatial index before the timed requests (a restart's first
        # requests are slower; they are not what a running office sees).
        warm = min(200, args.size // 10)
        run_load(port, token, baseline, warm, args.rate)
        base_lat, base_err = run_load(port, token, baseline, args.size, args.rate)
        run_load(port, token, lambda i: intake(i, "warm"), warm, args.rate)
        lat, err = run_load(port, token, intake, args.size, args.rate)
    finally:
        server.terminate()
        server.wait(timeout=10)

    p50, p99 = statistics.median(lat), pct(lat, 99)
    b50, b99 = statistics.median(base_lat), pct(base_lat, 99)
    print(
        f"intake: {len(lat)} requests at {args.rate:.0f}/s, {len(err)} errors; p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(target p99 < 50 ms); baseline GET p50 {b50:.1f} ms, p99 {b99:.1f} ms, {len(base_err)} errors"
    )
    for e in (err + base_err)[:5]:
        print("  error:", e)
    results = [
        {
            "name": "intake_http_p50_speed",
            "value": round(1000 / p50, 2),
            "unit": "1/s (1000/p50 ms)",
            "baseline": round(1000 / b50, 2),
            "ratio": round(b50 / p50, 3),
        },
        {
            "name": "intake_http_p99_speed",
            "value": round(1000 / p99, 2),
            "unit": "1/s (1000/p99 ms)",
            "baseline": round(1000 / b99, 2),
            "ratio": round(b99 / p99, 3),
        },
        {
            "name": "intake_http_errors",
            "value": len(err),
            "unit": "requests",
            "baseline": len(base_err),
            "ratio": None,
        },
    ]
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
