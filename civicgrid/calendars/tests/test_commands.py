"""manage.py enter_holidays (all or nothing, rejected rows reported with line and field) and
manage.py seed_calendar (idempotent)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civicgrid.audit.models import ObjectChange
from civicgrid.calendars.models import CalendarDay, CalendarYear

D = dt.date
GOOD = (
    "date,kind,name,note\n2027-01-01,holiday,元旦,\n2027-02-06,workday,春节,调休上班\n\n2027-02-07,休,春节,\n"
)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_enter_holidays_writes_the_year(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD, encoding="utf-8-sig")
    out, err = run("enter_holidays", str(path), "--year", "2027", "--source", "国办发明电〔2026〕1号")
    assert out.strip() == "已录入 2027 年放假安排：3 天（来源：国办发明电〔2026〕1号）"
    assert err == ""
    assert list(CalendarDay.objects.values_list("date", "kind", "name", "note")) == [
        (D(2027, 1, 1), "holiday", "元旦", ""),
        (D(2027, 2, 6), "workday", "春节", "调休上班"),
        (D(2027, 2, 7), "holiday", "春节", ""),
    ]
    entry = CalendarYear.objects.get()
    assert (entry.year, entry.status, entry.source) == (2027, "published", "国办发明电〔2026〕1号")
    assert (
        ObjectChange.objects.filter(object_type="calendars.calendarday", actor_username="system").count() == 1
    )


@pytest.mark.django_db
def test_enter_holidays_reads_gb18030_with_chinese_headers_and_defaults_the_source(tmp_path):
    path = tmp_path / "放假安排.csv"
    path.write_bytes("日期,类型,名称\n2027-01-01,休,元旦\n2027-01-02,休,元旦\n".encode("gb18030"))
    out, _err = run("enter_holidays", str(path), "--year", "2027")
    assert out.strip() == "已录入 2027 年放假安排：2 天（来源：文件导入：放假安排.csv）"
    assert CalendarDay.objects.count() == 2


@pytest.mark.django_db
def test_enter_holidays_reports_every_rejected_row_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,kind,name\n2027-01-01,holiday,元旦\n2026-12-31,holiday,元旦\n2027-02-08,workday,春节\n2027-02-09,rest,\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("enter_holidays", str(path), "--year", "2027", stdout=StringIO(), stderr=err)
    assert str(info.value) == "4 处错误，未写入任何数据"
    assert err.getvalue().splitlines() == [
        "第 3 行 [date] 日期 2026-12-31 不在 2027 年内",
        "第 4 行 [kind] 2027-02-08 是周一至周五，本就是工作日，不能登记为调休上班日",
        "第 5 行 [kind] 类型“rest”无效，应为 holiday（休息）或 workday（调休上班）",
        "第 5 行 [name] 名称不能为空（如：春节、国庆节）",
    ]
    assert (CalendarDay.objects.count(), CalendarYear.objects.count(), ObjectChange.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "year", "message"),
    [
        ("", "2027", "[file] 文件为空"),
        ("date,name\n2027-01-01,元旦\n", "2027", "[file] 缺少列：kind（需要 date,kind,name[,note]）"),
        ("date,kind,name\n2027-01-01,holiday,元旦\n", "next", "[year] 年份“next”无效，应为 1949–2100 的年份"),
        ("date,kind,name\n", "2027", "1 处错误，未写入任何数据"),
    ],
)
def test_enter_holidays_bad_files(tmp_path, content, year, message):
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("enter_holidays", str(path), "--year", year, stdout=StringIO(), stderr=StringIO())
    assert str(info.value) == message
    assert CalendarYear.objects.count() == 0


def test_enter_holidays_missing_file(tmp_path):
    with pytest.raises(CommandError) as info:
        call_command("enter_holidays", str(tmp_path / "none.csv"), "--year", "2027")
    assert str(info.value) == f"文件不存在：{tmp_path / 'none.csv'}"


@pytest.mark.django_db
def test_seed_calendar_is_idempotent():
    out, _err = run("seed_calendar")
    assert out.strip() == "已导入 23 个年份（2004–2026），跳过已公布的 0 个年份（无）"
    days = CalendarDay.objects.count()
    assert days == 771  # chinese-calendar 1.11.0: 2004-01-01 … 2026-10-10
    assert CalendarDay.objects.filter(date__year=2026).count() == 33 + 6
    out, _err = run("seed_calendar")
    assert out.strip() == "已导入 0 个年份（无），跳过已公布的 23 个年份（2004–2026）"
    assert CalendarDay.objects.count() == days
