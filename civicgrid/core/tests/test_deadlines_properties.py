"""Property tests of the deadline engine (hypothesis) on the real schedules 2004–2026 from the
chinese-calendar package, with 2027 and later unknown (counted on weekends alone)."""

import datetime as dt

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.core.deadlines import LOCAL_TZ, Clock, Limit, TableCalendar, Unit

CALENDAR = TableCalendar(chinese_calendar.holidays, chinese_calendar.workdays, range(2004, 2027))
DAY_UNITS = st.sampled_from([Unit.CALENDAR_DAYS, Unit.WORKING_DAYS])
ALL_UNITS = st.sampled_from(list(Unit))
AMOUNTS = st.integers(min_value=1, max_value=90)
STARTS = st.builds(
    lambda day, minutes: (
        dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ) + dt.timedelta(minutes=minutes)
    ),
    st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2027, 6, 30)),
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
PROPERTY = settings(max_examples=300, deadline=None)


def due(start, amount, unit, calendar=CALENDAR):
    return Clock.open(start, Limit(amount, unit)).due(calendar)


@PROPERTY
@given(STARTS, AMOUNTS, AMOUNTS, ALL_UNITS)
def test_n_then_m_equals_n_plus_m(start, n, m, unit):
    chained = Clock.following(due(start, n, unit), Limit(m, unit)).due(CALENDAR)
    whole = due(start, n + m, unit)
    if unit == Unit.CALENDAR_DAYS:
        # The rest-day roll of the first period may push the second one later, never earlier.
        assert chained.due_date >= whole.due_date
    else:
        assert chained.due_at == whole.due_at


@PROPERTY
@given(STARTS, AMOUNTS, DAY_UNITS)
def test_day_periods_end_on_a_workday(start, n, unit):
    result = due(start, n, unit)
    assert CALENDAR.is_workday(result.due_date)
    assert result.due_at == dt.datetime.combine(
        result.due_date + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ
    )


@PROPERTY
@given(STARTS, AMOUNTS)
def test_working_days_count_exactly_n_workdays_after_the_start_day(start, n):
    result = due(start, n, Unit.WORKING_DAYS)
    first = start.date() + dt.timedelta(days=1)
    days = [first + dt.timedelta(days=i) for i in range((result.due_date - first).days + 1)]
    assert sum(CALENDAR.is_workday(day) for day in days) == n


@PROPERTY
@given(STARTS, AMOUNTS)
def test_calendar_days_end_at_the_first_workday_on_or_after_day_n(start, n):
    result = due(start, n, Unit.CALENDAR_DAYS)
    nth = start.date() + dt.timedelta(days=n)
    assert result.due_date >= nth
    between = [nth + dt.timedelta(days=i) for i in range((result.due_date - nth).days)]
    assert not any(CALENDAR.is_workday(day) for day in between)


@PROPERTY
@given(STARTS, AMOUNTS, AMOUNTS, ALL_UNITS)
def test_deadline_is_monotone_in_n(start, n, m, unit):
    low, high = sorted((n, m))
    assert due(start, low, unit).due_at <= due(start, high, unit).due_at


@PROPERTY
@given(
    STARTS,
    AMOUNTS,
    ALL_UNITS,
    st.integers(min_value=0, max_value=120 * 24 * 60),
    st.integers(min_value=0, max_value=30 * 24 * 60),
)
def test_pausing_never_makes_a_deadline_earlier(start, n, unit, offset, length):
    clock = Clock.open(start, Limit(n, unit))
    pause_at = start + dt.timedelta(minutes=offset)
    paused = clock.pause(pause_at).resume(pause_at + dt.timedelta(minutes=length))
    assert paused.due(CALENDAR).due_at >= clock.due(CALENDAR).due_at


@PROPERTY
@given(STARTS, st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=600))
def test_wall_clock_hours_move_by_exactly_the_paused_time(start, hours, length):
    clock = Clock.open(start, Limit(hours, Unit.HOURS))
    assert clock.due(CALENDAR).due_at == start + dt.timedelta(hours=hours)
    pause_at = start + dt.timedelta(minutes=30)
    paused = clock.pause(pause_at).resume(pause_at + dt.timedelta(minutes=length))
    assert paused.due(CALENDAR).due_at == start + dt.timedelta(hours=hours, minutes=length)


@PROPERTY
@given(
    STARTS, AMOUNTS, st.integers(min_value=1, max_value=15), st.integers(min_value=1, max_value=15), ALL_UNITS
)
def test_extending_by_a_then_b_equals_a_plus_b(start, n, a, b, unit):
    clock = Clock.open(start, Limit(n, unit, max_extension=30))
    assert clock.extend(a).extend(b).due(CALENDAR) == clock.extend(a + b).due(CALENDAR)
    assert clock.extend(a).due(CALENDAR) == due(start, n + a, unit)


@PROPERTY
@given(STARTS, AMOUNTS, DAY_UNITS)
def test_provisional_exactly_when_a_counted_day_is_in_an_unknown_year(start, n, unit):
    result = due(start, n, unit)
    assert result.provisional is (result.due_date.year >= 2027)
    assert result.unknown_years == tuple(range(2027, result.due_date.year + 1))
