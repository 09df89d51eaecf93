"""Inbox pages and dashboard figures at scale (issue 3 §9): p50/p95 of every inbox queue (page and
counts), of the assessment figures by unit for a month and a year, and of the grid density query,
for a township officer ("township") and a city-level user ("city"), each beside a baseline measured
in the same run; plus one HTTP GET of the inbox page and of the figures API through Django's test
Client with a logged-in user.

    .venv/bin/python bench/inbox.py --size 200000
    DATABASE_URL=postgres://civicgrid_ci:civicgrid_ci@127.0.0.1:5432/civicgrid_ci \
        .venv/bin/python bench/inbox.py --size 5000000

The database is built once per (size, database, table layout) in var/bench/ — SQLite file
var/bench/inbox-<size>-<key>.sqlite3, or on PostgreSQL a database civicgrid_bench_inbox_<size>_<key>
created with the DATABASE_URL's role — and reused by later runs (pending migrations, e.g. new
indexes, are applied on reuse). Building it: migrate, seed_calendar, load_demo, then
bench/_gen_events.py writes the N events through the raw driver (executemany / COPY).

Baselines: for a page of a queue, a raw `SELECT * FROM cases_case WHERE id IN (…)` of the same rows
by primary key; for a count, a raw `SELECT COUNT(*)` of the same number of rows by primary key range;
for the figures and the density, the plainest raw aggregate over the same period
(`SELECT lead_unit_id, COUNT(*) … GROUP BY 1` / `grid_id`); for the HTTP pages, an authenticated GET
of one small API row. Prints one JSON line last: latencies as rates (1000 / p95 ms, higher is
better) so that ratio = value / baseline as every bench does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PY = sys.executable
BENCH_DIR = ROOT / "var" / "bench"
YEARS = 5.0
SEED = 20261128


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- the database -----------------------------------------------------------------------------------


KEY_SCRIPT = """
import hashlib, sys, django
django.setup()
from django.apps import apps
from django.db import connection
sys.path.insert(0, "bench")
from _gen_events import TABLES
parts = [connection.vendor]
for model in sorted(apps.get_models(), key=lambda m: m._meta.db_table):
    if model._meta.db_table not in TABLES:
        continue
    cols = [(f.column, f.db_type(connection) or "") for f in model._meta.local_fields]
    parts.append(f"{model._meta.db_table}:{cols}")
print(hashlib.sha256("\\n".join(parts).encode()).hexdigest()[:10])
"""


# Management commands that (re)build derived data from the generated tables — rollups, lookup
# tables — run on a reused database after new migrations, as an upgrade of a live city would.
DERIVED_COMMANDS: list[tuple[str, ...]] = [
    ("rebuild_case_units",),
    ("rebuild_figure_rollups",),  # assessment: per-day/per-month figure and density rollups
]


def layout_key() -> str:
    """A hash of the generated tables' columns (`_gen_events.TABLES`) for the environment's database
    vendor. Not the indexes and not the other tables: a reused database gets the pending migrations
    (new indexes, new derived tables with their backfill) and then `DERIVED_COMMANDS`, so that a new
    rollup or lookup table does not force a rebuild of millions of rows. In a
    subprocess, so that this process sets Django up once, on the bench database."""
    out = subprocess.run([PY, "-c", KEY_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def target(size: int) -> dict:
    """Where the bench database for `size` lives, for the DATABASE_URL of the environment."""
    base = os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if base.startswith(("postgres://", "postgresql://")) else "sqlite"
    key = layout_key()
    name = f"inbox-{size}-{key}"
    if vendor == "sqlite":
        url = f"sqlite:///{BENCH_DIR / (name + '.sqlite3')}"
        dsn = str(BENCH_DIR / (name + ".sqlite3"))
    else:
        parts = urlsplit(base)
        dbname = f"civicgrid_bench_inbox_{size}_{key}"
        url = urlunsplit(parts._replace(path="/" + dbname))
        dsn = url.replace("postgres://", "postgresql://", 1)
    return {
        "vendor": vendor,
        "name": name,
        "url": url,
        "dsn": dsn,
        "base": base,
        "marker": BENCH_DIR / (name + f"-{vendor}.json"),
        "var": BENCH_DIR / (name + f"-{vendor}-var"),
    }


def _manage(env, *args):
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")


def build(size: int, where: dict) -> dict:
    """Create the database, load the demo city and generate `size` events. Returns the marker."""
    import _gen_events as gen

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    where["var"].mkdir(parents=True, exist_ok=True)
    if where["vendor"] == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(where["dsn"] + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        admin = where["base"].replace("postgres://", "postgresql://", 1)
        dbname = urlsplit(where["url"]).path.lstrip("/")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            conn.execute(f'CREATE DATABASE "{dbname}"')
    env = dict(os.environ, DATABASE_URL=where["url"], CIVICGRID_VAR_DIR=str(where["var"]))
    env["CIVICGRID_LOG_LEVEL"] = "WARNING"
    started = time.perf_counter()
    log(f"building {where['name']} on {where['vendor']}: migrate, seed_calendar, load_demo …")
    _manage(env, "migrate", "--no-input")
    _manage(env, "seed_calendar")
    _manage(env, "load_demo")
    now = time.time()
    log(f"generating {size:,} events …")
    loader = gen.load_sqlite if where["vendor"] == "sqlite" else gen.load_postgres
    stats = loader(where["dsn"], size, SEED, now, YEARS, log=log)
    for command in DERIVED_COMMANDS:  # the generator writes the tables through the raw driver
        log(f"derived data: manage.py {' '.join(command)} …")
        _manage(env, *command)
    marker = {
        "size": size,
        "vendor": where["vendor"],
        "generated_at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
        "build_s": round(time.perf_counter() - started, 1),
        **stats,
    }
    where["marker"].write_text(json.dumps(marker, indent=1))
    log(f"built in {marker['build_s']} s: {stats}")
    return marker


def ensure(size: int, rebuild: bool = False) -> tuple[dict, dict]:
    where = target(size)
    if rebuild or not where["marker"].exists():
        marker = build(size, where)
    else:
        marker = json.loads(where["marker"].read_text())
        log(f"reusing {where['name']} on {where['vendor']} (built {marker['generated_at']})")
    return where, marker


# --- measuring --------------------------------------------------------------------------------------


def pct(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


BUDGET_S = 15.0  # per measured item: stop repeating after this long (at least 3 runs)


def timed(fn, repeat: int) -> list[float]:
    """Wall times in ms of `repeat` runs after a warm-up (caches, first-use imports); a slow item
    stops after BUDGET_S seconds with at least 3 runs (its p95 is then the slowest run), an item
    whose warm-up took over BUDGET_S / 3 with at least one."""
    t0 = time.perf_counter()
    fn()
    least = 3 if time.perf_counter() - t0 < BUDGET_S / 3 else 1  # a query of many seconds: one run
    out = []
    started = time.perf_counter()
    while len(out) < repeat and (len(out) < least or time.perf_counter() - started < BUDGET_S):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join("  " + " ".join(str(c) for c in row) for row in cur.fetchall())


def explain_all(name: str, fn) -> None:
    """Run `fn` once, then print the plan of every query it made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    log(f"--- {name}: {len(ctx.captured_queries)} queries")
    for q in ctx.captured_queries:
        sql = q["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
            continue
        log("  SQL:", sql[:600] + (" …" if len(sql) > 600 else ""))
        try:
            log(_explain(sql, None))
        except Exception as exc:  # an interpolated statement that does not parse again
            log(f"  (no plan: {exc})")


def raw_ms(sql: str, params=()):
    from django.db import connection

    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    return run


def measure(args, marker) -> list[dict]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        # New index migrations, applied to the reused database, then fresh planner statistics.
        call_command("migrate", verbosity=0)
        for command, *command_args in DERIVED_COMMANDS:
            log(f"derived data: manage.py {command} {' '.join(command_args)} …")
            call_command(command, *command_args, verbosity=0)
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("PRAGMA analysis_limit = 5000")  # sampled: minutes → seconds at 5M
            cur.execute("ANALYZE")

    from civicgrid.accounts.models import User
    from civicgrid.assessment import queries as aq
    from civicgrid.assessment.models import AssessmentScheme
    from civicgrid.assessment.services import do_create_scheme, scheme_for
    from civicgrid.cases import queries as cq
    from civicgrid.cases.models import Case
    from civicgrid.core.scope import scope_paths

    try:
        from civicgrid.assessment.density import event_density
    except ImportError:  # not there yet
        event_density = None

    generated = dt.datetime.fromisoformat(marker["generated_at"])
    first_of_month = generated.date().replace(day=1)
    month = (first_of_month - dt.timedelta(days=1)).strftime("%Y-%m")
    year = str(generated.year - 1)
    case_table = Case._meta.db_table
    if not AssessmentScheme.objects.filter(
        is_active=True, effective_from__lte=dt.date(int(year), 1, 1)
    ).exists():
        # The demo has no scheme yet: the default formula, in force before the generated years.
        do_create_scheme(actor=None, code="bench", name="基准测试方案", effective_from=dt.date(2000, 1, 1))
    rows: list[dict] = []

    def record(name, value_ms, base_ms, note=""):
        p50, p95 = statistics.median(value_ms), pct(value_ms, 95)
        b95 = pct(base_ms, 95)
        rows.append(
            {
                "name": name,
                "value": round(1000 / p95, 2),
                "unit": "1/s (1000/p95 ms)",
                "baseline": round(1000 / b95, 2),
                "ratio": round(b95 / p95, 3),
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "baseline_p95_ms": round(b95, 1),
                "runs": len(value_ms),
                "target_met": p95 < 300,
            }
        )
        flag = "ok " if p95 < 300 else "SLOW"
        log(
            f"{flag} {name:34s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  ({len(value_ms):2d} runs)  "
            f"baseline p95 {b95:7.1f} ms  {note}"
        )

    def scope_sql(user, action):
        paths = scope_paths(user, action)
        if not isinstance(paths, list):
            return "1=1", []
        return " OR ".join(["path LIKE %s"] * len(paths)) or "1=0", [p + "%" for p in paths]

    log(
        f"size {marker['size']:,} on {connection.vendor}; month {month}, year {year}; {args.repeat} runs each"
    )

    def want(name):
        return re.search(args.only, name) is not None

    for username in args.users.split(","):
        user = User.objects.select_related("unit", "area").get(username=username)
        for queue in cq.QUEUES:
            if not want(f"{username}.page.{queue}"):
                continue

            def page(queue=queue, user=user):
                p = cq.inbox_page(user, queue)
                return [c.pk for c in p.object_list], p.paginator.count

            ids, count = page()
            marks = ",".join(["%s"] * len(ids)) or "NULL"
            base = raw_ms(f"SELECT * FROM {case_table} WHERE id IN ({marks})", ids)  # noqa: S608
            if args.explain:
                explain_all(f"{username} page {queue}", page)
            record(
                f"{username}.page.{queue}",
                timed(page, args.repeat),
                timed(base, args.repeat),
                f"{count} cases",
            )

        def counts(user=user):
            return cq.inbox_counts(user)

        if args.explain and want(f"{username}.counts"):
            explain_all(f"{username} counts", counts)
        base = raw_ms(f"SELECT COUNT(*) FROM {case_table} WHERE closed_at IS NULL")  # noqa: S608
        if want(f"{username}.counts"):
            record(f"{username}.counts", timed(counts, args.repeat), timed(base, args.repeat), str(counts()))

        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for label, url in (
            ("inbox", "/cases/"),
            ("inbox_all", "/cases/?queue=all"),
            ("inbox_p2", "/cases/?queue=all&page=2"),
        ):
            if not want(f"{username}.http.{label}"):
                continue

            def get(url=url, client=client):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            base_get = lambda client=client: client.get("/api/v1/event-categories/1/")  # noqa: E731
            if args.explain:
                explain_all(f"{username} GET {url}", get)
            record(f"{username}.http.{label}", timed(get, args.repeat), timed(base_get, args.repeat))

        fwhere, fparams = scope_sql(user, aq.VIEW)
        for label, period_text in (("month", month), ("year", year)):
            period = aq.parse_period(period_text)
            scheme = scheme_for(period.start.date())
            slow = label == "year" and args.year_by_unit_only
            for group in ("unit",) if slow else ("unit", "area"):
                if not want(f"{username}.figures.{group}.{label}"):
                    continue

                def fig(period=period, scheme=scheme, group=group, user=user):
                    return aq.figures(
                        scheme, period_start=period.start, period_end=period.end, group_by=group, user=user
                    )

                base = raw_ms(
                    f"SELECT lead_unit_id, COUNT(*) FROM {case_table} WHERE ({fwhere}) "  # noqa: S608
                    "AND opened_at >= %s AND opened_at < %s GROUP BY lead_unit_id",
                    [*fparams, period.start, period.end],
                )
                if args.explain and not slow:
                    explain_all(f"{username} figures {group} {label}", fig)
                n = "" if slow else sum(r["assessed"] for r in fig())
                record(
                    f"{username}.figures.{group}.{label}",
                    timed(fig, args.repeat),
                    timed(base, args.repeat),
                    f"{n} assessed",
                )

            if event_density is not None and want(f"{username}.density.{label}"):

                def dens(period=period, user=user):
                    return event_density(user, period)

                base = raw_ms(
                    f"SELECT grid_id, COUNT(*) FROM {case_table} WHERE ({fwhere}) "  # noqa: S608
                    "AND opened_at >= %s AND opened_at < %s GROUP BY grid_id",
                    [*fparams, period.start, period.end],
                )
                if args.explain:
                    explain_all(f"{username} density {label}", dens)
                record(f"{username}.density.{label}", timed(dens, args.repeat), timed(base, args.repeat))

            if slow or not want(f"{username}.http.figures.{label}"):
                continue

            def api(period_text=period_text, client=client):
                response = client.get(f"/api/v1/assessment/figures/?period={period_text}")
                assert response.status_code == 200, response.content[:300]

            record(
                f"{username}.http.figures.{label}",
                timed(api, args.repeat),
                timed(lambda client=client: client.get("/api/v1/event-categories/1/"), args.repeat),
            )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200_000, help="events in the database")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--prepare-only", action="store_true", help="build or reuse, then stop")
    parser.add_argument("--explain", action="store_true", help="print the plan of every query")
    parser.add_argument("--users", default="township,city", help="whom to measure, comma-separated")
    parser.add_argument("--only", default="", help="measure only the items whose name matches this regex")
    parser.add_argument(
        "--year-by-unit-only",
        action="store_true",
        help="for the year: figures by unit only (no by-area, no API), no plan (minutes a run at 5M)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")
    os.chdir(ROOT)
    where, marker = ensure(args.size, args.rebuild)
    if args.prepare_only:
        print(json.dumps({"prepared": marker}))
        return
    os.environ["DATABASE_URL"] = where["url"]
    os.environ["CIVICGRID_VAR_DIR"] = str(where["var"])
    results = measure(args, marker)
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
