"""Case timers: the sweep that turns clocks yellow and red, notifies handlers and escalates.

A clock (`CaseDeadline`) turns **yellow** when its `warn_at` has come — a share of its span,
CIVICGRID_DEADLINE_WARN_SHARE (default 0.8), computed by `clocks` when the clock starts or changes —
and **red** when `due_at` has come (a case is overdue when now >= due_at). Only running clocks
count: paused, met, missed and cancelled clocks are never touched.

For each change the sweep, in one transaction with the case and the clock locked:

* records it on the clock (`warned_at` / `overdue_at`; a clock first seen already overdue gets both
  stamps but only the red announcement — telling people "due soon" and "overdue" at once is noise),
* writes one timeline entry and one audit row,
* notifies the lead unit's members who may view cases and the case's dispatchers (see
  `recipients`), with the idempotency key ``deadline:<clock id>:<yellow|red>:<due time>`` (an extended deadline is announced again),
* on red, asks the kind's `auto_escalate(case)` hook and, if it says so, escalates the case one level
  through `services.do_escalate(actor=None)` — once per clock, since the red stamp commits with it.

Idempotent and crash-safe: a clock leaves the pending set in the same transaction that announces it,
one transaction per batch. A run killed mid-batch loses that batch only; the rerun does exactly the
clocks not yet done. Cases are locked before clocks (the order every service uses) and, on
PostgreSQL, with SKIP LOCKED, so the sweep never waits on a dispatcher's open transaction, nor two
sweeps on each other; a skipped clock is taken by the next run.

Runs every CIVICGRID_DEADLINE_SWEEP_SECONDS (default 60) as the periodic job "cases.timers" of the
`worker` command, or by hand / from cron as `manage.py sweep_deadlines`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from civicgrid.accounts.models import RoleAssignment, User
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import ServiceError
from civicgrid.core.periodic import register_periodic
from civicgrid.core.tasks import claimable
from civicgrid.notifications.services import notify

from . import services
from .choices import LEVEL_ORDER, ClockState, TimelineKind
from .kinds import get_kind
from .models import Case, CaseDeadline, TimelineEntry

logger = logging.getLogger(__name__)

YELLOW = "yellow"
RED = "red"
PERIODIC_NAME = "cases.timers"
DEFAULT_SWEEP_SECONDS = 60
DEFAULT_BATCH_SIZE = 500
# Channels per colour. Red also goes out by SMS: an overdue case is what a handler must not miss
# while away from the screen. A deployment changes this with CIVICGRID_DEADLINE_NOTIFY_CHANNELS.
DEFAULT_CHANNELS = {YELLOW: ("inbox",), RED: ("inbox", "sms")}

TITLES = {YELLOW: _("案件即将超期：%(number)s"), RED: _("案件已超期：%(number)s")}
BODIES = {
    YELLOW: _("案件 %(number)s“%(title)s”的“%(clock)s”时限将于 %(due)s 届满，请抓紧办理。"),
    RED: _("案件 %(number)s“%(title)s”的“%(clock)s”时限已于 %(due)s 届满，已超期。"),
}
NOTES = {
    YELLOW: _("“%(clock)s”时限即将届满（截止 %(due)s），黄牌预警"),
    RED: _("“%(clock)s”时限已届满（截止 %(due)s），红牌超期"),
}
TIMELINE_ACTIONS = {YELLOW: "deadline_warning", RED: "deadline_overdue"}
NOTIFICATION_KINDS = {YELLOW: "case.due_soon", RED: "case.overdue"}


@dataclass
class SweepResult:
    """What one sweep did: clocks turned yellow and red, cases escalated, escalations the kernel
    refused (already at the city level …), clocks skipped because another transaction held their
    case (they are taken by the next run)."""

    yellow: int = 0
    red: int = 0
    escalated: int = 0
    escalation_refused: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep_seconds() -> int:
    """CIVICGRID_DEADLINE_SWEEP_SECONDS: how often the worker runs the sweep (default 60)."""
    return max(int(getattr(settings, "CIVICGRID_DEADLINE_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)), 1)


def channels_for(state: str) -> tuple[str, ...]:
    configured = getattr(settings, "CIVICGRID_DEADLINE_NOTIFY_CHANNELS", None) or DEFAULT_CHANNELS
    return tuple(configured.get(state, DEFAULT_CHANNELS[state]))


def pending(now: dt.datetime):
    """Running clocks with a colour due and not yet announced."""
    return CaseDeadline.objects.filter(state=ClockState.RUNNING).filter(
        Q(warn_at__lte=now, warned_at__isnull=True) | Q(due_at__lte=now, overdue_at__isnull=True)
    )


# --- recipients ----------------------------------------------------------------------------------


def _path_prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _level_rank(level: str) -> int:
    """Position of an area level in the escalation order; a province sits above the city."""
    if level in LEVEL_ORDER:
        return LEVEL_ORDER.index(level)
    return len(LEVEL_ORDER) if level == "province" else -1


def dispatchers(case: Case) -> list[User]:
    """The case's dispatchers: active users granted `cases.dispatch_case` over the case's place at
    the level now handling it — of the grants covering the case's path whose area is at or above
    the case's handling level, the deepest. A village case in 东湖街道 goes to the 东湖 township
    officers; once escalated to the county, to the county dispatchers (not to every dispatcher in
    the city, who all hold the permission over it too)."""
    rank = _level_rank(case.handling_level)
    grants = (
        RoleAssignment.objects.filter(
            scope_path__in=_path_prefixes(case.path),
            role__is_active=True,
            user__is_active=True,
            role__permissions__content_type__app_label="cases",
            role__permissions__codename="dispatch_case",
        )
        .values_list("user_id", "scope_path", "area__level")
        .distinct()
    )
    eligible = [(path, user_id) for user_id, path, level in grants if _level_rank(level) >= rank]
    if not eligible:
        return []
    deepest = max(len(path) for path, _user in eligible)
    ids = {user_id for path, user_id in eligible if len(path) == deepest}
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def lead_unit_members(case: Case) -> list[User]:
    """Active members of the case's lead unit who hold `cases.view_case` through a role (so the
    notification's link opens for them; a member without any case role is not a handler)."""
    if case.lead_unit_id is None:
        return []
    return list(
        User.objects.filter(
            unit_id=case.lead_unit_id,
            is_active=True,
            assignments__role__is_active=True,
            assignments__role__permissions__content_type__app_label="cases",
            assignments__role__permissions__codename="view_case",
        )
        .distinct()
        .order_by("pk")
    )


def recipients(case: Case) -> list[User]:
    """Who hears of a case's yellow and red: its lead unit's members, then its dispatchers."""
    found = {user.pk: user for user in lead_unit_members(case)}
    for user in dispatchers(case):
        found.setdefault(user.pk, user)
    return list(found.values())


# --- the sweep -----------------------------------------------------------------------------------


def _due_text(clock: CaseDeadline) -> str:
    # Hour clocks end at a moment; day clocks at the end (24:00) of their last day.
    if clock.unit in ("hours", "working_hours"):
        return clock.due_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return clock.due_date.isoformat()


def _timeline(case: Case, clock: CaseDeadline, state: str, now: dt.datetime) -> TimelineEntry:
    """The system's entry (no actor) saying the clock turned yellow or red."""
    params = {"clock": clock.name, "due": _due_text(clock)}
    return TimelineEntry.objects.create(
        case=case,
        kind=TimelineKind.NOTE,
        action=TIMELINE_ACTIONS[state],
        note=str(NOTES[state] % params),
        data={"clock": clock.name, "deadline": clock.pk, "state": state, "due_at": clock.due_at.isoformat()},
        time=now,
    )


def _notify(case: Case, clock: CaseDeadline, state: str, people: list[User]) -> None:
    if not people:
        logger.warning("cases: %s of case %s has nobody to notify", state, case.number)
        return
    params = {"number": case.number, "title": case.title, "clock": clock.name, "due": _due_text(clock)}
    notify(
        recipients=people,
        kind=NOTIFICATION_KINDS[state],
        title=str(TITLES[state] % params),
        body=str(BODIES[state] % params),
        link=f"/cases/{case.pk}/",
        related=case,
        channels=channels_for(state),
        idempotency_key=f"deadline:{clock.pk}:{state}:{int(clock.due_at.timestamp())}",
    )


def _escalate(case: Case, clock: CaseDeadline, result: SweepResult) -> None:
    if not get_kind(case.kind).auto_escalate(case):
        return
    note = str(NOTES[RED] % {"clock": clock.name, "due": _due_text(clock)})
    try:
        # do_escalate's own atomic block is a savepoint here: a refusal undoes only the escalation.
        services.do_escalate(case, actor=None, expected_version=case.version, note=note)
    except ServiceError as exc:
        result.escalation_refused += 1
        logger.info("cases: auto-escalation of %s refused: %s", case.number, exc.code)
        return
    result.escalated += 1
    # The service saved its own copy; later clocks of this case in the batch need the new version,
    # level and lead unit.
    case.refresh_from_db()


def handle_clock(clock: CaseDeadline, case: Case, now: dt.datetime, result: SweepResult) -> None:
    """Announce one locked clock's colour (red wins over yellow) and take it out of `pending`.
    Called inside the batch's transaction with the case and the clock locked."""
    state = RED if clock.due_at <= now and clock.overdue_at is None else YELLOW
    before = snapshot(clock)
    if state == RED:
        clock.overdue_at = now
    if clock.warned_at is None:
        clock.warned_at = now
    clock.save(update_fields=["warned_at", "overdue_at"])
    record_change(
        actor=None, action=ChangeAction.UPDATE, instance=clock, before=before, after=snapshot(clock)
    )
    _timeline(case, clock, state, now)
    _notify(case, clock, state, recipients(case))
    if state == RED:
        result.red += 1
        _escalate(case, clock, result)
    else:
        result.yellow += 1


def _still_pending(clock: CaseDeadline, now: dt.datetime) -> bool:
    if clock.state != ClockState.RUNNING:
        return False
    return (clock.due_at <= now and clock.overdue_at is None) or (
        clock.warn_at is not None and clock.warn_at <= now and clock.warned_at is None
    )


def sweep_deadlines(now: dt.datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> SweepResult:
    """Turn every running clock whose warn point or deadline has come yellow or red, once; notify and
    escalate as the module docstring says. One transaction per batch of `batch_size` clocks; an
    exception rolls back the batch in hand and propagates (earlier batches stay done)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    result = SweepResult()
    skipped: set[int] = set()
    while True:
        with transaction.atomic():
            candidates = list(
                pending(now).exclude(pk__in=skipped).order_by("pk").values_list("pk", "case_id")[:batch_size]
            )
            if not candidates:
                break
            # Lock the cases first, as every service does (case, then its clocks), skipping cases
            # another transaction holds; their clocks wait for the next run.
            cases = {c.pk: c for c in claimable(Case.objects.filter(pk__in={cid for _pk, cid in candidates}))}
            held = [pk for pk, case_id in candidates if case_id not in cases]
            skipped.update(held)
            result.skipped += len(held)
            mine = [pk for pk, case_id in candidates if case_id in cases]
            for clock in CaseDeadline.objects.select_for_update().filter(pk__in=mine).order_by("pk"):
                # Re-checked under the lock: a service may have stopped or moved the clock since.
                if _still_pending(clock, now):
                    handle_clock(clock, cases[clock.case_id], now, result)
                else:
                    skipped.add(clock.pk)
    if result.yellow or result.red:
        logger.info("cases: deadline sweep %s", result.as_dict())
    return result


@task()
def sweep_deadlines_task() -> dict[str, int]:
    """The periodic job "cases.timers" (run by `manage.py worker`)."""
    return sweep_deadlines().as_dict()


def register_sweep():
    """Register the sweep with the periodic registry at CIVICGRID_DEADLINE_SWEEP_SECONDS
    (called from CasesConfig.ready)."""
    return register_periodic(PERIODIC_NAME, sweep_seconds(), sweep_deadlines_task)
