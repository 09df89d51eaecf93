"""Bulk import of (historical) events at scale: the intake pipeline of `intake.report_event` —
parse, validate, locate, classify, dedupe, route, deadlines, timeline, audit — run a batch at a
time and written through the database cursor (executemany on SQLite, COPY on PostgreSQL), in
bounded memory. Each event gets the rows the interactive path would write for it (docs/bulk-import.md).

    report = import_file(ImportFile(path, mapping, defaults), skip_bad_rows=False)

All or nothing (the default) checks every row first and writes nothing when one is bad; the write
pass then commits one transaction per batch. With `skip_bad_rows` the good rows are written in the
same single pass. A row whose idempotency key was imported before is not imported again (intake
returns the original for a repeated submission), so an interrupted import can be run again.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import operator
import os
import pickle
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction
from django.dispatch import Signal

from civicgrid.core.errors import ServiceError

from ..classify import Suggestion
from . import store
from .batch import (
    DuplicateFinder,
    Tables,
    classify_and_route,
    is_open_after,
    locate_rows,
    repeated_keys,
)
from .checks import REPORTED, Reference, Row, check_row, local_year, now
from .source import FIELDS, ImportFile, SourceError, check_mapping, read_mapping

__all__ = [
    "FIELDS",
    "ImportFile",
    "ImportReport",
    "SourceError",
    "cases_written",
    "check_mapping",
    "import_file",
    "read_mapping",
]

DEFAULT_BATCH = 5000
# Sent in each batch's transaction after its rows are written, with `case_ids` and `opened` (the
# opening moments of the cases): the import writes through the cursor, so the model signals that
# keep derived data (e.g. the assessment rollups' dirty days) do not fire; their owners connect here.
cases_written = Signal()
# A file at least this large is checked by worker processes (`workers=None`): below it, forking
# costs more than it saves.
PARALLEL_BYTES = 4 * 1024 * 1024
MAX_WORKERS = 2


@dataclass
class ImportReport:
    """What an import did: events imported, rejected rows (line, field, message, code), rows not
    imported again because their idempotency key was (line, original number), rows per table."""

    imported: int = 0
    rejected: list[tuple[int, str, str, str]] = field(default_factory=list)
    repeated: list[tuple[int, str]] = field(default_factory=list)
    rows_written: Counter = field(default_factory=Counter)
    batches: int = 0
    seconds: float = 0.0
    run: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows_written.values())


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _checked(chunk, ref: Reference, moment, errors: list) -> list:
    rows = []
    for line, values in chunk:
        try:
            rows.append(check_row(line, values, ref, moment))
        except ServiceError as exc:
            errors.append((line, exc.field or "", str(exc.message), exc.code))
    rows = locate_rows(rows, ref, errors)
    return classify_and_route(rows, ref, errors)


def _check_chunk(chunk: list, source: ImportFile, ref: Reference, moment) -> tuple[bytes, list]:
    """One batch of raw rows checked — parse, validate, locate, classify, route, clocks — as
    (pickled (last line, spooled rows), [(line, field, message, code)]). Reads nothing from the
    database (`Reference` holds what it needs), so it runs as well in a worker process."""
    errors: list = []
    rows = _checked([(line, source.values(cells)) for line, cells in chunk], ref, moment, errors)
    rows = _check_clocks(rows, ref, errors)
    for row in rows:
        if row.category is None:  # intake's suggestions for an event reported without category
            row.suggestions = ref.classifier.suggest(row.title, row.description)
    return pickle.dumps((chunk[-1][0], _spooled(rows)), protocol=pickle.HIGHEST_PROTOCOL), errors


# What the checking workers use, set before they are forked (and inherited, never pickled).
_WORKER: tuple | None = None


def _check_in_worker(chunk: list) -> tuple[bytes, list]:
    source, ref, moment = _WORKER
    return _check_chunk(chunk, source, ref, moment)


def worker_count(source: ImportFile, requested: int | None) -> int:
    """Checking processes: `requested`, or two when the machine has two cores and the file is large."""
    if requested is not None:
        return max(0, requested)
    if (os.cpu_count() or 1) < 2 or source.path.stat().st_size < PARALLEL_BYTES:
        return 0
    return MAX_WORKERS


def _checked_batches(source: ImportFile, ref: Reference, moment, size: int, workers: int):
    """The file's batches checked, in file order: in this process, or by `workers` forked processes
    with at most two batches each in flight (memory stays bounded; a worker's exception is raised
    here, and the pool is ended when the caller stops early)."""
    global _WORKER
    chunks = _chunks(source.raw_rows(), size)
    if workers < 1:
        for chunk in chunks:
            yield _check_chunk(chunk, source, ref, moment)
        return
    _WORKER = (source, ref, moment)
    try:
        # fork: the workers inherit the reference data; they never touch the database connection.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque = deque()
            for chunk in chunks:
                pending.append(pool.apply_async(_check_in_worker, (chunk,)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _WORKER = None


def _check_clocks(rows, ref: Reference, errors: list) -> list:
    kept = []
    for row in rows:
        try:
            if row.status != REPORTED:
                response, handling = ref.limits[row.category.id]
                ref.due(response, row.dispatched_at)
                ref.due(handling, row.dispatched_at)
                ref.due(ref.objection, row.dispatched_at)
            kept.append(row)
        except ServiceError as exc:
            errors.append((row.line, exc.field or "", str(exc.message), exc.code))
    return kept


_ROW_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Row)))


def _spooled(rows: list) -> list[tuple]:
    """Rows made fit for the spool: plain tuples (a dataclass pickles field by field in Python),
    categories as ids (the taxonomy is not pickled per row)."""
    for row in rows:
        row.category = None if row.category is None else row.category.id
        row.suggestions = [(s.category.id, s.score, s.hits) for s in row.suggestions]
    return [_ROW_FIELDS(row) for row in rows]


def _unspooled(spooled: list[tuple], ref: Reference) -> list:
    categories = ref.classifier.categories
    rows = [Row(*values) for values in spooled]
    for row in rows:
        row.category = None if row.category is None else categories[row.category]
        row.suggestions = [Suggestion(categories[pk], score, hits) for pk, score, hits in row.suggestions]
    return rows


def _write_batch(rows, ref: Reference, report: ImportReport, source: str, number: int) -> None:
    ts, day = store.adapters()
    with transaction.atomic():
        rows, repeated = repeated_keys(rows, set())
        report.repeated.extend(repeated)
        if not rows:
            return
        ranges = store.number_rows(rows, local_year)
        finder = DuplicateFinder(rows)
        tables = Tables(ts, day, ref)
        for row in rows:
            tables.add(row, finder.find(row))
            if is_open_after(row):
                finder.add(row)
        counts = store.write(tables)
        store.audit_batch(report.run, number, source, (rows[0].line, rows[-1].line), rows, ranges, counts)
        cases_written.send(
            sender=ImportReport,
            case_ids=[row.case_id for row in rows],
            opened=[row.opened_at for row in rows],
        )
    report.imported += len(rows)
    report.rows_written.update(counts)
    report.batches += 1


def import_file(
    source: ImportFile,
    *,
    skip_bad_rows: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int, ImportReport], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import every row of `source` (see the module docstring). Returns the report; with
    all-or-nothing and a bad row, `imported` is 0 and nothing was written. `workers`: processes
    that check the rows (0: this process; None: two for a large file on a machine with two cores)."""
    started = time.perf_counter()
    report = ImportReport(run=uuid.uuid4().hex[:12])
    ref = Reference()
    moment = now()
    ref.use_fields(set(source.mapping) | set(source.defaults))
    checked = _checked_batches(source, ref, moment, batch_size, worker_count(source, workers))
    with tempfile.TemporaryFile(prefix="civicgrid-import-") as spool:

        def batches() -> Iterator[tuple[int, list]]:
            """Checked rows a batch at a time: straight from the checking with --skip-bad-rows
            (the workers check ahead while this process writes), else from the spool the checking
            pass wrote (the rows are parsed once)."""
            if skip_bad_rows:
                for payload, errors in checked:
                    report.rejected.extend(errors)
                    last_line, rows = pickle.loads(payload)  # noqa: S301 - our own workers
                    yield last_line, _unspooled(rows, ref)
                return
            spool.seek(0)
            while True:
                try:
                    last_line, rows = pickle.load(spool)  # noqa: S301 - our own temporary file
                except EOFError:
                    return
                yield last_line, _unspooled(rows, ref)

        if not skip_bad_rows:
            # Check every row before writing any: one bad row and nothing is written.
            for payload, errors in checked:
                report.rejected.extend(errors)
                spool.write(payload)
            if report.rejected:
                report.rejected.sort()
                report.seconds = time.perf_counter() - started
                return report
        try:
            for number, (last_line, rows) in enumerate(batches(), start=1):
                if rows:
                    _write_batch(rows, ref, report, source.path.name, number)
                if progress is not None:
                    progress(last_line, report)
        finally:
            checked.close()  # ends the workers if a write failed
    report.rejected.sort()
    report.seconds = time.perf_counter() - started
    return report
