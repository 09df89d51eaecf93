"""Entering holiday schedules: validation with field names, all-or-nothing, audit rows, seeding from
chinese-calendar, the cached DatabaseCalendar and the schedule-entered hooks."""

import datetime as dt

import pytest

from civicgrid.audit.models import ObjectChange
from civicgrid.calendars import hooks, store
from civicgrid.calendars.models import CalendarDay, CalendarVersion, CalendarYear
from civicgrid.calendars.services import (
    ScheduleRejected,
    chinese_calendar_schedules,
    do_enter_year_schedule,
    do_seed_from_chinese_calendar,
)
from civicgrid.core.deadlines import LOCAL_TZ, Clock, Limit
from civicgrid.core.errors import ServiceError

D = dt.date
# A made-up 2027 schedule (the real one is published around November 2026).
SCHEDULE_2027 = [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    {"date": "2027-01-02", "kind": "holiday", "name": "元旦"},
    {"date": "2027-01-03", "kind": "holiday", "name": "元旦"},
    {"date": "2027-02-06", "kind": "班", "name": "春节", "note": "调休上班"},
    {"date": D(2027, 2, 7), "kind": "holiday", "name": "春节"},
]


def at(y, m, d, hour=10):
    return dt.datetime(y, m, d, hour, tzinfo=LOCAL_TZ)


def days_of(year):
    return list(
        CalendarDay.objects.filter(date__year=year)
        .order_by("date")
        .values_list("date", "kind", "name", "note")
    )


@pytest.mark.django_db
def test_enter_year_schedule_writes_days_year_and_audit(admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = do_enter_year_schedule(
            actor=admin_user, year="2027", days=SCHEDULE_2027, source="国办发明电〔2026〕1号"
        )
    entry.refresh_from_db()
    assert (entry.year, entry.status, entry.source, entry.entered_by) == (
        2027,
        "published",
        "国办发明电〔2026〕1号",
        admin_user,
    )
    assert entry.entered_at is not None
    assert days_of(2027) == [
        (D(2027, 1, 1), "holiday", "元旦", ""),
        (D(2027, 1, 2), "holiday", "元旦", ""),
        (D(2027, 1, 3), "holiday", "元旦", ""),
        (D(2027, 2, 6), "workday", "春节", "调休上班"),
        (D(2027, 2, 7), "holiday", "春节", ""),
    ]
    batch = ObjectChange.objects.get(object_type="calendars.calendarday")
    assert (batch.action, batch.object_id, batch.actor_username, batch.before) == (
        "create",
        "schedule:2027",
        "calendar-admin",
        None,
    )
    assert batch.after[3] == {"date": "2027-02-06", "kind": "workday", "name": "春节", "note": "调休上班"}
    year_row = ObjectChange.objects.get(object_type="calendars.calendaryear")
    assert (year_row.action, year_row.after["year"], year_row.after["status"]) == (
        "create",
        2027,
        "published",
    )
    assert CalendarVersion.objects.get(name="calendar").version == 1


@pytest.mark.django_db
def test_reentering_replaces_the_year_and_identical_reentry_writes_nothing(admin_user):
    do_enter_year_schedule(actor=admin_user, year=2027, days=SCHEDULE_2027, source="A")
    do_enter_year_schedule(actor=None, year=2027, days=SCHEDULE_2027[:2], source="B")
    assert days_of(2027) == [(D(2027, 1, 1), "holiday", "元旦", ""), (D(2027, 1, 2), "holiday", "元旦", "")]
    update = ObjectChange.objects.filter(object_type="calendars.calendarday").order_by("pk").last()
    assert (update.action, update.actor_username, len(update.before), len(update.after)) == (
        "update",
        "system",
        5,
        2,
    )
    entry = CalendarYear.objects.get(year=2027)
    assert (entry.source, entry.entered_by) == ("B", None)
    count = ObjectChange.objects.count()
    do_enter_year_schedule(actor=None, year=2027, days=SCHEDULE_2027[:2], source="B")
    assert ObjectChange.objects.count() == count


@pytest.mark.django_db
def test_bad_rows_are_all_reported_with_fields_and_nothing_is_written(admin_user):
    do_enter_year_schedule(actor=admin_user, year=2027, days=SCHEDULE_2027, source="A")
    before_changes, before_days = ObjectChange.objects.count(), days_of(2027)
    bad = [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2026-12-31", "kind": "holiday", "name": "元旦"},  # other year
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},  # duplicate
        {"date": "2027-02-30", "kind": "holiday", "name": "春节"},  # no such date
        {"date": "2027-02-08", "kind": "workday", "name": "春节"},  # Monday
        {"date": "2027-02-09", "kind": "rest", "name": "春节"},
        {"date": "2027-02-10", "kind": "holiday", "name": " "},
        {"date": "2027-02-11", "kind": "holiday", "name": "春" * 51},
        {"date": "2027-02-12", "kind": "holiday", "name": "春节", "note": "x" * 201},
    ]
    with pytest.raises(ScheduleRejected) as info:
        do_enter_year_schedule(actor=admin_user, year=2027, days=bad, source="B")
    assert [(p.row, p.field, p.code) for p in info.value.problems] == [
        (2, "date", "date_outside_year"),
        (3, "date", "duplicate_date"),
        (4, "date", "invalid_date"),
        (5, "kind", "workday_on_weekday"),
        (6, "kind", "invalid_kind"),
        (7, "name", "empty_name"),
        (8, "name", "name_too_long"),
        (9, "note", "note_too_long"),
    ]
    error = info.value
    assert (error.code, error.field, error.params) == ("schedule_rejected", "date", {"row": 2})
    assert str(error.message) == "第 2 行：日期 2026-12-31 不在 2027 年内（共 8 处错误，未写入任何数据）"
    assert info.value.problems[1].message == "日期 2027-01-01 与第 1 行重复"
    assert info.value.problems[3].message == "2027-02-08 是周一至周五，本就是工作日，不能登记为调休上班日"
    assert error.as_dict() == {"date": [str(error.message)], "error_code": "schedule_rejected"}
    assert (ObjectChange.objects.count(), days_of(2027)) == (before_changes, before_days)
    assert CalendarYear.objects.get(year=2027).source == "A"


@pytest.mark.django_db
def test_a_holiday_on_a_weekend_is_accepted():
    # National Day spans include their weekends; naming them is allowed.
    do_enter_year_schedule(
        actor=None, year=2027, days=[{"date": "2027-10-02", "kind": "休", "name": "国庆节"}], source="A"
    )
    assert days_of(2027) == [(D(2027, 10, 2), "holiday", "国庆节", "")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year", "days", "source", "field", "code"),
    [
        ("二〇二七", SCHEDULE_2027, "A", "year", "invalid_year"),
        (1900, SCHEDULE_2027, "A", "year", "invalid_year"),
        (2027, SCHEDULE_2027, "  ", "source", "invalid_source"),
        (2027, SCHEDULE_2027, "来" * 201, "source", "invalid_source"),
        (2027, [], "A", "days", "schedule_rejected"),
    ],
)
def test_bad_year_source_or_empty_schedule(year, days, source, field, code):
    with pytest.raises(ServiceError) as info:
        do_enter_year_schedule(actor=None, year=year, days=days, source=source)
    assert (info.value.field, info.value.code) == (field, code)
    assert CalendarYear.objects.count() == 0 and ObjectChange.objects.count() == 0


def test_chinese_calendar_data_for_2025_and_2026():
    schedules = chinese_calendar_schedules()
    assert (min(schedules), max(schedules)) == (2004, 2026)

    def dates(year, kind, name, month_from, month_to):
        return [
            row["date"]
            for row in sorted(schedules[year], key=lambda r: r["date"])
            if row["kind"] == kind and row["name"] == name and month_from <= row["date"].month <= month_to
        ]

    def days(first, last):
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    assert dates(2025, "holiday", "春节", 1, 2) == days(D(2025, 1, 28), D(2025, 2, 4))
    assert dates(2025, "workday", "春节", 1, 2) == [D(2025, 1, 26), D(2025, 2, 8)]
    national_2025 = [r["date"] for r in schedules[2025] if r["kind"] == "holiday" and r["date"].month == 10]
    assert sorted(national_2025) == days(D(2025, 10, 1), D(2025, 10, 8))  # Oct 6 is named 中秋
    assert dates(2025, "workday", "国庆节", 9, 10) == [D(2025, 9, 28), D(2025, 10, 11)]
    assert dates(2026, "holiday", "春节", 2, 2) == days(D(2026, 2, 15), D(2026, 2, 23))
    assert dates(2026, "workday", "春节", 2, 2) == [D(2026, 2, 14), D(2026, 2, 28)]
    assert dates(2026, "holiday", "国庆节", 10, 10) == days(D(2026, 10, 1), D(2026, 10, 7))
    assert dates(2026, "workday", "国庆节", 9, 10) == [D(2026, 9, 20), D(2026, 10, 10)]
    in_lieu = {row["date"] for row in schedules[2026] if row["note"] == "调休"}
    assert in_lieu == {
        D(2026, 1, 2),
        D(2026, 2, 20),
        D(2026, 2, 23),
        D(2026, 5, 5),
        D(2026, 10, 6),
        D(2026, 10, 7),
    }


@pytest.mark.django_db
def test_seed_is_idempotent_and_keeps_years_an_administrator_entered(
    admin_user, django_capture_on_commit_callbacks
):
    do_enter_year_schedule(
        actor=admin_user,
        year=2026,
        days=[{"date": "2026-10-01", "kind": "holiday", "name": "国庆节"}],
        source="管理员",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = do_seed_from_chinese_calendar(actor=None)
    assert report.seeded == tuple(range(2004, 2026)) and report.skipped == (2026,)
    assert days_of(2026) == [(D(2026, 10, 1), "holiday", "国庆节", "")]
    assert CalendarYear.objects.filter(status="published").count() == 23
    assert CalendarYear.objects.get(year=2025).source == "chinese-calendar 1.11.0"
    assert days_of(2025)[:2] == [
        (D(2025, 1, 1), "holiday", "元旦", ""),
        (D(2025, 1, 26), "workday", "春节", ""),
    ]
    changes = ObjectChange.objects.count()
    assert changes == 2 + 22 * 2
    again = do_seed_from_chinese_calendar(actor=None)
    assert (again.seeded, again.skipped) == ((), tuple(range(2004, 2027)))
    assert ObjectChange.objects.count() == changes


@pytest.mark.django_db
def test_database_calendar_after_seeding_counts_the_glossary_examples(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_seed_from_chinese_calendar(actor=None)
    calendar = store.get_calendar()
    assert Clock.open(at(2026, 9, 16), Limit(15, "days")).due(calendar).due_date == D(2026, 10, 8)
    assert Clock.open(at(2026, 2, 10), Limit(5, "working_days")).due(calendar).due_date == D(2026, 2, 24)
    assert Clock.open(at(2026, 2, 13), Limit(1, "working_days")).due(calendar).due_date == D(2026, 2, 14)
    assert (calendar.is_known(2026), calendar.is_known(2027), calendar.is_known(2003)) == (True, False, False)


@pytest.mark.django_db
def test_entering_2027_recomputes_a_provisional_deadline(django_capture_on_commit_callbacks):
    """A 60-day clock accepted on 2026-11-02 reaches into 2027: provisional until the 2027 schedule
    is entered, then recomputed by the registered hook (as the case kernel will register)."""
    with django_capture_on_commit_callbacks(execute=True):
        do_seed_from_chinese_calendar(actor=None)
    clock = Clock.open(at(2026, 11, 2), Limit(60, "days"))
    stored = {"due": clock.due(store.get_calendar())}
    assert (stored["due"].due_date, stored["due"].provisional) == (D(2027, 1, 1), True)
    seen = []

    def recompute(years):
        seen.append(years)
        if stored["due"].provisional and any(y in years for y in stored["due"].unknown_years):
            stored["due"] = clock.due(store.get_calendar())

    hooks.on_schedule_entered(recompute)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            do_enter_year_schedule(actor=None, year=2027, days=SCHEDULE_2027, source="国办发明电〔2026〕1号")
            assert seen == []  # nothing before commit
    finally:
        hooks.remove_schedule_callback(recompute)
    assert seen == [frozenset({2027})]
    assert (stored["due"].due_date, stored["due"].provisional) == (D(2027, 1, 4), False)


@pytest.mark.django_db
def test_a_failing_hook_does_not_stop_the_others(caplog):
    calls = []

    def broken(years):
        raise RuntimeError("boom")

    hooks.on_schedule_entered(broken)
    hooks.on_schedule_entered(calls.append)
    hooks.on_schedule_entered(calls.append)  # registering twice has no effect
    try:
        hooks.notify_schedule_entered([2027, 2028])
    finally:
        hooks.remove_schedule_callback(broken)
        hooks.remove_schedule_callback(calls.append)
    assert calls == [frozenset({2027, 2028})]
    assert "failed for years [2027, 2028]" in caplog.text


@pytest.mark.django_db
def test_no_hook_runs_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    calls = []
    hooks.on_schedule_entered(calls.append)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            do_enter_year_schedule(actor=None, year=2027, days=SCHEDULE_2027, source="A")
            raise RuntimeError("later step failed")
    finally:
        hooks.remove_schedule_callback(calls.append)
    assert (calls, callbacks, CalendarDay.objects.count()) == ([], [], 0)


@pytest.mark.django_db
def test_another_process_entering_a_schedule_invalidates_the_cache(monkeypatch):
    calendar = store.get_calendar()
    assert calendar.is_workday(D(2027, 1, 1)) is True
    assert store.get_calendar() is calendar  # cached
    # Another process commits a 2027 schedule and bumps the counter (its services call mark_changed).
    CalendarYear.objects.create(year=2027, status="published", source="elsewhere")
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    CalendarVersion.objects.create(name="calendar", version=7)
    assert store.get_calendar() is calendar  # not looked at again within CHECK_INTERVAL
    monkeypatch.setattr(store, "CHECK_INTERVAL", 0.0)
    fresh = store.get_calendar()
    assert fresh is not calendar
    assert (fresh.version, fresh.is_workday(D(2027, 1, 1)), fresh.is_known(2027)) == (7, False, True)
    assert store.get_calendar() is fresh  # same version: kept


@pytest.mark.django_db
def test_entering_a_schedule_drops_this_process_cache_at_commit(django_capture_on_commit_callbacks):
    calendar = store.get_calendar()
    with django_capture_on_commit_callbacks(execute=True):
        do_enter_year_schedule(actor=None, year=2027, days=SCHEDULE_2027, source="A")
    fresh = store.get_calendar()
    assert fresh is not calendar
    assert (fresh.version, fresh.is_workday(D(2027, 1, 1)), fresh.is_workday(D(2027, 2, 6))) == (
        1,
        False,
        True,
    )


@pytest.mark.django_db
def test_a_provisional_year_is_counted_on_weekends_alone():
    CalendarYear.objects.create(year=2027, status="provisional", source="draft")
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    calendar = store.get_calendar()
    assert (calendar.is_known(2027), calendar.is_workday(D(2027, 1, 1))) == (False, True)
