"""Fast generator of events for bench/inbox.py: N cases of kind "event" spread over several years
across the demo city, with their event details, assignments, deadline clocks and timeline rows,
written through the raw driver (executemany on SQLite, COPY on PostgreSQL) — not the services, which
would take days at 5,000,000.

The status mix follows a city's steady state: the older a case, the likelier it is closed (most
end "done" after a callback; some rejected, merged or transferred); a small share stays open for
months (overdue, often under supervision). Open cases carry running clocks and mirror the earliest
one on Case.due_at/warn_at as the services do. Deadlines count calendar days here (the bench needs
realistic spreads, not the holiday calendar).

Secondary indexes and (on PostgreSQL) foreign keys of the five tables are dropped for the load and
created again afterwards, then the tables are analysed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import random
import time
from dataclasses import dataclass

TABLES = (
    "cases_case",
    "events_eventdetails",
    "cases_assignment",
    "cases_casedeadline",
    "cases_timelineentry",
)
UTC = dt.UTC
DAY = 86400.0

CASE_COLS = [
    "id",
    "kind",
    "number",
    "title",
    "description",
    "status",
    "priority",
    "path",
    "lon",
    "lat",
    "handling_level",
    "opened_at",
    "closed_at",
    "version",
    "supervision",
    "urge_count",
    "last_urged_at",
    "plus_ones",
    "due_at",
    "warn_at",
    "area_id",
    "created_by_id",
    "duplicate_of_id",
    "grid_id",
    "lead_unit_id",
    "confidential",
]
EVENT_COLS = [
    "case_id",
    "channel",
    "suggested_categories",
    "possible_duplicates",
    "reporter_name",
    "reporter_phone",
    "answers",
    "idempotency_key",
    "address",
    "transfer_target",
    "result",
    "handled_at",
    "first_response_at",
    "callback_contacted",
    "callback_resolved",
    "satisfaction",
    "callback_at",
    "reopened_count",
    "self_handled",
    "callback_by_id",
    "category_id",
]
ASSIGN_COLS = [
    "id",
    "role",
    "status",
    "designated",
    "assigned_at",
    "accepted_at",
    "finished_at",
    "objection_reason",
    "assigned_by_id",
    "unit_id",
    "case_id",
]
DEADLINE_COLS = [
    "id",
    "name",
    "amount",
    "unit",
    "max_extension",
    "started_at",
    "start_day",
    "extensions",
    "extension_granted",
    "pending_extension",
    "pending_extension_reason",
    "pauses",
    "due_at",
    "due_date",
    "provisional",
    "unknown_years",
    "state",
    "stopped_at",
    "warn_at",
    "warned_at",
    "overdue_at",
    "case_id",
]
TIMELINE_COLS = [
    "id",
    "kind",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
    "time",
    "actor_id",
    "case_id",
]

OPEN_STATUSES = ("reported", "registered", "dispatched", "objected", "accepted", "handled", "verified")
OPEN_WEIGHTS = (10, 8, 14, 2, 46, 12, 8)
CLOSED_STATUSES = ("done", "closed", "rejected", "merged", "transferred")
CLOSED_WEIGHTS = (88, 2, 5, 4, 1)
CHANNELS = ("hotline_12345", "grid_patrol", "app", "web")
CHANNEL_WEIGHTS = (45, 30, 18, 7)
SATISFACTION = ("satisfied", "basically", "dissatisfied")
SATISFACTION_WEIGHTS = (80, 14, 6)
TITLES = (
    "占道经营",
    "垃圾堆放",
    "路灯不亮",
    "井盖缺失",
    "噪声扰民",
    "违章搭建",
    "污水外溢",
    "邻里纠纷",
    "车辆乱停",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


@dataclass
class City:
    grids: list  # (grid id, village area id, path, lon, lat, township path, county code)
    township_units: dict  # township path → unit id
    county_units: dict  # county path → [department unit ids]
    categories: list  # (id, code, response amount, handling amount, max extension)
    dispatcher_id: int
    worker_ids: list


def load_city(cur, placeholder: str) -> City:
    cur.execute(
        "SELECT g.id, g.village_id, g.path, g.boundary FROM areas_grid g WHERE g.kind = 'base' ORDER BY g.id"
    )
    grids = []
    for gid, village_id, path, boundary in cur.fetchall():
        ring = (json.loads(boundary) if isinstance(boundary, str) else boundary or {}).get(
            "coordinates", [[]]
        )[0]
        lon = sum(p[0] for p in ring) / len(ring) if ring else 120.0
        lat = sum(p[1] for p in ring) / len(ring) if ring else 30.0
        parts = path.split("/")
        grids.append((gid, village_id, path, lon, lat, "/".join(parts[:4]) + "/", parts[2]))
    cur.execute(
        "SELECT u.id, u.kind, a.path FROM accounts_unit u JOIN areas_area a ON a.id = u.area_id ORDER BY u.id"
    )
    township_units, county_units = {}, {}
    for uid, kind, path in cur.fetchall():
        if kind == "government_office":
            township_units[path] = uid
        elif kind == "department":
            county_units.setdefault(path, []).append(uid)
    cur.execute(
        "SELECT id, code, response_amount, handling_amount, max_extension FROM events_category "
        "WHERE parent_id IS NOT NULL AND (emergency_transfer IS NULL OR emergency_transfer = '') ORDER BY id"
    )
    categories = [c for c in cur.fetchall() if len(c[1]) > 2] or [(None, "", 1, 5, 5)]
    cur.execute(f"SELECT id FROM accounts_user WHERE username = {placeholder}", ["city"])  # noqa: S608
    dispatcher = cur.fetchone()[0]
    cur.execute(
        "SELECT id FROM accounts_user WHERE username LIKE 'gw%%' OR username = 'gridworker' ORDER BY id"
    )
    workers = [r[0] for r in cur.fetchall()] or [dispatcher]
    grids = [g for g in grids if g[5] in township_units]
    return City(grids, township_units, county_units, categories, dispatcher, workers)


def _next_ids(cur) -> dict:
    ids = {}
    for table in ("cases_case", "cases_assignment", "cases_casedeadline", "cases_timelineentry"):
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table names
        ids[table] = cur.fetchone()[0] + 1
    return ids


class Rows:
    """Rows of one batch, per table, as tuples in the column order above."""

    def __init__(self):
        self.case, self.event, self.assign, self.deadline, self.timeline = [], [], [], [], []


def generate(city: City, size: int, seed: int, now: float, ages: tuple, ids: dict, batch: int, fmt):
    """Yield Rows batches for `size` events opened over the `years` before `now` (epoch seconds);
    `fmt(epoch)` turns a time into the driver's text form, `fmt.day(epoch)` a date."""
    rng = random.Random(seed)
    age_from, age_to = ages
    case_id, assign_id, deadline_id, tl_id = (
        ids["cases_case"],
        ids["cases_assignment"],
        ids["cases_casedeadline"],
        ids["cases_timelineentry"],
    )
    empty_list, empty_obj = "[]", "{}"
    rows = Rows()
    choices, rand = rng.choices, rng.random
    for n in range(size):
        # Opening times cluster towards the present a little (a growing city), never in the future.
        opened = now - age_from - (age_to - age_from) * rand()
        age_days = (now - opened) / DAY
        grid = city.grids[int(rand() * len(city.grids))]
        gid, village_id, path, lon, lat, township, county = grid
        category = city.categories[int(rand() * len(city.categories))]
        cat_id, _code, resp_amount, hand_amount, max_ext = category
        # Open with a probability that falls with age; a few stay open for months (stuck).
        is_open = rand() < math.exp(-age_days / 6.0) or rand() < 0.0015
        if is_open:
            status = choices(OPEN_STATUSES, OPEN_WEIGHTS)[0]
        else:
            status = choices(CLOSED_STATUSES, CLOSED_WEIGHTS)[0]
        channel = choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        self_handled = status in ("done", "closed") and channel == "grid_patrol" and rand() < 0.4
        dispatched = status in ("dispatched", "objected", "accepted", "handled", "verified") or (
            status in ("done", "closed") and not self_handled
        )
        t_register = opened + 600 + rand() * 7200
        t_dispatch = t_register + 300 + rand() * 3600
        t_accept = t_dispatch + 600 + rand() * 20000
        t_handle = t_accept + rand() * 3 * DAY
        t_verify = t_handle + rand() * DAY
        t_close = t_verify + rand() * 7200
        t_callback = t_close + rand() * 2 * DAY
        if not is_open and t_callback > now:  # keep the closed ones in the past
            shift = t_callback - now + 60
            t_register, t_dispatch, t_accept, t_handle, t_verify, t_close, t_callback = (
                t - shift for t in (t_register, t_dispatch, t_accept, t_handle, t_verify, t_close, t_callback)
            )
            opened = min(opened, t_register - 600)

        if self_handled or rand() < 0.6:
            lead = city.township_units[township]
        else:
            depts = city.county_units.get("/".join(path.split("/")[:3]) + "/") or [
                city.township_units[township]
            ]
            lead = depts[int(rand() * len(depts))]
        lead_unit = lead if (dispatched or self_handled) else None
        closed_at = None
        if status in ("done", "closed"):
            closed_at = t_close
        elif status in ("rejected", "merged", "transferred"):
            closed_at = t_register
        supervision = "none"
        if is_open and age_days > 5 and rand() < 0.25:
            supervision = choices(("daily", "listed", "interview"), (70, 25, 5))[0]
        elif not is_open and rand() < 0.005:
            supervision = "daily"

        # Clocks: response, handling, objection from the dispatch (calendar days here).
        due_at = warn_at = None
        if dispatched:
            for name, amount, ext in (
                ("response", resp_amount, 0),
                ("handling", hand_amount, max_ext),
                ("objection", 1, 0),
            ):
                due = t_dispatch + amount * DAY
                warn = t_dispatch + amount * DAY * 0.8
                if status == "dispatched" or (
                    status in ("accepted", "handled", "verified") and name == "handling"
                ):
                    state, stopped = "running", None
                elif status == "objected":
                    state, stopped = ("met" if t_accept < due else "missed"), t_accept
                else:
                    stop = t_accept if name != "handling" else t_handle
                    state, stopped = ("met" if stop < due else "missed"), stop
                    if status in ("handled", "verified") and name == "handling":
                        state, stopped = ("met" if t_handle < due else "missed"), t_handle
                if state == "running" and status in ("handled", "verified"):
                    state = "met"
                    stopped = min(t_handle, now)
                if state == "running" and (due_at is None or due < due_at):
                    due_at, warn_at = due, warn
                rows.deadline.append(
                    (
                        deadline_id,
                        name,
                        amount,
                        "days",
                        ext,
                        fmt(t_dispatch),
                        fmt.day(t_dispatch),
                        empty_list,
                        0,
                        None,
                        "",
                        empty_list,
                        fmt(due),
                        fmt.day(due),
                        False,
                        empty_list,
                        state,
                        fmt(stopped) if stopped else None,
                        fmt(warn),
                        fmt(warn) if (state == "running" and now > warn) else None,
                        fmt(due) if (state == "running" and now > due) or state == "missed" else None,
                        case_id,
                    )
                )
                deadline_id += 1
            role_status = {
                "dispatched": "pending",
                "objected": "objected",
                "done": "done",
                "closed": "done",
            }.get(status, "accepted")
            accepted = fmt(t_accept) if role_status in ("accepted", "done") else None
            finished = fmt(t_close) if role_status == "done" else None
            rows.assign.append(
                (
                    assign_id,
                    "lead",
                    role_status,
                    False,
                    fmt(t_dispatch),
                    accepted,
                    finished,
                    "不属于本单位职责" if role_status == "objected" else "",
                    city.dispatcher_id,
                    lead,
                    case_id,
                )
            )
            assign_id += 1
            if rand() < 0.1:
                co = city.township_units[township] if lead != city.township_units[township] else None
                if co is not None:
                    rows.assign.append(
                        (
                            assign_id,
                            "co",
                            role_status if role_status != "objected" else "pending",
                            False,
                            fmt(t_dispatch),
                            accepted,
                            finished,
                            "",
                            city.dispatcher_id,
                            co,
                            case_id,
                        )
                    )
                    assign_id += 1
        due_at_c, warn_at_c = (due_at, warn_at) if is_open else (None, None)

        year = dt.datetime.fromtimestamp(opened, UTC).year
        title = grid[2][-7:-1] + TITLES[int(rand() * len(TITLES))]
        rows.case.append(
            (
                case_id,
                "event",
                f"{year}-{county}-B{case_id:09d}",
                title,
                "",
                status,
                "low",
                path,
                lon,
                lat,
                "village",
                fmt(opened),
                fmt(closed_at) if closed_at else None,
                3,
                supervision,
                1 if supervision != "none" else 0,
                None,
                0,
                fmt(due_at_c) if due_at_c else None,
                fmt(warn_at_c) if warn_at_c else None,
                village_id,
                city.worker_ids[int(rand() * len(city.worker_ids))] if channel == "grid_patrol" else None,
                None,
                gid,
                lead_unit,
                False,
            )
        )
        responded = fmt(t_accept) if (dispatched and status not in ("dispatched", "objected")) else None
        if self_handled:
            responded = fmt(opened)
        handled = status in ("handled", "verified", "closed", "done")
        done = status == "done"
        contacted = done and rand() < 0.95
        satisfaction = choices(SATISFACTION, SATISFACTION_WEIGHTS)[0] if contacted else ""
        rows.event.append(
            (
                case_id,
                channel,
                empty_list,
                empty_list,
                SURNAMES[int(rand() * len(SURNAMES))] + "先生" if channel == "hotline_12345" else "",
                f"139{int(rand() * 1e8):08d}" if channel == "hotline_12345" else "",
                empty_obj,
                None,
                "",
                "110" if status == "transferred" else "",
                "已处置完毕。" if handled else "",
                fmt(t_handle) if handled else None,
                responded,
                contacted if done else None,
                (satisfaction != "dissatisfied") if contacted else None,
                satisfaction,
                fmt(t_callback) if done else None,
                1 if (done and rand() < 0.02) else 0,
                self_handled,
                city.dispatcher_id if done else None,
                cat_id,
            )
        )
        # Timeline: opened, the dispatch (with its assignment) and the last step reached.
        rows.timeline.append(
            (
                tl_id,
                "opened",
                "",
                "",
                "reported",
                "",
                f'{{"channel": "{channel}"}}',
                fmt(opened),
                None,
                case_id,
            )
        )
        tl_id += 1
        if dispatched:
            rows.timeline.append(
                (
                    tl_id,
                    "transition",
                    "dispatch",
                    "registered",
                    "dispatched",
                    "",
                    f'{{"lead_unit": {lead}}}',
                    fmt(t_dispatch),
                    city.dispatcher_id,
                    case_id,
                )
            )
            tl_id += 1
        if status not in ("reported", "dispatched"):
            last = {
                "done": t_callback,
                "closed": t_close,
                "verified": t_verify,
                "handled": t_handle,
                "accepted": t_accept,
                "objected": t_accept,
            }.get(status, t_register)
            rows.timeline.append(
                (
                    tl_id,
                    "transition",
                    "",
                    "",
                    status,
                    "",
                    empty_obj,
                    fmt(min(last, now)),
                    city.dispatcher_id,
                    case_id,
                )
            )
            tl_id += 1
        case_id += 1
        if (n + 1) % batch == 0:
            yield rows
            rows = Rows()
    if rows.case:
        yield rows


# --- drivers ----------------------------------------------------------------------------------------


class SqliteFmt:
    def __call__(self, t):
        return dt.datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def day(self, t):
        return self(t)[:10]


class PgFmt(SqliteFmt):
    def __call__(self, t):
        return dt.datetime.fromtimestamp(t, UTC).isoformat(" ", "microseconds")


def _sqlite_indexes(cur) -> list[tuple[str, str]]:
    marks = ",".join("?" * len(TABLES))
    cur.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # noqa: S608
        TABLES,
    )
    return cur.fetchall()


COLUMNS = {
    "case": ("cases_case", CASE_COLS),
    "event": ("events_eventdetails", EVENT_COLS),
    "assign": ("cases_assignment", ASSIGN_COLS),
    "deadline": ("cases_casedeadline", DEADLINE_COLS),
    "timeline": ("cases_timelineentry", TIMELINE_COLS),
}
# Per table: its own id (offset per copy), the case reference, times and dates (from which time).
COPY_SPEC = {
    "cases_case": ("id", None, ("opened_at", "closed_at", "last_urged_at", "due_at", "warn_at"), {}),
    "events_eventdetails": (None, "case_id", ("handled_at", "first_response_at", "callback_at"), {}),
    "cases_assignment": ("id", "case_id", ("assigned_at", "accepted_at", "finished_at"), {}),
    "cases_casedeadline": (
        "id",
        "case_id",
        ("started_at", "due_at", "stopped_at", "warn_at", "warned_at", "overdue_at"),
        {"start_day": "started_at", "due_date": "due_at"},
    ),
    "cases_timelineentry": ("id", "case_id", ("time",), {}),
}


def plan(size: int, years: float) -> tuple[int, int, float, int]:
    """(events of the recent window, events of one older window, window length in seconds): the
    span is cut into windows; Python generates the most recent one (where the open cases are) and
    one older one, which the database copies, shifted back one window at a time, K − 2 times."""
    windows = max(2, min(100, size // 20_000))
    per = size // windows
    return size - (windows - 1) * per, per, years * 365.25 * DAY / windows, windows


def _copy_sql(vendor: str, table: str, cols: list[str], ranges: dict, copies: int, window: float) -> str:
    own, case_ref, times, dates = COPY_SPEC[table]
    seconds = f"(j.j * {window:.3f})"
    if vendor == "sqlite":
        shift = lambda col: f"strftime('%Y-%m-%d %H:%M:%f', t.{col}, '-' || {seconds} || ' seconds')"  # noqa: E731
        day = lambda col: f"date(t.{col}, '-' || {seconds} || ' seconds')"  # noqa: E731
        number = (
            f"strftime('%Y', t.opened_at, '-' || {seconds} || ' seconds') || substr(t.number, 5, 9) || "
            f"printf('%09d', t.id + j.j * {ranges['case'][2]})"
        )
        series = (
            "(WITH RECURSIVE s(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM s "  # noqa: S608
            f"WHERE j < {copies}) SELECT j FROM s) j"
        )
    else:
        shift = lambda col: f"t.{col} - make_interval(secs => {seconds})"  # noqa: E731
        day = lambda col: f"((t.{col} - make_interval(secs => {seconds})) AT TIME ZONE 'UTC')::date"  # noqa: E731
        number = (
            f"to_char((t.opened_at - make_interval(secs => {seconds})) AT TIME ZONE 'UTC', 'YYYY') || "
            f"substr(t.number, 5, 9) || lpad((t.id + j.j * {ranges['case'][2]})::text, 9, '0')"
        )
        series = f"generate_series(1, {copies}) AS j(j)"
    key = {"cases_case": "case", "events_eventdetails": "case", "cases_assignment": "assign"}.get(table)
    key = key or {"cases_casedeadline": "deadline", "cases_timelineentry": "timeline"}[table]
    exprs = []
    for col in cols:
        if col == own:
            exprs.append(f"t.{col} + j.j * {ranges[key][2]}")
        elif col == case_ref:
            exprs.append(f"t.{col} + j.j * {ranges['case'][2]}")
        elif col in times:
            exprs.append(shift(col))
        elif col in dates:
            exprs.append(day(dates[col]))
        elif table == "cases_case" and col == "number":
            exprs.append(number)
        else:
            exprs.append(f"t.{col}")
    first, last, _step = ranges["case" if own is None else key]
    filter_col = own or case_ref
    return (
        f"INSERT INTO {table} ({','.join(cols)}) SELECT {','.join(exprs)} FROM {table} t, {series} "  # noqa: S608
        f"WHERE t.{filter_col} >= {first} AND t.{filter_col} < {last}"
    )


def _ranges(before: dict, after: dict) -> dict:
    pairs = {
        "case": "cases_case",
        "assign": "cases_assignment",
        "deadline": "cases_casedeadline",
        "timeline": "cases_timelineentry",
    }
    return {k: (before[t], after[t], after[t] - before[t]) for k, t in pairs.items()}


def _fill(vendor, cur, write, city, size, seed, now, years, log, started) -> dict:
    """Generate the two windows in Python (written by `write`), then copy the older one in SQL."""
    recent, per, window, windows = plan(size, years)
    fmt = SqliteFmt() if vendor == "sqlite" else PgFmt()
    counts = dict.fromkeys(TABLES, 0)
    ids = _next_ids(cur)
    for rows in generate(city, recent, seed, now, (0.0, window), ids, 25_000, fmt):
        write(rows, counts)
    log(f"  {vendor}: recent window {recent:,} events, {time.perf_counter() - started:.0f} s")
    before = _next_ids(cur)
    for rows in generate(city, per, seed + 1, now, (window, 2 * window), before, 25_000, fmt):
        write(rows, counts)
    after = _next_ids(cur)
    log(f"  {vendor}: one older window {per:,} events, {time.perf_counter() - started:.0f} s")
    copies = windows - 2
    if copies:
        ranges = _ranges(before, after)
        for table, cols in COLUMNS.values():
            cur.execute(_copy_sql(vendor, table, cols, ranges, copies, window))
            counts[table] += cur.rowcount
            log(f"  {vendor}: copied {table} × {copies}, {time.perf_counter() - started:.0f} s")
    return counts


def load_sqlite(path: str, size: int, seed: int, now: float, years: float, log=print) -> dict:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    cur = conn.cursor()
    cur.execute("PRAGMA journal_mode = OFF")
    cur.execute("PRAGMA synchronous = OFF")
    cur.execute("PRAGMA cache_size = -400000")
    city = load_city(cur, "?")
    indexes = _sqlite_indexes(cur)
    started = time.perf_counter()
    cur.execute("BEGIN")
    for name, _sql in indexes:
        cur.execute(f'DROP INDEX "{name}"')

    def write(rows, counts):
        for attr, (table, cols) in COLUMNS.items():
            data = getattr(rows, attr)
            sql = f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})"  # noqa: S608
            cur.executemany(sql, data)
            counts[table] += len(data)

    counts = _fill("sqlite", cur, write, city, size, seed, now, years, log, started)
    loaded = time.perf_counter() - started
    for _name, sql in indexes:
        cur.execute(sql)
    log(f"  sqlite: indexes, {time.perf_counter() - started:.0f} s")
    cur.execute("COMMIT")
    cur.execute("ANALYZE")
    cur.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return {"rows": counts, "load_s": round(loaded, 1), "total_s": round(time.perf_counter() - started, 1)}


def load_postgres(dsn: str, size: int, seed: int, now: float, years: float, log=print) -> dict:
    import psycopg

    conn = psycopg.connect(dsn, autocommit=False)
    cur = conn.cursor()
    cur.execute("SET TIME ZONE 'UTC'")
    city = load_city(cur, "%s")
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
        [list(TABLES)],
    )
    fkeys = cur.fetchall()
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(TABLES)],
    )
    indexes = cur.fetchall()
    started = time.perf_counter()
    for table, name, _definition in fkeys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')

    def write(rows, counts):
        for attr, (table, cols) in COLUMNS.items():
            data = getattr(rows, attr)
            with cur.copy(f"COPY {table} ({','.join(cols)}) FROM STDIN") as copy:
                buf = io.StringIO()
                for row in data:
                    buf.write("\t".join(_pg_text(v) for v in row))
                    buf.write("\n")
                copy.write(buf.getvalue())
            counts[table] += len(data)

    counts = _fill("postgresql", cur, write, city, size, seed, now, years, log, started)
    loaded = time.perf_counter() - started
    cur.execute("SET maintenance_work_mem = '512MB'")
    for _name, definition in indexes:
        cur.execute(definition)
    for table, name, definition in fkeys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for table in ("cases_case", "cases_assignment", "cases_casedeadline", "cases_timelineentry"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608
    conn.commit()
    log(f"  postgresql: indexes and keys, {time.perf_counter() - started:.0f} s")
    conn.autocommit = True
    for table in TABLES:
        cur.execute(f"VACUUM ANALYZE {table}")
    conn.close()
    return {"rows": counts, "load_s": round(loaded, 1), "total_s": round(time.perf_counter() - started, 1)}


def _pg_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        return value
    return str(value)
