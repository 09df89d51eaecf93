# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""The bulk import path (civicgrid.events.bulk): the same rows as the interactive path, final states,
all or nothing, skip-bad-rows, XLSX, GBK, duplicates, numbering beside interactive intake, audit."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from civicgrid.audit.models import ObjectChange
from civicgrid.audit.verification import verify_chain
from civicgrid.cases.models import Assignment, Case, CaseDeadline, CaseNumberSequence, TimelineEntry
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.events.bulk import ImportFile, check_mapping, import_file
from civicgrid.events.bulk.checks import FastClassifier
from civicgrid.events.bulk.store import CaseUnit
from civicgrid.events.classify import Classifier
from civicgrid.events.intake import report_event
from civicgrid.events.models import Category, EventDetails
from civicgrid.events.services import do_event_action
from civicgrid.events.taxonomy_services import do_create_dispatch_rule
from civicgrid.events.tests.test_event_workflow import counts, events_world, media  # noqa: F401
from tests.world import NAMES

pytestmark = pytest.mark.django_db

IN_GRID = (120.01, 30.02)  # 东湖社区第1网格, 江东区 338001
OTHER_COUNTY = (120.21, 30.02)  # 338002
HEADER = [
    "单号",
    "标题",
    "内容",
    "分类",
    "经度",
    "纬度",
    "区划",
    "来电人",
    "电话",
    "受理时间",
    "夜间",
    "伤亡",
]
BASE_MAPPING = {
    "idempotency_key": "单号",
    "title": "标题",
    "description": "内容",
    "category": "分类",
    "lon": "经度",
    "lat": "纬度",
    "area_code": "区划",
    "reporter_name": "来电人",
    "reporter_phone": "电话",
    "opened_at": "受理时间",
    "answers.night_work": "夜间",
    "answers.casualties": "伤亡",
    "defaults": {"channel": "hotline_12345"},
}
STATE = ["状态", "派遣时间", "签收时间", "办结时间", "处置结果", "结案时间", "满意度", "回访时间", "主办"]
STATE_MAPPING = dict(
    zip(
        [
            "status",
            "dispatched_at",
            "accepted_at",
            "handled_at",
            "result",
            "closed_at",
            "satisfaction",
            "callback_at",
            "lead_unit",
        ],
        STATE,
        strict=True,
    )
)


def row(key, title, category="0301", point=IN_GRID, area="", opened="2026-03-02 10:00", night="是", **state):
    lon, lat = point if point else ("", "")
    base = [key, title, "", category, lon, lat, area, "张三", "13912345678", opened, night, ""]
    return base + [state.get(k, "") for k in STATE_MAPPING]


@pytest.fixture
def bulk_world(events_world):
    """events_world plus a rule for 施工管理 (03) in 江东区 → 城管局 with 东湖街道办 co-handling."""
    do_create_dispatch_rule(
        actor=None,
        category=Category.objects.get(code="03"),
        area=events_world.area(NAMES.county_a),
        lead_unit=events_world.units["chengguan"],
        co_handlers=[events_world.units["donghu_office"]],
    )
    return events_world


def write_csv(path, rows, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([HEADER + STATE, *rows])
    return path


def run(path, skip=False, batch_size=5000, encoding="auto", **kw):
    mapping, defaults = check_mapping({**BASE_MAPPING, **STATE_MAPPING})
    return import_file(
        ImportFile(path, mapping, defaults, encoding=encoding),
        skip_bad_rows=skip,
        batch_size=batch_size,
        **kw,
    )


# --- the same rows as the interactive path ---------------------------------------------------------

INTERACTIVE_ROWS = [
    # (title, category, point, area code, opened, night, casualties, status)
    ("工地夜间施工扰民", "0301", IN_GRID, "", "2026-03-02 10:00", "是", "", ""),
    ("又有工地夜间施工", "0301", (120.0102, 30.0201), "", "2026-03-02 11:00", "否", "", ""),  # a duplicate
    ("小区里有死猫", "", IN_GRID, "", "2026-03-02 12:00", "", "", ""),  # classifier suggests only
    ("路口交通事故", "0406", OTHER_COUNTY, "", "2026-03-02 13:00", "", "否", ""),  # transferred to 122
    ("村里有人乱搭建", "", "", NAMES.village_a1a, "2026-03-02 14:00", "", "", ""),  # by area code
    ("施工噪音很大", "0301", (120.0101, 30.0199), "", "2026-03-03 09:00", "否", "", "dispatched"),
]


def table_state() -> list[dict]:
    """Every row the intake wrote, keyed by case number, without ids and times."""
    numbers = dict(Case.objects.values_list("pk", "number"))
    out = []
    skip = {"id", "time", "opened_at", "closed_at", "due_at", "warn_at", "started_at", "start_day"}
    skip |= {"due_date", "assigned_at", "accepted_at", "finished_at", "stopped_at"}
    for case in Case.objects.order_by("number"):
        entry = {k: v for k, v in case.__dict__.items() if not k.startswith("_") and k not in skip}
        details = EventDetails.objects.get(case=case)
        entry["details"] = {
            k: v for k, v in details.__dict__.items() if not k.startswith("_") and k not in ("case_id",)
        }
        entry["details"]["possible_duplicates"] = [numbers[p] for p in details.possible_duplicates]
        entry["timeline"] = [
            (t.kind, t.action, t.actor_id, t.from_status, t.to_status, t.note, t.data)
            for t in TimelineEntry.objects.filter(case=case).order_by("id")
        ]
        entry["deadlines"] = sorted(
            (d.name, d.amount, d.unit, d.state, d.provisional, d.due_at - d.started_at)
            for d in CaseDeadline.objects.filter(case=case)
        )
        entry["assignments"] = sorted(
            (a.unit_id, a.role, a.status, a.designated) for a in Assignment.objects.filter(case=case)
        )
        if CaseUnit is not None:  # the kernel's visibility rows, where the schema has them
            entry["case_units"] = sorted(CaseUnit.objects.filter(case=case).values_list("unit_id", flat=True))
        out.append(entry)
    return out


def interactive(rows, time_machine):
    """What the interactive path writes for the rows: report_event, then register and dispatch by
    the system at the dispatch time for a "dispatched" row."""
    for i, (title, category, point, area, opened, night, casualties, status) in enumerate(rows):
        at = dt.datetime.fromisoformat(opened).replace(tzinfo=LOCAL_TZ)
        answers = {k: v for k, v in (("night_work", night), ("casualties", casualties)) if v}
        time_machine.move_to(at, tick=False)
        case = report_event(
            actor=None,
            title=title,
            channel="hotline_12345",
            category=category or None,
            lon=point[0] if point else None,
            lat=point[1] if point else None,
            area_code=area or None,
            reporter_name="张三",
            reporter_phone="13912345678",
            answers=answers,
            idempotency_key=f"K{i}",
            opened_at=at,
        ).case
        if status == "dispatched":
            for action in ("register", "dispatch"):
                case.refresh_from_db()
                case = do_event_action(case, action, actor=None, expected_version=case.version)


def test_bulk_writes_what_the_interactive_path_writes(bulk_world, tmp_path, time_machine):
    with transaction.atomic():
        interactive(INTERACTIVE_ROWS, time_machine)
        expected = table_state()
        transaction.set_rollback(True)
    assert Case.objects.count() == 0
    lines = []
    for i, (title, category, point, area, opened, night, casualties, status) in enumerate(INTERACTIVE_ROWS):
        line = row(f"K{i}", title, category, point, area, opened, night, status=status)
        line[11] = casualties
        lines.append(line)
    report = run(write_csv(tmp_path / "same.csv", lines))
    assert (report.imported, report.rejected) == (len(INTERACTIVE_ROWS), [])
    got = table_state()
    assert [g["number"] for g in got] == [e["number"] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g == e, g["number"]
    # The cases the comparison covers: a duplicate, a suggestion, a transfer, an area code, a dispatch.
    by_title = {g["title"]: g for g in got}
    assert by_title["又有工地夜间施工"]["details"]["possible_duplicates"] == [
        by_title["工地夜间施工扰民"]["number"]
    ]
    assert by_title["小区里有死猫"]["details"]["suggested_categories"][0]["code"] == "0107"
    assert by_title["路口交通事故"]["status"] == "transferred"
    assert by_title["村里有人乱搭建"]["grid_id"] is None
    assert by_title["施工噪音很大"]["assignments"][0][2] == "pending"
    if CaseUnit is not None:
        assert len(by_title["施工噪音很大"]["case_units"]) == 2  # lead and co-handler see the open case


def test_closed_and_called_back_history(bulk_world, tmp_path):
    w = bulk_world
    lines = [
        row(
            "C1",
            "工地夜间施工扰民",
            status="已回访",
            opened="2026-03-02 10:00",
            dispatched_at="2026-03-02 11:00",
            accepted_at="2026-03-02 15:00",
            handled_at="2026-03-20 09:00",
            result="已责令停工",
            closed_at="2026-03-21 09:00",
            satisfaction="基本满意",
            callback_at="2026-03-22 09:00",
        ),
        row("C2", "夜间施工", status="已结案", result="已处理", closed_at="2026-03-03 10:00"),
    ]
    report = run(write_csv(tmp_path / "closed.csv", lines))
    assert report.imported == 2, report.rejected
    done = Case.objects.get(event__idempotency_key="C1")
    assert (done.status, done.version, done.lead_unit, done.due_at) == ("done", 8, w.units["chengguan"], None)
    assert done.closed_at == dt.datetime(2026, 3, 21, 9, tzinfo=LOCAL_TZ)
    details = done.event
    assert (details.satisfaction, details.callback_contacted, details.result) == (
        "basically",
        True,
        "已责令停工",
    )
    assert details.first_response_at == dt.datetime(2026, 3, 2, 15, tzinfo=LOCAL_TZ)
    clocks = {d.name: d.state for d in CaseDeadline.objects.filter(case=done)}
    # response 1 working day from Monday 2 March: met at 15:00; handling 5 working days: missed on the 20th.
    assert clocks == {"response": "met", "handling": "missed", "objection": "met"}
    assert sorted(Assignment.objects.filter(case=done).values_list("role", "status")) == [
        ("co", "done"),
        ("lead", "done"),
    ]
    actions = list(TimelineEntry.objects.filter(case=done).order_by("id").values_list("action", flat=True))
    assert actions == [
        "",
        "register",
        "assign",
        "dispatch",
        "accept",
        "handle",
        "verify",
        "close",
        "callback",
    ]
    closed = Case.objects.get(event__idempotency_key="C2")
    assert (closed.status, closed.version, closed.event.satisfaction) == ("closed", 7, "")


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (
            {"status": "已回访", "result": "好", "closed_at": "2026-03-03 10:00", "satisfaction": "不满意"},
            "satisfaction",
        ),
        ({"status": "已结案", "result": "好"}, "closed_at"),
        ({"status": "已结案", "closed_at": "2026-03-03 10:00"}, "result"),
        ({"status": "已结案", "result": "好", "closed_at": "2026-03-01 10:00"}, "accepted_at"),
        ({"status": "已上报", "closed_at": "2026-03-03 10:00"}, "closed_at"),
        ({"status": "已派遣", "lead_unit": "no-such-unit"}, "lead_unit"),
        ({"status": "办理中"}, "status"),
    ],
)
def test_inconsistent_final_states_are_refused(bulk_world, tmp_path, state, field):
    report = run(write_csv(tmp_path / "bad.csv", [row("B1", "夜间施工", **state)]), skip=True)
    assert report.imported == 0
    assert [(r[0], r[1]) for r in report.rejected] == [(2, field)]


# --- all or nothing, skip-bad-rows, the command ------------------------------------------------------


def test_one_bad_row_imports_nothing_and_skip_imports_the_rest(bulk_world, tmp_path):
    lines = [
        row("A1", "夜间施工扰民"),
        row("A2", "路灯不亮", category="9999"),
        row("A3", "", night="否"),
        row("A4", "远处施工", point=(121.9, 31.9)),  # outside the jurisdiction
        row("A5", "施工噪音", night="否"),
    ]
    source = write_csv(tmp_path / "mixed.csv", lines)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**BASE_MAPPING, **STATE_MAPPING}, ensure_ascii=False), encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    before = counts()
    with pytest.raises(CommandError) as exc:
        call_command("import_events", str(source), mapping=str(mapping), report=str(rejected))
    assert "未导入任何数据" in str(exc.value)
    assert counts() == before
    assert CaseNumberSequence.objects.count() == 0
    report = list(csv.reader(rejected.open(encoding="utf-8-sig")))
    assert [r[:2] for r in report[1:]] == [["3", "category"], ["4", "title"], ["5", "coordinates"]]
    assert "9999" in report[1][2]
    call_command("import_events", str(source), mapping=str(mapping), report=str(rejected), skip_bad_rows=True)
    assert sorted(EventDetails.objects.values_list("idempotency_key", flat=True)) == ["A1", "A5"]
    # Run again: the keys were imported, nothing is imported twice.
    call_command("import_events", str(source), mapping=str(mapping), report=str(rejected), skip_bad_rows=True)
    assert Case.objects.count() == 2


def test_xlsx_is_streamed(bulk_world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER + STATE)
    line = row("X1", "工地夜间施工扰民")
    line[4], line[5] = IN_GRID  # numbers, not text
    line[8] = 13912345678  # a phone typed as a number
    line[9] = dt.datetime(2026, 3, 2, 10, 0)  # a date cell
    sheet.append(line)
    sheet.append([None] * len(line))  # a trailing empty row is not a row
    path = tmp_path / "history.xlsx"
    book.save(path)
    report = run(path)
    assert (report.imported, report.rejected) == (1, [])
    case = Case.objects.get()
    assert case.opened_at == dt.datetime(2026, 3, 2, 10, tzinfo=LOCAL_TZ)
    assert case.event.reporter_phone == "13912345678"


def test_gbk_csv_is_detected(bulk_world, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [row("G1", "东湖社区工地夜间施工扰民")], encoding="gbk")
    report = run(path)
    assert report.imported == 1
    assert Case.objects.get().title == "东湖社区工地夜间施工扰民"
    with pytest.raises(Exception) as exc:
        run(path, encoding="utf-8")
    assert "编码" in str(getattr(exc.value, "message", exc.value))


# --- duplicates, numbering, audit ------------------------------------------------------------------


def test_duplicates_within_the_file_and_against_open_events(bulk_world, tmp_path):
    existing = report_event(
        actor=None,
        title="夜间施工",
        channel="web",
        category="0301",
        lon=IN_GRID[0],
        lat=IN_GRID[1],
        answers={"night_work": True},
        opened_at=dt.datetime(2026, 3, 2, 8, tzinfo=LOCAL_TZ),
    ).case
    lines = [
        row("D1", "施工扰民一", opened="2026-03-02 09:00"),
        row("D2", "施工扰民二", point=(120.0103, 30.0201), opened="2026-03-02 10:00"),
        row("D3", "施工扰民三", point=(120.02, 30.03), opened="2026-03-02 11:00"),  # > 100 m away
        row("D4", "施工扰民四", opened="2026-03-09 09:00"),  # outside the 72 h window
    ]
    # One row per batch: D1 is found in the database by D2 (the file order within a batch is
    # covered by the comparison with the interactive path).
    run(write_csv(tmp_path / "dups.csv", lines), batch_size=1)
    dups = {
        d.idempotency_key: [Case.objects.get(pk=p).number for p in d.possible_duplicates]
        for d in EventDetails.objects.exclude(idempotency_key=None)
    }
    d1 = Case.objects.get(event__idempotency_key="D1").number
    # D2 reads like D1 ("施工扰民…") more than like the existing "夜间施工": text ranks D1 first,
    # as intake does (docs/hot-issues.md, duplicates by text).
    assert dups == {"D1": [existing.number], "D2": [d1, existing.number], "D3": [], "D4": []}


def test_numbers_stay_unique_beside_interactive_intake(bulk_world, tmp_path):
    def intake(_line, _report):
        report_event(
            actor=None,
            title="网上反映夜间施工",
            channel="web",
            category="0301",
            lon=IN_GRID[0],
            lat=IN_GRID[1],
            answers={"night_work": True},
            opened_at=dt.datetime(2026, 5, 1, 8, tzinfo=LOCAL_TZ),
        )

    intake(0, None)
    lines = [row(f"N{i}", "夜间施工", opened=f"2026-03-0{i + 1} 10:00") for i in range(5)]
    run(write_csv(tmp_path / "numbers.csv", lines), batch_size=2, progress=intake)
    numbers = list(Case.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [f"2026-338001-{n:06d}" for n in range(1, 10)]
    assert CaseNumberSequence.objects.get(prefix="2026-338001-").last_value == 9


def test_one_audit_row_per_batch_and_the_chain_verifies(bulk_world, tmp_path):
    lines = [row(f"V{i}", "夜间施工") for i in range(5)]
    before = ObjectChange.objects.count()
    run(write_csv(tmp_path / "audit.csv", lines), batch_size=2)
    rows = list(ObjectChange.objects.filter(object_id__startswith="import:").order_by("id"))
    assert ObjectChange.objects.count() - before == len(rows) == 3
    after = rows[0].after
    assert after["rows"]["cases_case"] == 2 and after["lines"] == [2, 3]
    assert after["numbers"] == {"2026-338001-": [1, 2]}
    assert "13912345678" not in json.dumps([r.after for r in rows])  # no personal data in the audit
    _count, problems = verify_chain(ObjectChange)
    assert problems == []
    call_command("verify_audit")


def test_fast_classifier_answers_as_the_classifier(bulk_world):
    slow = Classifier.from_database()
    fast = FastClassifier(slow)
    texts = [
        ("夜间施工噪音扰民", "工地连夜施工，噪音很大"),
        ("暴露垃圾", "路边生活垃圾，垃圾桶满了"),
        ("", ""),
        ("ＡＢＣ 全角 火灾 冒烟", "燃气味"),
        ("小区里有死猫", "死老鼠也有"),
    ]
    for title, body in texts:
        assert fast.suggest(title, body) == slow.suggest(title, body)


def test_fast_classifier_on_random_texts_of_keywords(bulk_world):
    import random

    slow = Classifier.from_database()
    fast = FastClassifier(slow)
    words = [w for w, _owners in slow.keywords] + ["的", "路口", "Ａ", " ", "小区"]
    rng = random.Random(7)
    for _ in range(300):
        title = "".join(rng.choice(words) for _ in range(rng.randrange(0, 5)))
        body = "".join(rng.choice(words) for _ in range(rng.randrange(0, 8)))
        assert fast.suggest(title, body) == slow.suggest(title, body), (title, body)


def test_text_that_could_break_copy_or_sql_is_stored_as_given(bulk_world, tmp_path):
    nasty = "引号' \"; DROP TABLE cases_case;-- 反斜杠\\N 制表\t换行\n结束\\"
    lines = [row("T1", "夜间施工" + nasty), row("T2", "空字符\x00标题")]
    lines[0][2] = nasty  # description
    report = run(write_csv(tmp_path / "nasty.csv", lines), skip=True)
    assert report.imported == 1
    assert [(r[0], r[1]) for r in report.rejected] == [(3, "title")]
    case = Case.objects.get()
    assert (case.title, case.description) == (("夜间施工" + nasty).strip(), nasty)


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_with_intake_in_another_thread(bulk_world, tmp_path):
    """PostgreSQL: an interactive intake thread reports events while the import writes its batches;
    every number is drawn once (the serial row lock), none is skipped."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer anyway")
    stop, made, failures = threading.Event(), [], []

    def intake():
        try:
            while not stop.is_set() and len(made) < 30:
                made.append(
                    report_event(
                        actor=None,
                        title="网上反映夜间施工",
                        channel="web",
                        category="0301",
                        lon=IN_GRID[0],
                        lat=IN_GRID[1],
                        answers={"night_work": True},
                        opened_at=dt.datetime(2026, 5, 1, 8, tzinfo=LOCAL_TZ),
                    ).case.number
                )
        except Exception as exc:  # reported below; a thread's exception is otherwise lost
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=intake)
    thread.start()
    try:
        lines = [row(f"P{i}", "夜间施工", opened="2026-03-02 10:00") for i in range(40)]
        run(write_csv(tmp_path / "threads.csv", lines), batch_size=4)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert made  # the intake did run beside the import
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 40 + len(made)
    serials = sorted(int(n[-6:]) for n in numbers)
    assert serials == list(range(1, len(numbers) + 1))
