"""Bulk import of generated historical events (issue 3 §9, first bullet), beside a raw insert of
exactly the rows the pipeline wrote.

    .venv/bin/python bench/import_events.py --size 100000
    DATABASE_URL=postgres://civicgrid_ci:civicgrid_ci@127.0.0.1:5432/civicgrid_ci \
        .venv/bin/python bench/import_events.py --size 100000

1. A fresh database (SQLite: a temp file; PostgreSQL: a new database `civicgrid_bench_events` on the
   server of DATABASE_URL, dropped afterwards), migrated, with the demo city (`load_demo`: areas,
   grids, units, taxonomy, dispatch catalogue, 40 demo events).
2. A CSV of N events over the demo city: points inside grids, categories from the taxonomy (30 %
   left for the classifier), titles and descriptions from the categories' keywords, times spread
   over 2025 in order, final states mixed (20 % reported, 10 % dispatched, 30 % closed, 40 % called
   back), a hotline ticket number as idempotency key.
3. A copy of the database before the import (SQLite: the file; PostgreSQL: CREATE DATABASE …
   TEMPLATE), the "empty copy of the schema" the raw insert writes into.
4. The pipeline: `manage.py import_events` in a child process (all or nothing, the default), timed
   from start to exit; its peak RSS is the child's ru_maxrss.
   The peak RSS is given for the largest process and for the command with its checking worker
   processes together (their resident memory summed, sampled every 0.2 s).
5. The raw insert: every row the import wrote (cases, details, deadlines, assignments, timeline,
   audit rows, the visibility rows of open cases `cases_caseunit` where the schema has them, and
   the final rows of the number sequences it advanced), read back from the
   database and inserted into the copy with the same columns — executemany in one transaction on
   SQLite, COPY in one transaction on PostgreSQL. Only the inserts and the commit are timed (the
   reads are not).
6. On SQLite also the CPU time per event of both (the command and its workers; the raw insert's
   process during the inserts), and the load average around each: the two are timed minutes apart
   on a shared machine, and CPU time is far less sensitive to the load than wall time.
The last line printed is one JSON object: {"results": [{name, value, unit, baseline, ratio}, ...]}.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "civicgrid_bench_events"
SEQUENCES = "cases_casenumbersequence"
CASE_UNITS = "cases_caseunit"
TABLES = (
    ("cases_case", "id"),
    ("events_eventdetails", "case_id"),
    ("cases_casedeadline", "case_id"),
    ("cases_assignment", "case_id"),
    ("cases_timelineentry", "case_id"),
)
HEADER = [
    "工单号",
    "标题",
    "内容",
    "分类",
    "经度",
    "纬度",
    "地址",
    "来电人",
    "电话",
    "受理时间",
    "状态",
    "派遣时间",
    "签收时间",
    "办结时间",
    "处置结果",
    "结案时间",
    "满意度",
    "回访时间",
]
MAPPING = {
    "idempotency_key": "工单号",
    "title": "标题",
    "description": "内容",
    "category": "分类",
    "lon": "经度",
    "lat": "纬度",
    "address": "地址",
    "reporter_name": "来电人",
    "reporter_phone": "电话",
    "opened_at": "受理时间",
    "status": "状态",
    "dispatched_at": "派遣时间",
    "accepted_at": "签收时间",
    "handled_at": "办结时间",
    "result": "处置结果",
    "closed_at": "结案时间",
    "satisfaction": "满意度",
    "callback_at": "回访时间",
    "defaults": {"channel": "hotline_12345"},
}


def _pg_url(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def _pg_admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def setup(workdir: Path) -> dict:
    """Point Django at a fresh database; returns how to reach it and its raw copy."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        _pg_admin(url, f"DROP DATABASE IF EXISTS {BENCH_DB}", f"DROP DATABASE IF EXISTS {BENCH_DB}_raw")
        _pg_admin(url, f"CREATE DATABASE {BENCH_DB}")
        env = {"vendor": "postgresql", "admin": url, "url": _pg_url(url, BENCH_DB)}
        env["raw_url"] = _pg_url(url, f"{BENCH_DB}_raw")
    else:
        env = {"vendor": "sqlite", "path": workdir / "bench.sqlite3", "raw_path": workdir / "raw.sqlite3"}
        env["url"] = f"sqlite:///{env['path']}"
    os.environ["DATABASE_URL"] = env["url"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return env


def generate(path: Path, size: int, seed: int = 3) -> None:
    """Write the CSV of `size` events (see the module docstring)."""
    import shapely
    from shapely.geometry import shape

    from civicgrid.areas.models import Grid
    from civicgrid.events.bulk.checks import Reference

    rng = random.Random(seed)
    ref = Reference()
    leaves = [c for c in ref.categories.values() if not c.required_fields]
    grids = []
    for grid in Grid.objects.filter(kind="base").select_related("village"):
        polygon = shape(grid.boundary)
        minx, miny, maxx, maxy = polygon.bounds
        points = []
        while len(points) < 8:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if polygon.contains(shapely.Point(lon, lat)):
                points.append((round(lon, 6), round(lat, 6)))
        grids.append((grid.village.name, grid.village.path, points))
    start = dt.datetime(2025, 1, 2, 8, 0)
    step = dt.timedelta(days=360) / size
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(size):
            village, village_path, points = rng.choice(grids)
            lon, lat = rng.choice(points)
            category = rng.choice(leaves)
            words = [k["word"] for k in category.keywords or ()] or [category.name]
            word = rng.choice(words)
            title = f"{village}{word}问题"
            description = f"市民来电反映{village}附近{word}，{rng.choice(words)}，请尽快处理。"
            opened = start + step * i + dt.timedelta(minutes=rng.randrange(60))
            roll = rng.random()
            status = (
                "已上报" if roll < 0.2 else "已派遣" if roll < 0.3 else "已结案" if roll < 0.6 else "已回访"
            )
            if category.emergency_transfer or ref.route(category, village_path) is None:
                status = "已上报"
            times = [""] * 4
            result = satisfaction = callback = ""
            if status != "已上报":
                dispatched = opened + dt.timedelta(minutes=rng.randrange(5, 240))
                times[0] = dispatched.isoformat(" ", "minutes")
            if status in ("已结案", "已回访"):
                accepted = dispatched + dt.timedelta(hours=rng.randrange(1, 48))
                handled = accepted + dt.timedelta(hours=rng.randrange(1, 200))
                closed = handled + dt.timedelta(hours=rng.randrange(1, 48))
                times[1:] = [t.isoformat(" ", "minutes") for t in (accepted, handled, closed)]
                result = "已现场处置完毕，恢复原状。"
            if status == "已回访":
                satisfaction = rng.choice(["满意", "满意", "满意", "基本满意"])
                callback = (closed + dt.timedelta(hours=rng.randrange(1, 72))).isoformat(" ", "minutes")
            writer.writerow(
                [
                    f"RX{i:09d}",
                    title,
                    description,
                    ""
                    if rng.random() < 0.3
                    and _classified(ref, category, status, title, description, village_path)
                    else category.code,
                    lon,
                    lat,
                    f"{village}{rng.randrange(1, 200)}号",
                    rng.choice(surnames) + rng.choice(["先生", "女士"]),
                    f"139{rng.randrange(10**8):08d}",
                    opened.isoformat(" ", "minutes"),
                    status,
                    times[0],
                    times[1],
                    times[2],
                    result,
                    times[3],
                    satisfaction,
                    callback,
                ]
            )


def _classified(ref, category, status, title, description, village_path) -> bool:
    """Whether the row may leave its category to the classifier: a case past "reported" takes the
    best suggestion, which must then have a catalogue rule (else the row would be refused)."""
    if status == "已上报":
        return True
    found = ref.classifier.suggest(title, description)
    return bool(found) and ref.route(found[0].category, village_path) is not None


def snapshot(env: dict) -> None:
    from django.db import connection

    if env["vendor"] == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(env["path"], env["raw_path"])
    else:
        connection.close()
        _pg_admin(env["admin"], f"CREATE DATABASE {BENCH_DB}_raw TEMPLATE {BENCH_DB}")


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants (the checking workers), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def run_pipeline(workdir: Path, source: Path) -> dict:
    """The command in a child process: wall seconds, CPU seconds (it and its worker processes), peak
    RSS of the largest process and of the whole process tree (sampled every 0.2 s), its output."""
    mapping = workdir / "mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "import_events",
        str(source),
        "--mapping",
        str(mapping),
    ]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ})
        tree_peak = 0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_kb(child.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"import_events failed:\n{stdout}\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": max(after.ru_maxrss, before.ru_maxrss) / 1024.0,
        "tree_peak_mb": max(tree_peak, after.ru_maxrss) / 1024.0,  # a short run may end between samples
        "load": (load, os.getloadavg()[0]),
        "output": stdout.strip(),
    }


def _columns(cursor, table: str, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute(f'PRAGMA table_info("{table}")')
        names = [r[1] for r in cursor.fetchall()]
    else:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            [table],
        )
        names = [r[0] for r in cursor.fetchall()]
    # The pipeline let the database number the rows of these tables; the raw insert does too.
    return [n for n in names if not (n == "id" and table not in ("cases_case",))]


def raw_insert(env: dict, first_case: int, chunk: int = 50_000) -> tuple[float, float | None, int]:
    """Insert the imported rows into the copy; returns (seconds spent inserting, CPU seconds of
    this process in them (SQLite), rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        last_case = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MIN(id), 0) FROM audit_objectchange WHERE object_id LIKE 'import:%%'")
        first_audit = cursor.fetchone()[0]
        tables = _tables(cursor, env["vendor"])
        columns = {t: _columns(cursor, t, env["vendor"]) for t, _key in tables}
        columns["audit_objectchange"] = _columns(cursor, "audit_objectchange", env["vendor"])
        columns[SEQUENCES] = [*_columns(cursor, SEQUENCES, env["vendor"]), "id"]
    spans = [(lo, min(lo + chunk - 1, last_case)) for lo in range(first_case, last_case + 1, chunk)]
    if env["vendor"] == "sqlite":
        return _raw_sqlite(env, tables, columns, spans, first_audit)
    return _raw_postgresql(env, tables, columns, spans, first_audit)


def _tables(cursor, vendor: str) -> tuple:
    """TABLES, and the kernel's visibility table of open cases when the schema has it."""
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s", [CASE_UNITS])
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename = %s", [CASE_UNITS])
    return (*TABLES, (CASE_UNITS, "case_id")) if cursor.fetchone() else TABLES


def _raw_sqlite(env, tables, columns, spans, first_audit) -> tuple[float, float, int]:
    source = sqlite3.connect(env["path"])
    target = sqlite3.connect(env["raw_path"], isolation_level=None)
    target.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    spent, cpu, rows = 0.0, 0.0, 0
    target.execute("BEGIN IMMEDIATE")
    work = [(t, key, lo, hi) for lo, hi in spans for t, key in tables]
    work.append(("audit_objectchange", "id", first_audit, 10**18))
    # The number sequences the import advanced: their final rows (the copy's are deleted first).
    target.execute(f'DELETE FROM "{SEQUENCES}"')  # noqa: S608 - our table
    work.append((SEQUENCES, "id", 0, 10**18))
    for table, key, lo, hi in work:
        names = columns[table]
        cols = ", ".join(f'"{n}"' for n in names)
        select = f'SELECT {cols} FROM "{table}" WHERE "{key}" BETWEEN ? AND ?'  # noqa: S608 - our tables
        insert = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(names))})'  # noqa: S608
        data = source.execute(select, (lo, hi)).fetchall()
        started, cpu_started = time.perf_counter(), time.process_time()
        target.executemany(insert, data)
        spent += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        rows += len(data)
    started, cpu_started = time.perf_counter(), time.process_time()
    target.execute("COMMIT")
    spent += time.perf_counter() - started
    cpu += time.process_time() - cpu_started
    return spent, cpu, rows


def _raw_postgresql(env, tables, columns, spans, first_audit) -> tuple[float, None, int]:
    import psycopg

    spent, rows = 0.0, 0
    with psycopg.connect(env["url"]) as source, psycopg.connect(env["raw_url"]) as target:
        work = [(t, key, lo, hi) for lo, hi in spans for t, key in tables]
        work.append(("audit_objectchange", "id", first_audit, 10**18))
        target.execute(f'DELETE FROM "{SEQUENCES}"')  # noqa: S608 - our table
        work.append((SEQUENCES, "id", 0, 10**18))
        for table, key, lo, hi in work:
            cols = ", ".join(f'"{n}"' for n in columns[table])
            blocks = []
            query = f'COPY (SELECT {cols} FROM "{table}" WHERE "{key}" BETWEEN {lo} AND {hi}) TO STDOUT'  # noqa: S608
            with source.cursor().copy(query) as copy:
                blocks.extend(bytes(b) for b in copy)
            rows += sum(b.count(b"\n") for b in blocks)
            started = time.perf_counter()
            with target.cursor().copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for block in blocks:
                    copy.write(block)
            spent += time.perf_counter() - started
        started = time.perf_counter()
        target.commit()
        spent += time.perf_counter() - started
    return spent, None, rows  # the COPY work is the server's: no CPU time of ours to compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="events in the generated file")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-events-") as tmp:
        workdir = Path(tmp)
        env = setup(workdir)
        from django.core.management import call_command
        from django.db import connection

        source = workdir / "events.csv"
        started = time.perf_counter()
        generate(source, args.size)
        print(f"generated {args.size} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
            first_case = cursor.fetchone()[0] + 1
        snapshot(env)
        pipeline = run_pipeline(workdir, source)
        print(pipeline["output"], file=sys.stderr)
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM cases_case WHERE id >= %s", [first_case])
            imported = cursor.fetchone()[0]
        call_command("verify_audit", stdout=sys.stderr)
        raw_load = os.getloadavg()[0]
        raw_seconds, raw_cpu, rows = raw_insert(env, first_case)
        raw_load = (raw_load, os.getloadavg()[0])
        connection.close()
        if env["vendor"] == "postgresql" and not args.keep:
            _pg_admin(
                env["admin"], f"DROP DATABASE IF EXISTS {BENCH_DB}", f"DROP DATABASE IF EXISTS {BENCH_DB}_raw"
            )
    label = f"{env['vendor']}, {imported} events"
    rate = round(imported / pipeline["seconds"], 1)
    raw_rate = round(imported / raw_seconds, 1)
    results = [
        {
            "name": f"import_events pipeline ({label})",
            "value": rate,
            "unit": "events/s",
            "baseline": raw_rate,
            "ratio": round(rate / raw_rate, 3),
        },
        {"name": f"rows written per event ({label})", "value": round(rows / imported, 2), "unit": "rows"},
        {
            "name": f"import_events peak RSS, largest process ({label})",
            "value": round(pipeline["peak_mb"], 1),
            "unit": "MB",
        },
        {
            "name": f"import_events peak RSS, all its processes ({label})",
            "value": round(pipeline["tree_peak_mb"], 1),
            "unit": "MB",
        },
    ]
    if raw_cpu is not None:
        # CPU seconds per event, the importer's processes against the raw insert's: less noisy than
        # wall time on a shared machine (the two are timed minutes apart, under different load).
        results.append(
            {
                "name": f"import_events CPU per event, all processes ({label})",
                "value": round(pipeline["cpu"] / imported * 1e6, 1),
                "unit": "us",
                "baseline": round(raw_cpu / imported * 1e6, 1),
                "ratio": round(raw_cpu / pipeline["cpu"], 3),
            }
        )
    results.append(
        {
            "name": "load average (1 min) at start and end: pipeline, raw insert",
            "value": [round(v, 2) for v in (*pipeline["load"], *raw_load)],
            "unit": "",
        }
    )
    for r in results:
        extra = f" (raw {r['baseline']}, ratio {r['ratio']})" if "baseline" in r else ""
        print(f"{r['name']}: {r['value']} {r['unit']}{extra}")
    print(json.dumps({"results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
