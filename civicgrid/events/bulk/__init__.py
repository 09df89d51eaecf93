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
import operator
import pickle
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction

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
    "check_mapping",
    "import_file",
    "read_mapping",
]

DEFAULT_BATCH = 5000


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


def _check_clocks(rows, ref: Reference, errors: list) -> list:
    kept = []
    for row in rows:
        try:
            if row.status != REPORTED:
                response, handling = ref.limits[row.category.pk]
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
        row.category = None if row.category is None else row.category.pk
        row.suggestions = [(s.category.pk, s.score, s.hits) for s in row.suggestions]
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
        for row in rows:
            if row.category is None:
                row.suggestions = ref.classifier.suggest(row.title, row.description)
        finder = DuplicateFinder(rows)
        tables = Tables(ts, day, ref)
        for row in rows:
            tables.add(row, finder.find(row))
            if is_open_after(row):
                finder.add(row)
        counts = store.write(tables)
        store.audit_batch(report.run, number, source, (rows[0].line, rows[-1].line), rows, ranges, counts)
    report.imported += len(rows)
    report.rows_written.update(counts)
    report.batches += 1


def import_file(
    source: ImportFile,
    *,
    skip_bad_rows: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int, ImportReport], None] | None = None,
) -> ImportReport:
    """Import every row of `source` (see the module docstring). Returns the report; with
    all-or-nothing and a bad row, `imported` is 0 and nothing was written."""
    started = time.perf_counter()
    report = ImportReport(run=uuid.uuid4().hex[:12])
    ref = Reference()
    moment = now()
    ref.use_fields(set(source.mapping) | set(source.defaults))
    with tempfile.TemporaryFile(prefix="civicgrid-import-") as spool:

        def batches() -> Iterator[tuple[int, list]]:
            """Checked rows a batch at a time: straight from the file with --skip-bad-rows, else
            from the spool the checking pass wrote (the rows are parsed once)."""
            if skip_bad_rows:
                for chunk in _chunks(source.rows(), batch_size):
                    yield (
                        chunk[-1][0],
                        _check_clocks(_checked(chunk, ref, moment, report.rejected), ref, report.rejected),
                    )
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
            for chunk in _chunks(source.rows(), batch_size):
                rows = _check_clocks(_checked(chunk, ref, moment, report.rejected), ref, report.rejected)
                pickle.dump((chunk[-1][0], _spooled(rows)), spool, protocol=pickle.HIGHEST_PROTOCOL)
            if report.rejected:
                report.seconds = time.perf_counter() - started
                return report
        for number, (last_line, rows) in enumerate(batches(), start=1):
            if rows:
                _write_batch(rows, ref, report, source.path.name, number)
            if progress is not None:
                progress(last_line, report)
    report.rejected.sort()
    report.seconds = time.perf_counter() - started
    return report
