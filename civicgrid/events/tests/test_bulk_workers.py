# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow and test_bulk)
"""The bulk import's checking worker processes (`import_file(..., workers=N)`): the same rows as
one process, a bad row found by a worker still imports nothing, a worker that fails ends the import
with nothing half-written, and the pool is gone afterwards."""

from __future__ import annotations

import io
import json
import multiprocessing
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

import civicgrid.events.bulk as bulk
from civicgrid.cases.models import Case, CaseNumberSequence, TimelineEntry
from civicgrid.events.bulk import worker_count
from civicgrid.events.bulk.store import CaseUnit
from civicgrid.events.models import EventDetails
from civicgrid.events.tests.test_bulk import (  # noqa: F401
    BASE_MAPPING,
    STATE_MAPPING,
    bulk_world,
    row,
    run,
    table_state,
    write_csv,
)
from civicgrid.events.tests.test_event_workflow import counts, events_world, media  # noqa: F401
from tests.world import NAMES

pytestmark = pytest.mark.django_db

CLOSED = {
    "status": "已结案",
    "dispatched_at": "2026-03-02 11:00",
    "accepted_at": "2026-03-02 12:00",
    "handled_at": "2026-03-03 09:00",
    "result": "已处置",
    "closed_at": "2026-03-03 10:00",
}
DONE = {**CLOSED, "status": "已回访", "satisfaction": "满意", "callback_at": "2026-03-04 10:00"}


def mixed_rows() -> list[list]:
    """Every kind of row: reported (with a duplicate), suggested only, transferred, by area code,
    dispatched, closed, called back, a repeated key."""
    return [
        row("W1", "工地夜间施工扰民"),
        row("W2", "又有工地夜间施工", point=(120.0102, 30.0201), night="否"),
        row("W3", "小区里有死猫", category="", night=""),
        row("W4", "村里有人乱搭建", category="", point=None, area=NAMES.village_a1a, night=""),
        row("W5", "施工噪音很大", night="否", status="dispatched", dispatched_at="2026-03-02 11:00"),
        row("W6", "夜间施工", night="否", **CLOSED),
        row("W7", "夜里施工", night="否", **DONE),
        row("W1", "工地夜间施工扰民"),  # the key again: not imported twice
        row("W8", "工地又在夜间施工", opened="2026-03-02 10:30"),
    ]


def test_workers_write_what_one_process_writes(bulk_world, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "mixed.csv", mixed_rows())
    with transaction.atomic():
        one = run(source, batch_size=2, workers=0)
        expected = table_state()
        transaction.set_rollback(True)
    assert Case.objects.count() == 0
    real, parent = bulk._check_chunk, os.getpid()

    def in_a_worker(chunk, *args):
        assert os.getpid() != parent, "checked in the importing process"
        return real(chunk, *args)

    monkeypatch.setattr(bulk, "_check_chunk", in_a_worker)
    many = run(source, batch_size=2, workers=2)
    assert (many.imported, many.rejected, many.repeated) == (one.imported, [], one.repeated)
    assert many.imported == 8 and [line for line, _number in many.repeated] == [9]
    assert many.rows_written == one.rows_written
    assert table_state() == expected
    assert multiprocessing.active_children() == []
    if CaseUnit is not None:  # only the open case with assignments (W5, dispatched) has visibility rows
        keys = {d.case_id: d.idempotency_key for d in EventDetails.objects.all()}
        assert sorted({keys[c] for c in CaseUnit.objects.values_list("case_id", flat=True)}) == ["W5"]


def test_a_bad_row_found_by_a_worker_imports_nothing(bulk_world, tmp_path):
    lines = mixed_rows()
    lines.insert(6, row("B1", "路灯不亮", category="9999"))  # line 8, in the fourth batch
    lines.append(row("B2", "远处施工", point=(121.9, 31.9)))  # outside the jurisdiction
    source = write_csv(tmp_path / "bad.csv", lines)
    before = counts()
    report = run(source, batch_size=2, workers=2)
    assert report.imported == 0
    assert [(line, name) for line, name, _message, _code in report.rejected] == [
        (8, "category"),
        (12, "coordinates"),
    ]
    assert counts() == before and CaseNumberSequence.objects.count() == 0
    skipped = run(source, skip=True, batch_size=2, workers=2)
    assert skipped.imported == 8 and len(skipped.rejected) == 2
    assert EventDetails.objects.count() == 8
    assert multiprocessing.active_children() == []


def test_a_worker_that_fails_ends_the_import_with_nothing_half_written(bulk_world, tmp_path, monkeypatch):
    real = bulk._check_chunk

    def failing(chunk, *args):
        if any(line == 6 for line, _cells in chunk):
            raise RuntimeError("worker failed")
        return real(chunk, *args)

    monkeypatch.setattr(bulk, "_check_chunk", failing)  # inherited by the forked workers
    source = write_csv(tmp_path / "fails.csv", mixed_rows())
    before = counts()
    with pytest.raises(RuntimeError, match="worker failed"):
        run(source, batch_size=2, workers=2)
    assert counts() == before  # all or nothing: the failure came before any write
    with pytest.raises(RuntimeError, match="worker failed"):
        run(source, skip=True, batch_size=2, workers=2)
    # --skip-bad-rows commits batch by batch: the two batches before the failure, each whole.
    assert sorted(EventDetails.objects.values_list("idempotency_key", flat=True)) == ["W1", "W2", "W3", "W4"]
    opened = TimelineEntry.objects.filter(action="", kind="opened").count()
    assert opened == Case.objects.count() == 4
    assert multiprocessing.active_children() == []


def test_workers_only_for_a_large_file(bulk_world, tmp_path, monkeypatch):
    source = write_csv(tmp_path / "small.csv", mixed_rows())
    from civicgrid.events.bulk import ImportFile

    small = ImportFile(source, {"title": "标题"})
    assert worker_count(small, None) == 0
    assert worker_count(small, 3) == 3 and worker_count(small, -1) == 0
    monkeypatch.setattr(bulk, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 2)
    assert worker_count(small, None) == 2
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 1)
    assert worker_count(small, None) == 0
    monkeypatch.setattr(bulk.os, "cpu_count", lambda: 2)
    report = run(source, batch_size=3)  # the automatic choice, through the pool
    assert report.imported == 8
    assert multiprocessing.active_children() == []


def test_the_command_takes_the_number_of_workers(bulk_world, tmp_path):
    source = write_csv(tmp_path / "command.csv", mixed_rows())
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**BASE_MAPPING, **STATE_MAPPING}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="--workers"):
        call_command("import_events", str(source), mapping=str(mapping), workers=-1)
    assert Case.objects.count() == 0
    out = io.StringIO()
    call_command("import_events", str(source), mapping=str(mapping), workers=2, batch_size=2, stdout=out)
    assert "导入 8 条" in out.getvalue()
    assert EventDetails.objects.count() == 8
    assert multiprocessing.active_children() == []


def test_each_batch_announces_its_cases_in_its_transaction(bulk_world, tmp_path):
    """`cases_written`: what the owners of derived data (assessment rollups) connect to."""
    from civicgrid.events.bulk import cases_written

    seen = []

    def receiver(sender, case_ids, opened, **kwargs):
        assert transaction.get_connection().in_atomic_block
        seen.append(
            (sorted(Case.objects.filter(pk__in=case_ids).values_list("opened_at", flat=True)), opened)
        )

    cases_written.connect(receiver)
    try:
        report = run(write_csv(tmp_path / "signal.csv", mixed_rows()), batch_size=4)
    finally:
        cases_written.disconnect(receiver)
    assert report.imported == 8 and len(seen) == 3
    assert sum(len(opened) for _stored, opened in seen) == 8
    for stored, opened in seen:
        assert stored == sorted(opened)
