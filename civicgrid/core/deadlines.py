"""The deadline engine: when does a time limit (期限) end?

Pure arithmetic, no database. A calendar is any object with `is_workday(date) -> bool` and
`is_known(year) -> bool` (`WorkCalendar`); `civicgrid.calendars.DatabaseCalendar` reads it from
the holiday tables, `TableCalendar` and `WeekendCalendar` here serve tests and tools.

Counting rules (民法典 Arts. 200–204, the general rule where a statute says nothing else; see
docs/deadlines.md):

* The day a period starts is not counted; counting begins the next day (Art. 201).
* A period in calendar days (日) whose last day is a rest day (weekend or statutory holiday) ends on
  the next workday (Art. 203). A 调休 make-up Saturday is a workday.
* A period in working days (工作日) counts workdays from the next day; its last day is the n-th.
* The last day ends at 24:00 local time (Asia/Shanghai). `Due.due_at` is that instant written as
  00:00 of the following day: an *exclusive* end, so a case is overdue when `now >= due_at`.
  (A closing time of 23:59:59.999999 would leave a gap and depends on the database's precision.)
* Hours (小时) are wall-clock hours from the start instant; the rest-day rule does not apply.
  Working hours (`WORKING_HOURS`) count only the time that falls on workdays, 24 hours each;
  office hours (e.g. 9:00–17:00) are not modelled.
* A pause (中止/暂停, e.g. 听证时间不计入) stops the clock. For hours the paused time is simply
  not counted. For day units, the day the clock stops still counts, and the days after it up to and
  including the day it resumes do not: the resumption day is treated like a start day (Art. 201).
  A pause within one day therefore costs no day.
* An approved extension (延期) adds to the period in the same unit, up to the limit's maximum
  (e.g. 60 days + at most 30); more is refused. Extending by a then b equals extending by a + b: the
  rest-day rule is applied once, to the end of the extended period.
* A deadline is `provisional` when any day from the first counted day to the last day lies in a
  year whose holiday schedule the calendar does not know (such years are counted on weekends
  alone), or when the clock it follows was provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .errors import ServiceError

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ONE_DAY = dt.timedelta(days=1)
# A clock that needs more than this many days to run out is a mistake (or a calendar without
# workdays); stop rather than loop for ever.
MAX_SPAN_DAYS = 366 * 20


@runtime_checkable
class WorkCalendar(Protocol):
    def is_workday(self, day: dt.date) -> bool: ...

    def is_known(self, year: int) -> bool: ...


class WeekendCalendar:
    """Monday to Friday are workdays; no holiday is known. `known_years` only says which years to
    treat as known (tests)."""

    def __init__(self, known_years: Iterable[int] = ()):
        self.known_years = frozenset(known_years)

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5

    def is_known(self, year: int) -> bool:
        return year in self.known_years


class TableCalendar:
    """A calendar from tables: statutory holidays, 调休 make-up workdays and the years whose
    schedule is published. Days of an unknown year follow weekends alone, whatever the tables say."""

    def __init__(
        self,
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        known_years: Iterable[int] = (),
        version: int | None = None,
    ):
        self.known_years = frozenset(known_years)
        self.holidays = frozenset(d for d in holidays if d.year in self.known_years)
        self.workdays = frozenset(d for d in workdays if d.year in self.known_years)
        self.version = version

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_known(self, year: int) -> bool:
        return year in self.known_years


class Unit(StrEnum):
    CALENDAR_DAYS = "days"  # 日（自然日）
    WORKING_DAYS = "working_days"  # 工作日
    HOURS = "hours"  # 小时
    WORKING_HOURS = "working_hours"  # 工作小时（仅计工作日）


DAY_UNITS = frozenset({Unit.CALENDAR_DAYS, Unit.WORKING_DAYS})


class DeadlineError(ServiceError):
    """A clock that cannot be computed or changed as asked (bad amount, pause order, naive time)."""


class ExtensionRefused(DeadlineError):
    """An extension that would take the total extension past the limit's maximum."""


def _positive_int(value, field: str, code: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise DeadlineError(
            code,
            _("%(field)s 应为%(kind)s整数，收到“%(value)s”")
            % {"field": field, "kind": _("非负") if allow_zero else _("正"), "value": value},
            field=field,
        )
    return value


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise DeadlineError(
            "naive_datetime", _("%(field)s 必须是带时区的时间") % {"field": field}, field=field
        )
    return value


@dataclass(frozen=True)
class Limit:
    """A time limit: `amount` units, extensible by at most `max_extension` units in total."""

    amount: int
    unit: Unit
    max_extension: int = 0

    def __post_init__(self):
        _positive_int(self.amount, "amount", "invalid_amount")
        _positive_int(self.max_extension, "max_extension", "invalid_amount", allow_zero=True)
        try:
            object.__setattr__(self, "unit", Unit(self.unit))
        except ValueError:
            raise DeadlineError(
                "invalid_unit",
                _("期限单位“%(value)s”无效，应为 %(choices)s 之一")
                % {"value": self.unit, "choices": "、".join(Unit)},
                field="unit",
            ) from None


@dataclass(frozen=True)
class Pause:
    """The clock stood still from `start` until `end` (None: still stopped)."""

    start: dt.datetime
    end: dt.datetime | None = None


@dataclass(frozen=True)
class Due:
    """When a clock runs out.

    `due_date` is the last day of the period; `due_at` the exclusive end (24:00 of that day for day
    units, written as 00:00 of the next day, Asia/Shanghai). `paused` says a pause is still open
    and the figures assume it ends at the `as_of` given."""

    due_at: dt.datetime
    due_date: dt.date
    provisional: bool = False
    unknown_years: tuple[int, ...] = ()
    paused: bool = False

    def is_overdue(self, now: dt.datetime) -> bool:
        return _aware(now, "now") >= self.due_at


@dataclass(frozen=True)
class Clock:
    """A running time limit: when it opened, its limit, approved extensions and pauses.

    Build one with `Clock.open(start, limit)` or `Clock.following(previous_due, limit)`; change it
    with `extend`, `pause`, `resume` (each returns a new Clock); ask `due(calendar)`."""

    start: dt.datetime
    limit: Limit
    start_day: dt.date
    extensions: tuple[int, ...] = ()
    pauses: tuple[Pause, ...] = ()
    inherited_provisional: bool = False
    tz: dt.tzinfo = field(default=LOCAL_TZ, compare=False)

    @classmethod
    def open(cls, start: dt.datetime, limit: Limit, *, tz: dt.tzinfo = LOCAL_TZ) -> Clock:
        """A clock opened at the instant `start` (receipt, acceptance, dispatch …)."""
        start = _aware(start, "start")
        return cls(start=start, limit=limit, start_day=start.astimezone(tz).date(), tz=tz)

    @classmethod
    def following(cls, previous: Due, limit: Limit, *, tz: dt.tzinfo = LOCAL_TZ) -> Clock:
        """A clock that opens where `previous` ends: its start day is the previous last day, so day
        counting begins the day after it; hours run from the previous `due_at`. A provisional
        previous deadline makes this one provisional too."""
        return cls(
            start=previous.due_at,
            limit=limit,
            start_day=previous.due_date,
            inherited_provisional=previous.provisional,
            tz=tz,
        )

    @property
    def extended_by(self) -> int:
        return sum(self.extensions)

    @property
    def total(self) -> int:
        return self.limit.amount + self.extended_by

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def extend(self, amount: int) -> Clock:
        """Add an approved extension, or raise ExtensionRefused past the limit's maximum."""
        _positive_int(amount, "amount", "invalid_amount")
        allowed = self.limit.max_extension - self.extended_by
        if amount > allowed:
            raise ExtensionRefused(
                "extension_exceeds_maximum",
                _("延期 %(amount)d 超过上限：最多还可延期 %(allowed)d（累计上限 %(max)d）")
                % {"amount": amount, "allowed": max(allowed, 0), "max": self.limit.max_extension},
                field="amount",
                params={"allowed": max(allowed, 0), "maximum": self.limit.max_extension},
            )
        return replace(self, extensions=(*self.extensions, amount))

    def pause(self, at: dt.datetime) -> Clock:
        """Stop the clock at `at` (not before it opened, not while already stopped)."""
        at = _aware(at, "at")
        if self.is_paused:
            raise DeadlineError("already_paused", _("期限已处于暂停状态"), field="at")
        floor = self.pauses[-1].end if self.pauses else self.start
        if at < floor:
            raise DeadlineError(
                "pause_out_of_order", _("暂停时间不能早于期限开始或上次恢复的时间"), field="at"
            )
        return replace(self, pauses=(*self.pauses, Pause(at)))

    def resume(self, at: dt.datetime) -> Clock:
        """Restart a stopped clock at `at` (not before it stopped)."""
        at = _aware(at, "at")
        if not self.is_paused:
            raise DeadlineError("not_paused", _("期限未暂停，无法恢复"), field="at")
        last = self.pauses[-1]
        if at < last.start:
            raise DeadlineError("resume_before_pause", _("恢复时间不能早于暂停时间"), field="at")
        return replace(self, pauses=(*self.pauses[:-1], Pause(last.start, at)))

    def due(self, calendar: WorkCalendar, *, as_of: dt.datetime | None = None) -> Due:
        """When this clock runs out on `calendar`. A still-open pause needs `as_of`: the result
        then assumes the clock restarts at that instant."""
        return compute_due(self, calendar, as_of=as_of)


def _closed_pauses(clock: Clock, as_of: dt.datetime | None) -> list[tuple[dt.datetime, dt.datetime]]:
    intervals = []
    for pause in clock.pauses:
        end = pause.end
        if end is None:
            if as_of is None:
                raise DeadlineError(
                    "paused_without_as_of", _("期限暂停中，计算截止时间需给出参照时间"), field="as_of"
                )
            end = max(_aware(as_of, "as_of"), pause.start)
        intervals.append((pause.start, end))
    return intervals


def _unknown_years(calendar: WorkCalendar, first: dt.date, last: dt.date) -> tuple[int, ...]:
    return tuple(y for y in range(first.year, last.year + 1) if not calendar.is_known(y))


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz)


def _count_days(clock: Clock, calendar: WorkCalendar, pauses) -> dt.date:
    """The last day of a period in calendar or working days."""
    excluded: set[dt.date] = set()
    for start, end in pauses:
        first = start.astimezone(clock.tz).date() + ONE_DAY
        last = end.astimezone(clock.tz).date()
        while first <= last:
            excluded.add(first)
            first += ONE_DAY
    working = clock.limit.unit == Unit.WORKING_DAYS
    day, counted, stop = clock.start_day, 0, clock.start_day + dt.timedelta(days=MAX_SPAN_DAYS)
    while counted < clock.total:
        day += ONE_DAY
        if day > stop:
            raise DeadlineError("span_too_long", _("期限过长或日历中没有工作日"), field="amount")
        if day in excluded or (working and not calendar.is_workday(day)):
            continue
        counted += 1
    # Art. 203: a period in days whose last day is a rest day ends on the next workday.
    while day in excluded or not calendar.is_workday(day):
        day += ONE_DAY
        if day > stop:
            raise DeadlineError("span_too_long", _("期限过长或日历中没有工作日"), field="amount")
    return day


def _count_hours(clock: Clock, calendar: WorkCalendar, pauses) -> dt.datetime:
    """The end instant of a period in (working) hours: walk day by day, consuming the time that is
    running (not paused, and on a workday for working hours)."""
    remaining = dt.timedelta(hours=clock.total)
    working = clock.limit.unit == Unit.WORKING_HOURS
    cursor = clock.start.astimezone(clock.tz)
    day = cursor.date()
    for _step in range(MAX_SPAN_DAYS):
        day_end = _midnight(day + ONE_DAY, clock.tz)
        if not working or calendar.is_workday(day):
            segments = [(cursor, day_end)]
            for p_start, p_end in pauses:
                segments = [
                    piece
                    for a, b in segments
                    for piece in ((a, min(b, p_start)), (max(a, p_end), b))
                    if piece[0] < piece[1]
                ]
            for a, b in sorted(segments):
                if b - a >= remaining:
                    return a + remaining
                remaining -= b - a
        cursor, day = day_end, day + ONE_DAY
    raise DeadlineError("span_too_long", _("期限过长或日历中没有工作日"), field="amount")


def compute_due(clock: Clock, calendar: WorkCalendar, *, as_of: dt.datetime | None = None) -> Due:
    """When `clock` runs out on `calendar` (see the module docstring for the rules)."""
    pauses = _closed_pauses(clock, as_of)
    unit = clock.limit.unit
    if unit in DAY_UNITS:
        due_date = _count_days(clock, calendar, pauses)
        due_at = _midnight(due_date + ONE_DAY, clock.tz)
        unknown = _unknown_years(calendar, clock.start_day + ONE_DAY, due_date)
    else:
        due_at = _count_hours(clock, calendar, pauses).astimezone(clock.tz)
        due_date = (due_at - dt.timedelta(microseconds=1)).date()
        unknown = ()
        if unit == Unit.WORKING_HOURS:
            unknown = _unknown_years(calendar, clock.start.astimezone(clock.tz).date(), due_date)
    return Due(
        due_at=due_at,
        due_date=due_date,
        provisional=bool(unknown) or clock.inherited_provisional,
        unknown_years=unknown,
        paused=clock.is_paused,
    )


# --- chained clocks ------------------------------------------------------------------------------

OPENS_AT_PREVIOUS_END = "end"


@dataclass(frozen=True)
class ChainStep:
    """One clock of a chain. `opens` is OPENS_AT_PREVIOUS_END (the step opens where the previous
    step's deadline ends) or the name of an event whose instant opens it (e.g. "delivered")."""

    name: str
    limit: Limit
    opens: str = OPENS_AT_PREVIOUS_END


def plan_chain(
    start: dt.datetime,
    steps: Sequence[ChainStep],
    calendar: WorkCalendar,
    *,
    events: Mapping[str, dt.datetime] | None = None,
    tz: dt.tzinfo = LOCAL_TZ,
) -> dict[str, Due | None]:
    """Each step's deadline, in order. The first step opens at `start` unless it names an event;
    a step opened by an event that has not happened yet is None, and so is any step that would open
    at the end of a None step."""
    events = events or {}
    result: dict[str, Due | None] = {}
    previous: Due | None = None
    for index, step in enumerate(steps):
        if step.opens != OPENS_AT_PREVIOUS_END:
            at = events.get(step.opens)
            clock = Clock.open(at, step.limit, tz=tz) if at is not None else None
        elif index == 0:
            clock = Clock.open(start, step.limit, tz=tz)
        else:
            clock = Clock.following(previous, step.limit, tz=tz) if previous is not None else None
        previous = clock.due(calendar) if clock is not None else None
        result[step.name] = previous
    return result
