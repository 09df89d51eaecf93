"""Table tests of the deadline engine with exact dates: the GLOSSARY's examples, the 2025 and 2026
Spring Festival and National Day make-up days, hours, pauses, extensions and chained clocks.

The calendar here is written out from the State Council's notices (2025: 国办发明电〔2024〕12号;
2026 as the chinese-calendar package has it), so these tests do not depend on the database."""

import datetime as dt

import pytest

from civicgrid.core.deadlines import (
    LOCAL_TZ,
    ChainStep,
    Clock,
    DeadlineError,
    ExtensionRefused,
    Limit,
    TableCalendar,
    Unit,
    WeekendCalendar,
    plan_chain,
)

D = dt.date


def span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


HOLIDAYS = [
    # 2025
    D(2025, 1, 1),
    *span(D(2025, 1, 28), D(2025, 2, 4)),  # 春节
    *span(D(2025, 4, 4), D(2025, 4, 6)),
    *span(D(2025, 5, 1), D(2025, 5, 5)),
    *span(D(2025, 5, 31), D(2025, 6, 2)),
    *span(D(2025, 10, 1), D(2025, 10, 8)),  # 国庆节、中秋节
    # 2026
    *span(D(2026, 1, 1), D(2026, 1, 3)),
    *span(D(2026, 2, 15), D(2026, 2, 23)),  # 春节
    *span(D(2026, 4, 4), D(2026, 4, 6)),
    *span(D(2026, 5, 1), D(2026, 5, 5)),
    *span(D(2026, 6, 19), D(2026, 6, 21)),
    *span(D(2026, 9, 25), D(2026, 9, 27)),  # 中秋节
    *span(D(2026, 10, 1), D(2026, 10, 7)),  # 国庆节
]
MAKE_UP_WORKDAYS = [
    D(2025, 1, 26),  # Sunday, 春节
    D(2025, 2, 8),  # Saturday, 春节
    D(2025, 4, 27),
    D(2025, 9, 28),  # Sunday, 国庆节
    D(2025, 10, 11),  # Saturday, 国庆节
    D(2026, 1, 4),
    D(2026, 2, 14),  # Saturday, 春节
    D(2026, 2, 28),  # Saturday, 春节
    D(2026, 5, 9),
    D(2026, 9, 20),  # Sunday
    D(2026, 10, 10),  # Saturday, 国庆节
]
CALENDAR = TableCalendar(HOLIDAYS, MAKE_UP_WORKDAYS, known_years=[2025, 2026])


def at(y, m, d, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, hour, minute, tzinfo=LOCAL_TZ)


def due_date(start: dt.date, amount: int, unit: str, calendar=CALENDAR) -> dt.date:
    return Clock.open(at(start.year, start.month, start.day), Limit(amount, unit)).due(calendar).due_date


CASES = [
    # GLOSSARY examples
    (D(2026, 9, 16), 15, "days", D(2026, 10, 8)),  # last day Oct 1 is a holiday → next workday
    (D(2026, 2, 10), 5, "working_days", D(2026, 2, 24)),  # across the Spring Festival
    (D(2026, 2, 13), 1, "working_days", D(2026, 2, 14)),  # Saturday make-up workday
    # 2025 Spring Festival: Jan 28–Feb 4 off, Sun Jan 26 and Sat Feb 8 worked
    (D(2025, 1, 24), 1, "working_days", D(2025, 1, 26)),
    (D(2025, 1, 24), 2, "working_days", D(2025, 1, 27)),
    (D(2025, 1, 24), 3, "working_days", D(2025, 2, 5)),
    (D(2025, 1, 24), 5, "working_days", D(2025, 2, 7)),
    (D(2025, 1, 24), 6, "working_days", D(2025, 2, 8)),
    (D(2025, 1, 23), 3, "days", D(2025, 1, 26)),  # ends on the make-up Sunday: no roll
    (D(2025, 1, 21), 7, "days", D(2025, 2, 5)),  # ends on Jan 28 → first workday after the span
    (D(2025, 1, 29), 10, "days", D(2025, 2, 8)),  # make-up Saturday
    # 2025 National Day: Oct 1–8 off, Sun Sep 28 and Sat Oct 11 worked
    (D(2025, 9, 26), 1, "working_days", D(2025, 9, 28)),
    (D(2025, 9, 26), 3, "working_days", D(2025, 9, 30)),
    (D(2025, 9, 26), 4, "working_days", D(2025, 10, 9)),
    (D(2025, 9, 26), 6, "working_days", D(2025, 10, 11)),
    (D(2025, 9, 22), 10, "days", D(2025, 10, 9)),
    (D(2025, 9, 22), 19, "days", D(2025, 10, 11)),
    (D(2025, 9, 22), 20, "days", D(2025, 10, 13)),  # Sunday Oct 12 → Monday
    # 2026 Spring Festival: Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked
    (D(2026, 2, 27), 1, "working_days", D(2026, 2, 28)),
    (D(2026, 2, 10), 5, "days", D(2026, 2, 24)),
    (D(2026, 2, 12), 2, "days", D(2026, 2, 14)),
    # 2026 National Day: Oct 1–7 off, Sat Oct 10 worked; Mid-autumn Sep 25–27, Sun Sep 20 worked
    (D(2026, 9, 30), 1, "working_days", D(2026, 10, 8)),
    (D(2026, 9, 30), 3, "working_days", D(2026, 10, 10)),
    (D(2026, 9, 18), 1, "working_days", D(2026, 9, 20)),
    (D(2026, 9, 24), 1, "working_days", D(2026, 9, 28)),
    (D(2026, 9, 29), 8, "days", D(2026, 10, 8)),
    # ordinary weeks
    (D(2026, 3, 6), 1, "working_days", D(2026, 3, 9)),  # Friday → Monday
    (D(2026, 3, 2), 15, "days", D(2026, 3, 17)),
    (D(2026, 3, 2), 60, "days", D(2026, 5, 6)),  # May 1 is a holiday, May 1–5
]


@pytest.mark.parametrize(("start", "amount", "unit", "expected"), CASES)
def test_table(start, amount, unit, expected):
    assert due_date(start, amount, unit) == expected


def test_due_at_is_the_end_of_the_last_day_in_shanghai():
    due = Clock.open(at(2026, 9, 16, 23, 30), Limit(15, Unit.CALENDAR_DAYS)).due(CALENDAR)
    assert due.due_at == dt.datetime(2026, 10, 9, 0, 0, tzinfo=LOCAL_TZ)
    assert due.due_at.isoformat() == "2026-10-09T00:00:00+08:00"
    assert due.is_overdue(at(2026, 10, 8, 23, 59)) is False
    assert due.is_overdue(dt.datetime(2026, 10, 8, 15, 59, 59, tzinfo=dt.UTC)) is False
    assert due.is_overdue(dt.datetime(2026, 10, 8, 16, 0, tzinfo=dt.UTC)) is True
    assert (due.provisional, due.unknown_years, due.paused) == (False, (), False)


def test_start_day_is_the_local_day():
    # 2026-02-12 17:00 UTC is 2026-02-13 01:00 in Shanghai: counting starts on Saturday the 14th.
    start = dt.datetime(2026, 2, 12, 17, 0, tzinfo=dt.UTC)
    assert Clock.open(start, Limit(1, "working_days")).due(CALENDAR).due_date == D(2026, 2, 14)


def test_unknown_year_is_counted_on_weekends_and_flagged():
    # 60 days from acceptance on 2026-11-02 reach Friday 2027-01-01: a workday on weekends alone.
    due = Clock.open(at(2026, 11, 2), Limit(60, "days")).due(CALENDAR)
    assert (due.due_date, due.provisional, due.unknown_years) == (D(2027, 1, 1), True, (2027,))
    # The same with 2027's New Year holiday known moves it to Monday Jan 4 and clears the flag.
    with_2027 = TableCalendar(
        [*HOLIDAYS, *span(D(2027, 1, 1), D(2027, 1, 3))], MAKE_UP_WORKDAYS, [2025, 2026, 2027]
    )
    due = Clock.open(at(2026, 11, 2), Limit(60, "days")).due(with_2027)
    assert (due.due_date, due.provisional, due.unknown_years) == (D(2027, 1, 4), False, ())


def test_a_period_inside_a_known_year_is_not_provisional_and_one_before_it_is():
    assert Clock.open(at(2026, 12, 1), Limit(5, "working_days")).due(CALENDAR).provisional is False
    due = Clock.open(at(2024, 12, 30), Limit(3, "working_days")).due(CALENDAR)
    assert (due.due_date, due.provisional, due.unknown_years) == (D(2025, 1, 3), True, (2024,))  # Jan 1 off


def test_table_calendar_ignores_rows_of_unknown_years():
    calendar = TableCalendar([D(2027, 1, 1)], [D(2027, 1, 9)], known_years=[2026])
    assert calendar.is_workday(D(2027, 1, 1)) is True
    assert calendar.is_workday(D(2027, 1, 9)) is False
    assert WeekendCalendar().is_workday(D(2026, 10, 1)) is True
    assert WeekendCalendar([2026]).is_known(2026) is True


# --- hours ---------------------------------------------------------------------------------------


def test_wall_clock_hours_ignore_the_calendar():
    due = Clock.open(at(2026, 2, 13, 10), Limit(48, Unit.HOURS)).due(CALENDAR)
    assert (due.due_at, due.due_date, due.provisional) == (at(2026, 2, 15, 10), D(2026, 2, 15), False)
    due = Clock.open(at(2026, 12, 31, 10), Limit(48, Unit.HOURS)).due(CALENDAR)
    assert (due.due_at, due.provisional) == (at(2027, 1, 2, 10), False)


def test_hours_ending_at_midnight_belong_to_the_day_before():
    due = Clock.open(at(2026, 3, 2, 10), Limit(14, Unit.HOURS)).due(CALENDAR)
    assert (due.due_at, due.due_date) == (at(2026, 3, 3, 0), D(2026, 3, 2))


def test_working_hours_skip_rest_days():
    start = at(2026, 2, 13, 10)  # Friday; Saturday 14th is a make-up workday, 15th–23rd off
    assert Clock.open(start, Limit(24, Unit.WORKING_HOURS)).due(CALENDAR).due_at == at(2026, 2, 14, 10)
    assert Clock.open(start, Limit(48, Unit.WORKING_HOURS)).due(CALENDAR).due_at == at(2026, 2, 24, 10)
    # Started on a holiday, the clock waits for the first workday.
    assert Clock.open(at(2026, 10, 3, 15), Limit(2, "working_hours")).due(CALENDAR).due_at == at(
        2026, 10, 8, 2
    )
    due = Clock.open(at(2026, 12, 31, 10), Limit(24, "working_hours")).due(CALENDAR)
    assert (due.due_at, due.provisional, due.unknown_years) == (at(2027, 1, 1, 10), True, (2027,))


# --- pauses --------------------------------------------------------------------------------------


def test_pause_in_calendar_days_skips_the_days_after_the_stop_up_to_the_resumption():
    clock = Clock.open(at(2026, 3, 2), Limit(15, "days"))
    assert clock.due(CALENDAR).due_date == D(2026, 3, 17)
    paused = clock.pause(at(2026, 3, 5, 9)).resume(at(2026, 3, 7, 15))  # Mar 6 and 7 do not count
    assert paused.due(CALENDAR).due_date == D(2026, 3, 19)
    same_day = clock.pause(at(2026, 3, 5, 9)).resume(at(2026, 3, 5, 17))
    assert same_day.due(CALENDAR).due_date == D(2026, 3, 17)


def test_pause_in_working_days():
    clock = Clock.open(at(2026, 3, 2), Limit(5, "working_days"))
    assert clock.due(CALENDAR).due_date == D(2026, 3, 9)
    paused = clock.pause(at(2026, 3, 4, 10)).resume(at(2026, 3, 9, 10))  # Mar 5–9 do not count
    assert paused.due(CALENDAR).due_date == D(2026, 3, 12)


def test_pause_in_hours_adds_the_paused_time():
    clock = Clock.open(at(2026, 3, 2, 8), Limit(10, "hours"))
    paused = clock.pause(at(2026, 3, 2, 9)).resume(at(2026, 3, 2, 11, 30))
    assert paused.due(CALENDAR).due_at == at(2026, 3, 2, 20, 30)
    twice = paused.pause(at(2026, 3, 2, 12)).resume(at(2026, 3, 3, 12))
    assert twice.due(CALENDAR).due_at == at(2026, 3, 3, 20, 30)


def test_pause_after_the_deadline_changes_nothing():
    clock = Clock.open(at(2026, 3, 2), Limit(15, "days")).pause(at(2026, 3, 20)).resume(at(2026, 4, 20))
    assert clock.due(CALENDAR).due_date == D(2026, 3, 17)


def test_open_pause_needs_as_of_and_assumes_resumption_then():
    clock = Clock.open(at(2026, 3, 2), Limit(15, "days")).pause(at(2026, 3, 5, 9))
    with pytest.raises(DeadlineError) as info:
        clock.due(CALENDAR)
    assert (info.value.code, info.value.field) == ("paused_without_as_of", "as_of")
    due = clock.due(CALENDAR, as_of=at(2026, 3, 10, 9))  # Mar 6–10 do not count
    assert (due.due_date, due.paused) == (D(2026, 3, 23), True)


def test_pause_order_is_checked():
    clock = Clock.open(at(2026, 3, 2), Limit(15, "days"))
    with pytest.raises(DeadlineError) as info:
        clock.pause(at(2026, 3, 1))
    assert info.value.code == "pause_out_of_order"
    with pytest.raises(DeadlineError) as info:
        clock.resume(at(2026, 3, 3))
    assert info.value.code == "not_paused"
    paused = clock.pause(at(2026, 3, 4))
    with pytest.raises(DeadlineError) as info:
        paused.pause(at(2026, 3, 5))
    assert info.value.code == "already_paused"
    with pytest.raises(DeadlineError) as info:
        paused.resume(at(2026, 3, 3))
    assert (info.value.code, info.value.field) == ("resume_before_pause", "at")
    with pytest.raises(DeadlineError) as info:
        paused.resume(dt.datetime(2026, 3, 6, 10))
    assert (info.value.code, info.value.field) == ("naive_datetime", "at")


# --- extensions ----------------------------------------------------------------------------------


def test_petition_handling_sixty_days_plus_at_most_thirty():
    clock = Clock.open(at(2026, 3, 2), Limit(60, "days", max_extension=30))
    assert clock.due(CALENDAR).due_date == D(2026, 5, 6)
    extended = clock.extend(30)
    assert (extended.total, extended.due(CALENDAR).due_date) == (90, D(2026, 6, 1))  # May 31 is Sunday
    assert clock.extend(20).extend(10).due(CALENDAR) == extended.due(CALENDAR)


def test_extension_beyond_the_maximum_is_refused():
    clock = Clock.open(at(2026, 3, 2), Limit(60, "days", max_extension=30)).extend(20)
    with pytest.raises(ExtensionRefused) as info:
        clock.extend(11)
    assert (info.value.code, info.value.field) == ("extension_exceeds_maximum", "amount")
    assert info.value.params == {"allowed": 10, "maximum": 30}
    assert clock.extensions == (20,)
    with pytest.raises(ExtensionRefused):
        Clock.open(at(2026, 3, 2), Limit(5, "working_days")).extend(1)
    with pytest.raises(DeadlineError) as info:
        clock.extend(0)
    assert info.value.code == "invalid_amount"


def test_limits_are_validated():
    for amount in (0, -1, 1.5, True):
        with pytest.raises(DeadlineError) as info:
            Limit(amount, "days")
        assert (info.value.code, info.value.field) == ("invalid_amount", "amount")
    with pytest.raises(DeadlineError) as info:
        Limit(5, "weeks")
    assert (info.value.code, info.value.field) == ("invalid_unit", "unit")
    with pytest.raises(DeadlineError) as info:
        Clock.open(dt.datetime(2026, 3, 2, 10), Limit(5, "days"))
    assert info.value.code == "naive_datetime"
    assert Limit(5, "working_days").unit is Unit.WORKING_DAYS


# --- chained clocks ------------------------------------------------------------------------------


def test_chain_from_the_end_and_from_an_event():
    steps = [
        ChainStep("register", Limit(15, "days")),  # 信访部门 registers and transfers (Art. 22)
        ChainStep("decide_acceptance", Limit(15, "days")),  # opens where the first ends
        ChainStep("handle", Limit(60, "days", max_extension=30), opens="accepted"),
        ChainStep("report", Limit(24, "hours")),
    ]
    plan = plan_chain(at(2026, 9, 16), steps, CALENDAR)
    assert plan["register"].due_date == D(2026, 10, 8)
    assert plan["decide_acceptance"].due_date == D(2026, 10, 23)
    assert plan["handle"] is None and plan["report"] is None
    plan = plan_chain(at(2026, 9, 16), steps, CALENDAR, events={"accepted": at(2026, 10, 20, 16)})
    assert plan["handle"].due_date == D(2026, 12, 21)  # Dec 19 is a Saturday
    assert plan["report"].due_at == at(2026, 12, 23, 0)  # 24 hours after 24:00 of Dec 21


def test_following_counts_from_the_day_after_the_previous_last_day():
    first = Clock.open(at(2026, 2, 10), Limit(3, "working_days")).due(CALENDAR)
    assert first.due_date == D(2026, 2, 13)
    second = Clock.following(first, Limit(2, "working_days")).due(CALENDAR)
    assert second.due_date == D(2026, 2, 24)
    assert second == Clock.open(at(2026, 2, 10), Limit(5, "working_days")).due(CALENDAR)


def test_a_clock_following_a_provisional_one_is_provisional():
    first = Clock.open(at(2026, 11, 2), Limit(60, "days")).due(CALENDAR)
    second = Clock.following(first, Limit(2, "hours")).due(CALENDAR)
    assert (second.due_at, second.provisional, second.unknown_years) == (at(2027, 1, 2, 2), True, ())
