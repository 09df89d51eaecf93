"""The only writers of the holiday calendar.

`do_enter_year_schedule` replaces one year's holidays and make-up workdays and marks the year
published; `do_seed_from_chinese_calendar` enters every year the `chinese-calendar` package knows
that is not published yet. Each runs in one transaction, writes audit rows (one batch row for the
days, one row for the year) and, after commit, bumps the calendar version (every process reloads)
and runs the `hooks.on_schedule_entered` callbacks so stored deadlines are recomputed.

Rules for a schedule (checked for every row; all problems are reported, nothing is written if any):
* the year is an integer in 1949–2100 and the source (e.g. the notice's number) is not empty;
* at least one day; each date is a real date inside the year and appears once;
* kind is `holiday` (a day off) or `workday` (a 调休 make-up workday; aliases 休/班 and the
  Chinese labels are accepted);
* a make-up workday falls on a Saturday or Sunday: on a weekday it would change nothing and is
  almost certainly a typing error;
* a holiday may fall on any day: the official spans include their weekends (国庆节 Oct 1–8), and
  naming them changes no count but shows the span;
* every day has a name (春节, 国庆节 …; ≤ 50 characters), the note is optional (≤ 200).

`actor` is the user acting, or None for management commands (the audit row then says "system").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_bulk_change, record_change, snapshot
from civicgrid.core.errors import ServiceError

from . import hooks, store
from .choices import DayKind, YearStatus
from .error_codes import CalendarErrorCode as E
from .models import CalendarDay, CalendarYear

YEAR_MIN, YEAR_MAX = 1949, 2100
NAME_MAX, NOTE_MAX, SOURCE_MAX = 50, 200, 200
KIND_ALIASES = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "节假日": DayKind.HOLIDAY,
    "休息日": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "调休": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "上班日": DayKind.WORKDAY,
}
for _value, _label in DayKind.choices:
    KIND_ALIASES[str(_label)] = DayKind(_value)


@dataclass(frozen=True)
class DayRow:
    """One cleaned row of a schedule."""

    date: dt.date
    kind: str
    name: str
    note: str = ""

    def as_json(self) -> dict:
        return {"date": self.date.isoformat(), "kind": self.kind, "name": self.name, "note": self.note}


@dataclass(frozen=True)
class RowProblem:
    """Why row `row` (1-based, in the order given) was rejected."""

    row: int
    field: str
    code: str
    message: str


class ScheduleRejected(ServiceError):
    """A schedule with bad rows: `problems` lists every one; the message and field are the first's."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        first = problems[0]
        message = _("第 %(row)d 行：%(message)s（共 %(count)d 处错误，未写入任何数据）") % {
            "row": first.row,
            "message": first.message,
            "count": len(problems),
        }
        super().__init__(E.SCHEDULE_REJECTED, message, field=first.field, params={"row": first.row})


@dataclass(frozen=True)
class SeedReport:
    seeded: tuple[int, ...]
    skipped: tuple[int, ...]


# --- validators ----------------------------------------------------------------------------------


def clean_year(value, field: str = "year") -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if isinstance(value, bool) or not YEAR_MIN <= year <= YEAR_MAX:
        raise ServiceError(
            E.INVALID_YEAR,
            _("年份“%(value)s”无效，应为 %(min)d–%(max)d 的年份")
            % {"value": value, "min": YEAR_MIN, "max": YEAR_MAX},
            field=field,
        )
    return year


def clean_source(value, field: str = "source") -> str:
    source = value.strip() if isinstance(value, str) else ""
    if not source:
        raise ServiceError(E.INVALID_SOURCE, _("来源不能为空（如通知文号）"), field=field)
    if len(source) > SOURCE_MAX:
        raise ServiceError(E.INVALID_SOURCE, _("来源不能超过 %(n)d 个字") % {"n": SOURCE_MAX}, field=field)
    return source


def _clean_date(value, year: int) -> tuple[dt.date | None, str, str]:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            return None, E.INVALID_DATE, _("日期“%(value)s”无效，应为 YYYY-MM-DD") % {"value": value}
    if value.year != year:
        return (
            None,
            E.DATE_OUTSIDE_YEAR,
            _("日期 %(date)s 不在 %(year)d 年内") % {"date": value.isoformat(), "year": year},
        )
    return value, "", ""


def check_schedule(year: int, days: Iterable) -> tuple[list[DayRow], list[RowProblem]]:
    """Clean a year's rows (mappings with date, kind, name[, note]). Returns the rows sorted by
    date and every problem found; the rows are usable only when there are no problems."""
    rows: list[DayRow] = []
    problems: list[RowProblem] = []
    seen: dict[dt.date, int] = {}
    for number, raw in enumerate(days, start=1):
        raw = raw if isinstance(raw, Mapping) else {}
        row_problems = []

        def problem(field, code, message, _number=number, _list=row_problems):
            _list.append(RowProblem(_number, field, code, message))

        date, code, message = _clean_date(raw.get("date"), year)
        if date is None:
            problem("date", code, message)
        elif date in seen:
            problem(
                "date",
                E.DUPLICATE_DATE,
                _("日期 %(date)s 与第 %(row)d 行重复") % {"date": date.isoformat(), "row": seen[date]},
            )
        else:
            seen[date] = number
        kind = KIND_ALIASES.get(str(raw.get("kind") or "").strip().lower())
        if kind is None:
            problem(
                "kind",
                E.INVALID_KIND,
                _("类型“%(value)s”无效，应为 holiday（休息）或 workday（调休上班）")
                % {"value": raw.get("kind") or ""},
            )
        elif kind == DayKind.WORKDAY and date is not None and date.weekday() < 5:
            problem(
                "kind",
                E.WORKDAY_ON_WEEKDAY,
                _("%(date)s 是周一至周五，本就是工作日，不能登记为调休上班日") % {"date": date.isoformat()},
            )
        name = raw.get("name").strip() if isinstance(raw.get("name"), str) else ""
        if not name:
            problem("name", E.EMPTY_NAME, _("名称不能为空（如：春节、国庆节）"))
        elif len(name) > NAME_MAX:
            problem("name", E.NAME_TOO_LONG, _("名称不能超过 %(n)d 个字") % {"n": NAME_MAX})
        note = raw.get("note").strip() if isinstance(raw.get("note"), str) else ""
        if len(note) > NOTE_MAX:
            problem("note", E.NOTE_TOO_LONG, _("备注不能超过 %(n)d 个字") % {"n": NOTE_MAX})
        if row_problems:
            problems.extend(row_problems)
        else:
            rows.append(DayRow(date=date, kind=str(kind), name=name, note=note))
    if not seen and not problems:
        problems.append(RowProblem(0, "days", E.EMPTY_SCHEDULE, _("放假安排为空：至少需要一天")))
    rows.sort(key=lambda row: row.date)
    return rows, problems


# --- services ------------------------------------------------------------------------------------


def _year_rows(year: int) -> list[dict]:
    days = CalendarDay.objects.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return [DayRow(day.date, day.kind, day.name, day.note).as_json() for day in days.order_by("date")]


def _write_schedule(*, actor, year: int, rows: list[DayRow], source: str) -> tuple[CalendarYear, bool]:
    """Replace `year`'s rows with `rows` and mark it published, inside the caller's transaction.
    Returns (year row, whether anything changed); an identical published schedule is left alone."""
    entry = CalendarYear.objects.select_for_update().filter(year=year).first()
    before_rows = _year_rows(year)
    after_rows = [row.as_json() for row in rows]
    if (
        entry is not None
        and entry.status == YearStatus.PUBLISHED
        and entry.source == source
        and before_rows == after_rows
    ):
        return entry, False
    CalendarDay.objects.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=row.date, kind=row.kind, name=row.name, note=row.note) for row in rows
    )
    record_bulk_change(
        actor=actor,
        action=ChangeAction.UPDATE if before_rows else ChangeAction.CREATE,
        model=CalendarDay,
        batch_id=f"schedule:{year}",
        description=_("%(year)d 年放假安排") % {"year": year},
        before=before_rows or None,
        after=after_rows,
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    values = {
        "status": YearStatus.PUBLISHED,
        "source": source,
        "entered_at": timezone.now(),
        "entered_by": user,
    }
    if entry is None:
        entry = CalendarYear.objects.create(year=year, **values)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=entry, before=None, after=snapshot(entry)
        )
    else:
        before = snapshot(entry)
        for name, value in values.items():
            setattr(entry, name, value)
        entry.save(update_fields=list(values))
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=entry, before=before, after=snapshot(entry)
        )
    return entry, True


def _after_commit(years: set[int]) -> None:
    """Drop every process's calendar, then let the registered apps recompute their deadlines."""
    frozen = frozenset(years)
    transaction.on_commit(store.mark_changed)
    transaction.on_commit(lambda: hooks.notify_schedule_entered(frozen))


def do_enter_year_schedule(*, actor, year, days: Iterable, source: str) -> CalendarYear:
    """Enter the State Council's schedule for `year`: replace that year's holidays and make-up
    workdays with `days` (mappings: date, kind, name, note) and mark the year published.

    All or nothing: any bad row raises `ScheduleRejected` listing every problem and nothing is
    written. Entering the same schedule again changes nothing (no audit row, no recompute)."""
    year = clean_year(year)
    source = clean_source(source)
    rows, problems = check_schedule(year, days)
    if problems:
        raise ScheduleRejected(problems)
    with transaction.atomic():
        entry, changed = _write_schedule(actor=actor, year=year, rows=rows, source=source)
        if changed:
            _after_commit({year})
    return entry


def chinese_calendar_schedules() -> dict[int, list[dict]]:
    """Every year the `chinese-calendar` package knows, as schedule rows for `check_schedule`.
    Its 调休 days off on weekdays (in-lieu days) are holidays with the note "调休"."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    names = {holiday.value: holiday.chinese for holiday in Holiday}
    in_lieu = set(chinese_calendar.in_lieu_days)
    schedules: dict[int, list[dict]] = {}
    for table, kind in (
        (chinese_calendar.holidays, DayKind.HOLIDAY),
        (chinese_calendar.workdays, DayKind.WORKDAY),
    ):
        for date, english in table.items():
            # Data, stored as the package names the days (Chinese), not interface text.
            note = "调休" if date in in_lieu else ""
            schedules.setdefault(date.year, []).append(
                {"date": date, "kind": kind, "name": names.get(english, english), "note": note}
            )
    return dict(sorted(schedules.items()))


def chinese_calendar_source() -> str:
    import chinese_calendar

    return f"chinese-calendar {chinese_calendar.__version__}"


def do_seed_from_chinese_calendar(*, actor) -> SeedReport:
    """Enter every year the `chinese-calendar` package knows (2004–2026 in 1.11) that is not
    published yet. Idempotent: a published year, whether seeded before or entered by an
    administrator, is never overwritten."""
    source = chinese_calendar_source()
    schedules = chinese_calendar_schedules()
    seeded, skipped = [], []
    with transaction.atomic():
        published = set(
            CalendarYear.objects.filter(status=YearStatus.PUBLISHED).values_list("year", flat=True)
        )
        for year, days in schedules.items():
            if year in published:
                skipped.append(year)
                continue
            rows, problems = check_schedule(year, days)
            if problems:
                raise ScheduleRejected(problems)
            _write_schedule(actor=actor, year=year, rows=rows, source=source)
            seeded.append(year)
        if seeded:
            _after_commit(set(seeded))
    return SeedReport(seeded=tuple(seeded), skipped=tuple(skipped))
