"""Deadline storage: start, stop, pause, resume, extend and recompute a case's clocks.

The arithmetic is `core.deadlines`; the holiday calendar is `calendars.store.get_calendar()`. These
helpers write `CaseDeadline` rows and must be called inside a service's transaction with the case
locked (`services.do_apply_action` calls them for the clocks a transition names). After changing
clocks, call `refresh_case_due(case)` and save the case's `due_at`/`warn_at`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.calendars.store import get_calendar
from civicgrid.core.deadlines import Clock, Due, Limit
from civicgrid.core.errors import ServiceError

from . import timeline
from .choices import OPEN_CLOCK_STATES, ClockState
from .error_codes import CaseErrorCode
from .models import Case, CaseDeadline

logger = logging.getLogger(__name__)

DEFAULT_WARN_SHARE = 0.8  # yellow once 80% of the span has passed, unless configured


def warn_share() -> float:
    """CIVICGRID_DEADLINE_WARN_SHARE: the share of a clock's span after which it turns yellow."""
    share = float(getattr(settings, "CIVICGRID_DEADLINE_WARN_SHARE", DEFAULT_WARN_SHARE))
    return min(max(share, 0.0), 1.0)


def _warn_at(started_at: dt.datetime, due_at: dt.datetime) -> dt.datetime:
    return started_at + (due_at - started_at) * warn_share()


def _apply(deadline: CaseDeadline, clock: Clock, *, as_of: dt.datetime | None = None) -> Due:
    due = clock.due(get_calendar(), as_of=as_of if clock.is_paused else None)
    deadline.store_clock(clock)
    deadline.store_due(due)
    deadline.warn_at = _warn_at(deadline.started_at, due.due_at)
    # A deadline that moved later (extension, pause, a schedule entered) is no longer yellow or red
    # until the sweep sees it pass again; its next announcement carries the new due time.
    now = timezone.now()
    if deadline.overdue_at and deadline.due_at and deadline.due_at > now:
        deadline.overdue_at = None
    if deadline.warned_at and deadline.warn_at and deadline.warn_at > now:
        deadline.warned_at = None
    return due


def open_clock(case: Case, name: str) -> CaseDeadline | None:
    """The running or paused clock `name` of the case, locked."""
    return (
        CaseDeadline.objects.select_for_update()
        .filter(case=case, name=name, state__in=OPEN_CLOCK_STATES)
        .first()
    )


def require_open_clock(case: Case, name: str) -> CaseDeadline:
    deadline = open_clock(case, name)
    if deadline is None:
        raise ServiceError(
            CaseErrorCode.NO_CLOCK, _("案件没有正在计时的“%(clock)s”时限") % {"clock": name}, field="clock"
        )
    return deadline


def start_clock(case: Case, name: str, limit: Limit, *, at: dt.datetime) -> CaseDeadline:
    """Open clock `name` at `at` with `limit`. An open clock of the same name is cancelled first
    (a reopened case gets a new handling deadline, not the old one)."""
    CaseDeadline.objects.filter(case=case, name=name, state__in=OPEN_CLOCK_STATES).update(
        state=ClockState.CANCELLED, stopped_at=at
    )
    clock = Clock.open(at, limit)
    deadline = CaseDeadline(
        case=case,
        name=name,
        amount=limit.amount,
        unit=str(limit.unit),
        max_extension=limit.max_extension,
        started_at=at,
        start_day=clock.start_day,
    )
    _apply(deadline, clock)
    deadline.save(force_insert=True)
    return deadline


def stop_clock(case: Case, name: str, *, at: dt.datetime) -> CaseDeadline | None:
    """Stop clock `name`: met when stopped before its deadline, missed otherwise. No open clock of
    that name: nothing to do (a transition may stop a clock some cases never had)."""
    deadline = open_clock(case, name)
    if deadline is None:
        return None
    if deadline.state == ClockState.PAUSED:  # the stop also ends the pause
        _apply(deadline, deadline.to_clock().resume(max(at, deadline.to_clock().pauses[-1].start)))
    deadline.state = ClockState.MET if at < deadline.due_at else ClockState.MISSED
    deadline.stopped_at = at
    deadline.save()
    return deadline


def stop_all_clocks(case: Case, *, at: dt.datetime) -> list[CaseDeadline]:
    names = CaseDeadline.objects.filter(case=case, state__in=OPEN_CLOCK_STATES).values_list("name", flat=True)
    return [stop_clock(case, name, at=at) for name in list(names)]


def pause_clock(case: Case, name: str, *, at: dt.datetime) -> CaseDeadline | None:
    deadline = open_clock(case, name)
    if deadline is None or deadline.state == ClockState.PAUSED:
        return deadline
    _apply(deadline, deadline.to_clock().pause(at), as_of=at)
    deadline.state = ClockState.PAUSED
    deadline.save()
    return deadline


def resume_clock(case: Case, name: str, *, at: dt.datetime) -> CaseDeadline | None:
    deadline = open_clock(case, name)
    if deadline is None or deadline.state != ClockState.PAUSED:
        return deadline
    _apply(deadline, deadline.to_clock().resume(at))
    deadline.state = ClockState.RUNNING
    deadline.save()
    return deadline


def extend_clock(deadline: CaseDeadline, amount: int) -> Due:
    """Add an approved extension (ExtensionRefused past the limit's maximum) and recompute."""
    clock = deadline.to_clock().extend(amount)
    due = _apply(deadline, clock, as_of=timezone.now())
    deadline.save()
    return due


def refresh_case_due(case: Case) -> None:
    """Mirror the earliest running clock onto the case (`due_at`, `warn_at`) for the inbox queues.
    Paused clocks do not count: a paused case is neither due soon nor overdue."""
    rows = list(
        CaseDeadline.objects.filter(case=case, state=ClockState.RUNNING).values_list("due_at", "warn_at")
    )
    case.due_at = min((r[0] for r in rows), default=None)
    case.warn_at = min((r[1] for r in rows if r[1] is not None), default=None)


def recompute_provisional(years) -> int:
    """Recompute the open provisional clocks that reach into `years` (a schedule was entered);
    returns how many changed. Registered with calendars.hooks.on_schedule_entered at start-up.
    Cases keep their version: this is the system correcting a figure, not a user's edit, and must
    not make a dispatcher's open form stale."""
    years = frozenset(years)
    if not years:
        return 0
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        candidates = CaseDeadline.objects.select_for_update().filter(
            provisional=True, state__in=OPEN_CLOCK_STATES, due_date__year__gte=min(years)
        )
        by_case: dict[int, list[dict]] = {}
        for deadline in candidates:
            if not years & set(deadline.unknown_years):
                continue
            old = (deadline.due_at, deadline.provisional)
            _apply(deadline, deadline.to_clock(), as_of=now)
            if (deadline.due_at, deadline.provisional) == old:
                continue
            deadline.save(
                update_fields=[
                    "due_at",
                    "due_date",
                    "provisional",
                    "unknown_years",
                    "warn_at",
                    "warned_at",
                    "overdue_at",
                ]
            )
            changed += 1
            by_case.setdefault(deadline.case_id, []).append(
                {"clock": deadline.name, "from": old[0].isoformat(), "to": deadline.due_at.isoformat()}
            )
        for case in Case.objects.select_for_update().filter(pk__in=by_case):
            refresh_case_due(case)
            case.save(update_fields=["due_at", "warn_at"])
            timeline.deadlines_recomputed(case, now, by_case[case.pk])
    if changed:
        logger.info("cases: recomputed %d provisional deadlines for years %s", changed, sorted(years))
    return changed
