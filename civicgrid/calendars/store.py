"""The calendar the deadline engine reads: the holiday tables, cached in each process.

`get_calendar()` returns this process's `DatabaseCalendar`, a snapshot of the tables. Entering a
schedule bumps the shared `CalendarVersion` row after commit (`mark_changed`); every process compares
that row with the version its snapshot was built from at most once per `CHECK_INTERVAL` seconds and
rebuilds when it moved, so a schedule entered on one machine reaches all workers within a second.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from django.db import transaction
from django.db.models import F

from civicgrid.core.deadlines import TableCalendar

from .choices import DayKind, YearStatus

VERSION_NAME = "calendar"  # the CalendarVersion row this cache follows
CHECK_INTERVAL = 1.0  # seconds between looks at the version row (per process)

_lock = threading.Lock()
_current: DatabaseCalendar | None = None
_checked_at = 0.0


class DatabaseCalendar(TableCalendar):
    """The `WorkCalendar` of the holiday tables at one version: holidays and make-up workdays of
    published years; every other year is counted on weekends alone (`is_known` is False)."""

    @classmethod
    def load(cls, version: int | None = None) -> DatabaseCalendar:
        from .models import CalendarDay, CalendarYear

        known = set(CalendarYear.objects.filter(status=YearStatus.PUBLISHED).values_list("year", flat=True))
        holidays: list[dt.date] = []
        workdays: list[dt.date] = []
        for day, kind in CalendarDay.objects.values_list("date", "kind"):
            (workdays if kind == DayKind.WORKDAY else holidays).append(day)
        return cls(holidays=holidays, workdays=workdays, known_years=known, version=version)


def read_version() -> int:
    from .models import CalendarVersion

    version = CalendarVersion.objects.filter(name=VERSION_NAME).values_list("version", flat=True).first()
    return int(version or 0)


def get_calendar() -> DatabaseCalendar:
    """This process's calendar, rebuilt when the version row has moved (looked at ≤ once per
    CHECK_INTERVAL)."""
    global _current, _checked_at
    calendar = _current
    if calendar is not None and time.monotonic() - _checked_at < CHECK_INTERVAL:
        return calendar
    with _lock:
        calendar, now = _current, time.monotonic()
        if calendar is not None and now - _checked_at < CHECK_INTERVAL:
            return calendar
        # Read the version before the data: a change committed in between is either in the data or
        # shows up as a newer version on the next look, never lost.
        version = read_version()
        if calendar is None or calendar.version != version:
            calendar = DatabaseCalendar.load(version)
            _current = calendar
        _checked_at = now
        return calendar


def reset() -> None:
    """Drop this process's calendar; the next `get_calendar()` reloads it."""
    global _current, _checked_at
    with _lock:
        _current, _checked_at = None, 0.0


def mark_changed() -> None:
    """Record that the schedule changed: bump the shared version row (other processes reload within
    CHECK_INTERVAL) and drop this process's calendar at once. Call it after commit."""
    from .models import CalendarVersion

    with transaction.atomic():
        bumped = CalendarVersion.objects.filter(name=VERSION_NAME).update(version=F("version") + 1)
        if not bumped:
            _row, created = CalendarVersion.objects.get_or_create(name=VERSION_NAME, defaults={"version": 1})
            if not created:  # another process created it meanwhile
                CalendarVersion.objects.filter(name=VERSION_NAME).update(version=F("version") + 1)
    reset()
