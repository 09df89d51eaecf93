"""Writing a batch through the database cursor: case ids and number serials reserved first, then
every table in one statement per table — executemany on SQLite, COPY (psycopg 3 `cursor.copy`) on
PostgreSQL — and one audit row for the batch (`audit.services.record_bulk_change`).

The caller holds the batch's transaction. Serials are reserved under the row lock of
`cases.CaseNumberSequence` (`cases.services.reserve_serials`, which intake draws from too), so numbers stay unique with
interactive intake running at the same time; case ids come from the table's sequence on
PostgreSQL and from max(id) under SQLite's write lock.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import connection

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_bulk_change
from civicgrid.cases import models as case_models
from civicgrid.cases.models import Assignment, Case, CaseDeadline, TimelineEntry
from civicgrid.cases.services import reserve_serials

from ..models import EventDetails
from ..numbering import SERIAL_WIDTH

KIND = "event"
# Column order of the tuples `batch.Tables` builds; a test checks these against the models.
COLUMNS = {
    "case": (Case, [f.column for f in Case._meta.concrete_fields]),
    "details": (EventDetails, [f.column for f in EventDetails._meta.concrete_fields]),
    "deadline": (CaseDeadline, [f.column for f in CaseDeadline._meta.concrete_fields if f.column != "id"]),
    "assignment": (Assignment, [f.column for f in Assignment._meta.concrete_fields if f.column != "id"]),
    "timeline": (TimelineEntry, [f.column for f in TimelineEntry._meta.concrete_fields if f.column != "id"]),
}
ORDER = ("case", "details", "deadline", "assignment", "case_unit", "timeline")
# The kernel's derived table of the units that see an open case through an assignment (one row per
# unit with a visible assignment, as `cases.services.sync_case_units` keeps it): written for the
# imported open cases that have assignments. Looked up by name so that the import also runs on a
# schema without it.
CaseUnit = getattr(case_models, "CaseUnit", None)
if CaseUnit is not None:
    COLUMNS["case_unit"] = (CaseUnit, [f.column for f in CaseUnit._meta.concrete_fields if f.column != "id"])


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def adapters():
    """(datetime adapter, date adapter) for the current database: Django's own storage format."""
    if is_postgresql():
        return (lambda value: value), (lambda value: value)

    utc = dt.UTC

    def ts(value: dt.datetime) -> str:
        # str() of the naive UTC time, as Django's SQLite adapter writes it ("+00:00" cut off).
        if value.tzinfo is not utc:
            value = value.astimezone(utc)
        return value.isoformat(" ")[:-6]

    return ts, str


def reserve_ids(count: int) -> list[int]:
    """`count` fresh ids for cases_case."""
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')  # noqa: S608 - our own table name
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        first = max(top, found[0] if found else 0) + 1
    return list(range(first, first + count))


def number_rows(rows, year_of) -> dict[str, list[int]]:
    """Give each row its id and readable number; returns {prefix: [first, last]} for the audit."""
    ids = reserve_ids(len(rows))
    by_prefix = defaultdict(list)
    for row, pk in zip(rows, ids, strict=True):
        row.case_id = pk
        by_prefix[f"{year_of(row.opened_at)}-{row.area.code[:6]}-"].append(row)
    ranges = {}
    for prefix in sorted(by_prefix):
        members = by_prefix[prefix]
        first = reserve_serials(KIND, prefix, len(members))
        for offset, row in enumerate(members):
            row.number = f"{prefix}{first + offset:0{SERIAL_WIDTH}d}"
        ranges[prefix] = [first, first + len(members) - 1]
    return ranges


def write(tables) -> dict[str, int]:
    """Insert every table's rows of the batch; returns rows written per table."""
    counts = {}
    postgres = is_postgresql()
    for name in ORDER:
        rows = getattr(tables, name)
        if not rows or name not in COLUMNS:
            continue
        model, columns = COLUMNS[name]
        table = model._meta.db_table
        names = ", ".join(f'"{c}"' for c in columns)
        if postgres:
            raw = connection.connection.cursor()
            with raw.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            with connection.cursor() as cursor:
                cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608
        counts[table] = len(rows)
    return counts


def audit_batch(run: str, batch_no: int, source: str, lines, rows, ranges, counts) -> None:
    """One hash-chained audit row for the batch: what was written, not each row's content (the
    rows themselves are the record; the audit names them by id and number range)."""
    statuses = Counter(row.status for row in rows)
    record_bulk_change(
        actor=None,
        action=ChangeAction.CREATE,
        model=Case,
        batch_id=f"import:{run}#{batch_no}",
        description=f"{source} {lines[0]}-{lines[1]}",
        before=None,
        after={
            "import": run,
            "batch": batch_no,
            "source": source,
            "lines": list(lines),
            "case_ids": [min(r.case_id for r in rows), max(r.case_id for r in rows)],
            "numbers": ranges,
            "statuses": dict(sorted(statuses.items())),
            "rows": counts,
        },
    )
