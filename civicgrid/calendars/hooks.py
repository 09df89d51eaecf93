"""Who wants to hear that a year's schedule was entered.

Apps above `calendars` (the case kernel) store computed deadlines; when a schedule is entered, the
provisional ones reaching into those years must be recomputed. They register a callback at start-up
(`on_schedule_entered(recompute)` in their AppConfig.ready); the calendar services run the callbacks
after commit with the frozenset of years entered, once the cached calendar has been dropped. A
failing callback is logged and does not stop the others (the schedule is committed either way);
`notify_schedule_entered(years)` runs them again by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

ScheduleCallback = Callable[[frozenset[int]], object]
_callbacks: list[ScheduleCallback] = []


def on_schedule_entered(callback: ScheduleCallback) -> ScheduleCallback:
    """Register `callback(years)`; returns it, so it also works as a decorator. Registering the
    same callback twice has no effect."""
    if callback not in _callbacks:
        _callbacks.append(callback)
    return callback


def remove_schedule_callback(callback: ScheduleCallback) -> None:
    if callback in _callbacks:
        _callbacks.remove(callback)


def notify_schedule_entered(years: Iterable[int]) -> None:
    """Run every registered callback with `years`; one failing does not stop the rest."""
    years = frozenset(years)
    if not years:
        return
    for callback in list(_callbacks):
        try:
            callback(years)
        except Exception:
            logger.exception("calendar: callback %r failed for years %s", callback, sorted(years))
