"""import_divisions: the NBS files, GBK, bad rows (all-or-nothing unless --skip-bad-rows), re-runs."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.areas.importers.divisions import import_divisions
from civicgrid.areas.models import Area, AreaCodeChange
from civicgrid.audit.models import ObjectChange

HEADER = "code,name,parent,urban_rural\n"


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_divisions", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path, text, name="divisions.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD_AND_BAD = (
    HEADER
    + "338001001003,新村社区,338001001000,111\n"  # line 2: good
    + "33800100100,短码社区,,\n"  # line 3: 11 digits
    + "338001001600,越界社区,,\n"  # line 4: village part over 599
    + "338009001001,无主社区,,\n"  # line 5: parent 338009001000 nowhere
    + "338001001004,,,\n"  # line 6: empty name
    + "338001001003,重复社区,,\n"  # line 7: duplicate of line 2
    + "338001001005,错上级社区,338001002000,\n"  # line 8: parent column contradicts the code
    + "338001001006,好社区,,999\n"  # line 9: bad urban-rural code
    + "338001003001,先子后父村,,220\n"  # line 10: its township comes later in the file
    + "338001003,新设镇,338001,\n"  # line 11: good (9-digit form)
)


def test_bad_rows_reject_the_whole_file(world, tmp_path):
    path = write(tmp_path, GOOD_AND_BAD)
    before = (Area.objects.count(), ObjectChange.objects.count())
    with pytest.raises(CommandError) as info:
        run(path)
    assert "未写入任何数据" in str(info.value)
    assert (Area.objects.count(), ObjectChange.objects.count()) == before


def test_skip_bad_rows_writes_the_good_ones_and_reports_each_bad_row(world, tmp_path):
    path = write(tmp_path, GOOD_AND_BAD)
    report_path = tmp_path / "report.csv"
    out, err = run(path, "--skip-bad-rows", "--vintage", "2024", "--report", str(report_path))
    assert "新增 3，更新 0，未变 0，拒绝 7" in out
    assert sorted(
        Area.objects.filter(code__in=["338001001003", "338001003000", "338001003001"]).values_list(
            "code", "name", "level", "urban_rural", "vintage"
        )
    ) == [
        ("338001001003", "新村社区", "village", "111", 2024),
        ("338001003000", "新设镇", "township", "", 2024),
        ("338001003001", "先子后父村", "village", "220", 2024),
    ]
    assert Area.objects.get(code="338001003001").parent.code == "338001003000"
    with open(report_path, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["行号", "代码", "错误代码", "原因"]
    assert [(r[0], r[2]) for r in rows[1:]] == [
        ("3", "invalid_code"),
        ("4", "invalid_code"),
        ("5", "unknown_parent"),
        ("6", "empty_name"),
        ("7", "duplicate_code"),
        ("8", "parent_mismatch"),
        ("9", "invalid_urban_rural"),
    ]
    assert "第 7 行（338001001003）：代码与第 2 行重复" in err
    assert "第 5 行（338009001001）：上级区划 338009001000 不存在（数据库和本文件中都没有）" in err
    assert "第 8 行（338001001005）：上级代码 338001002000 与代码结构不符，应为 338001001000" in err
    # one audit row for the batch, naming the file and every created code
    # one audit row per written batch (here one per level), naming the file and every created code
    batches = list(ObjectChange.objects.filter(object_id__startswith="import:"))
    assert [(b.object_type, b.actor_username, b.after["import"]["file"]) for b in batches] == [
        ("areas.area", "system", "divisions.csv"),
        ("areas.area", "system", "divisions.csv"),
    ]
    created = sorted(c[0] for b in batches for c in b.after["created"])
    assert created == ["338001001003", "338001003000", "338001003001"]
    # re-run: nothing changes, every good row is unchanged, no audit row
    audit_rows = ObjectChange.objects.count()
    out, _ = run(path, "--skip-bad-rows", "--vintage", "2024")
    assert "新增 0，更新 0，未变 3，拒绝 7" in out
    assert ObjectChange.objects.count() == audit_rows


def test_rejected_parent_rejects_its_children(world, tmp_path):
    path = write(tmp_path, HEADER + "338001009001,孤儿村,,\n338001009,,338001,\n")
    report = import_divisions(path, skip_bad_rows=True)
    assert [(e.row, e.error_code) for e in report.sorted_errors()] == [
        (2, "parent_rejected"),
        (3, "empty_name"),
    ]
    assert report.committed and report.created == 0


def test_rename_is_an_update_with_history(world, tmp_path):
    path = write(tmp_path, "code,name\n338001001001,东湖新社区\n338001001002,南岸社区\n")
    report = import_divisions(path, vintage=2025)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)  # both get the new vintage
    change = AreaCodeChange.objects.get()
    assert (change.old_name, change.new_name) == ("东湖社区", "东湖新社区")
    batch = ObjectChange.objects.last()
    assert batch.after["updated"][0] == {
        "code": "338001001001",
        "before": {"name": "东湖社区", "vintage": 2024},
        "after": {"name": "东湖新社区", "vintage": 2025},
    }
    # without --vintage the stored vintage is left alone
    report = import_divisions(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_gbk_and_bom_files_are_read(world, tmp_path):
    text = "代码,名称\n338001001003,新村社区居委会\n338001001004,黄泥岗村村民委员会\n"
    gbk = write(tmp_path, text, "gbk.csv", encoding="gbk")
    report = import_divisions(gbk, vintage=2024)
    assert report.created == 2
    assert Area.objects.get(code="338001001004").name == "黄泥岗村村民委员会"
    bom = write(tmp_path, "\ufeffcode,name\n338001001005,带BOM社区\n", "bom.csv")
    assert import_divisions(bom, vintage=2024).created == 1
    forced = write(tmp_path, text.replace("新村", "旧村"), "forced.csv", encoding="gb18030")
    out, _ = run(forced, "--encoding", "gb18030", "--vintage", "2024")
    assert "新增 0，更新 1，未变 1，拒绝 0" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"   \n", "文件为空"),
        (b"code,name\n", "文件没有数据行"),
        (b"id,title\n1,x\n", "缺少必需的列：code、name"),
        ("code,name\n338001001003,名\n".encode("gbk") + b"\xff\xfe\xfd\n", "无法按"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_error(world, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = Area.objects.count()
    with pytest.raises(CommandError) as info:
        run(path, "--encoding", "utf-8") if b"\xff" in content else run(path)
    assert message in str(info.value)
    assert Area.objects.count() == before


def test_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError) as info:
        run(tmp_path / "absent.csv")
    assert "无法读取文件" in str(info.value)


@pytest.mark.shared_data
def test_beijing_from_the_nbs_files(db, shared_data, tmp_path):
    source = shared_data / "cn_admin_divisions"
    # streets: the Beijing rows only (the whole country's 41,352 would only slow the test)
    with open(source / "streets.csv", encoding="utf-8") as fh:
        lines = fh.readlines()
    streets = tmp_path / "streets_11.csv"
    streets.write_text(
        lines[0] + "".join(line for line in lines[1:] if line.startswith("11")), encoding="utf-8"
    )
    counts = {}
    for path in [
        source / "provinces.csv",
        source / "cities.csv",
        source / "areas.csv",
        streets,
        source / "villages_11_beijing.csv",
    ]:
        report = import_divisions(path, vintage=2022)
        counts[path.name] = (report.created, report.updated, report.unchanged, report.rejected)
    assert counts == {
        "provinces.csv": (31, 0, 0, 0),
        "cities.csv": (342, 0, 0, 0),
        # 东莞 441900, 中山 442000, 儋州 460400 are both a city and its own county-level row
        "areas.csv": (2975, 0, 3, 0),
        "streets_11.csv": (349, 0, 0, 0),
        "villages_11_beijing.csv": (7535, 0, 0, 0),
    }
    beijing = Area.objects.filter(path__startswith="11/")
    assert {
        lvl: beijing.filter(level=lvl).count()
        for lvl in ("province", "city", "county", "township", "village")
    } == {
        "province": 1,
        "city": 1,
        "county": 16,
        "township": 349,
        "village": 7535,
    }
    village = Area.objects.get(code="110101001001")
    assert (village.name, village.parent.code, village.path) == (
        "多福巷社区居委会",
        "110101001000",
        "11/1101/110101/110101001/110101001001/",
    )
    assert Area.objects.get(code="110101000000").parent.parent.code == "110000000000"
    audit_rows = ObjectChange.objects.count()
    report = import_divisions(source / "villages_11_beijing.csv", vintage=2022)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 7535, 0)
    assert ObjectChange.objects.count() == audit_rows
