# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""import_events: mapping, all or nothing, --skip-bad-rows, rejected-rows report."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from civicgrid.cases.models import Case
from civicgrid.events.tests.test_event_workflow import counts, events_world, media  # noqa: F401

pytestmark = pytest.mark.django_db

ROWS = [
    ["工单号", "标题", "内容", "分类", "经度", "纬度", "来电人", "电话", "受理时间", "夜间"],
    [
        "H1",
        "工地夜间施工扰民",
        "凌晨还在施工",
        "0301",
        "120.01",
        "30.02",
        "张三",
        "13912345678",
        "2026-03-02 10:00",
        "是",
    ],
    ["H2", "路灯不亮", "", "9999", "120.01", "30.02", "李四", "", "2026-03-03 10:00", ""],
    ["H3", "北山村施工噪音", "", "0301", "120.21", "30.02", "", "", "2026-03-04T09:00:00+08:00", "否"],
]
MAPPING = {
    "idempotency_key": "工单号",
    "title": "标题",
    "description": "内容",
    "category": "分类",
    "lon": "经度",
    "lat": "纬度",
    "reporter_name": "来电人",
    "reporter_phone": "电话",
    "opened_at": "受理时间",
    "answers.night_work": "夜间",
    "defaults": {"channel": "hotline_12345"},
}


@pytest.fixture
def files(tmp_path):
    source = tmp_path / "history.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    return source, mapping, tmp_path / "rejected.csv"


def test_one_bad_row_imports_nothing(events_world, files):
    source, mapping, report = files
    before = counts()
    with pytest.raises(CommandError) as exc:
        call_command("import_events", str(source), mapping=str(mapping), report=str(report))
    assert "未导入任何数据" in str(exc.value)
    assert counts() == before
    rejected = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert rejected[1:] == [["3", "category", rejected[1][2]]]
    assert "9999" in rejected[1][2]


def test_skip_bad_rows_imports_the_rest(events_world, files):
    source, mapping, report = files
    call_command("import_events", str(source), mapping=str(mapping), report=str(report), skip_bad_rows=True)
    numbers = sorted(Case.objects.values_list("number", "event__idempotency_key"))
    assert numbers == [("2026-338001-000001", "H1"), ("2026-338002-000001", "H3")]
    h1 = Case.objects.get(event__idempotency_key="H1")
    assert h1.opened_at.isoformat() == "2026-03-02T02:00:00+00:00"
    assert (h1.event.channel, h1.created_by, h1.event.answers) == (
        "hotline_12345",
        None,
        {"night_work": True},
    )
    # Running it again finds the same keys and imports nothing new.
    call_command("import_events", str(source), mapping=str(mapping), report=str(report), skip_bad_rows=True)
    assert Case.objects.count() == 2


def test_mapping_names_a_missing_column(events_world, files, tmp_path):
    source, _mapping, _report = files
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "主题"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_events", str(source), mapping=str(bad))
    assert "主题" in str(exc.value)
