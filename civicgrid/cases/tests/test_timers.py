"""The deadline sweep (cases.timers) on the fake kind: yellow at exactly the configured share, red
at the deadline, paused and stopped clocks untouched, idempotency, an interrupted run resumed with
exact counts, recipients, auto-escalation through the kind's hook, the periodic job, the command,
and a case held by another transaction skipped (PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import threading

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from civicgrid.accounts.models import User
from civicgrid.audit.models import ObjectChange
from civicgrid.cases import services, timers
from civicgrid.cases.models import Case, CaseDeadline, TimelineEntry
from civicgrid.core import periodic
from civicgrid.notifications.models import Notification, OutboundMessage
from civicgrid.notifications.scheduler import run_due_jobs

from .conftest import FAKE

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
TICK = dt.timedelta(microseconds=1)


def at(moment: dt.datetime):
    return time_machine.travel(moment, tick=False)


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


def sweep(moment: dt.datetime, **kw) -> timers.SweepResult:
    with at(moment):
        return timers.sweep_deadlines(**kw)


def counts(result: timers.SweepResult) -> tuple[int, int, int, int, int]:
    return (result.yellow, result.red, result.escalated, result.escalation_refused, result.skipped)


def marks(action: str) -> int:
    return TimelineEntry.objects.filter(action=action).count()


def everything():
    """What a sweep that has nothing to do must leave untouched."""
    return (
        list(
            CaseDeadline.objects.order_by("pk").values_list(
                "pk", "state", "due_at", "warned_at", "overdue_at"
            )
        ),
        list(Case.objects.order_by("pk").values_list("pk", "version", "handling_level", "status")),
        TimelineEntry.objects.count(),
        Notification.objects.count(),
        OutboundMessage.objects.count(),
        ObjectChange.objects.count(),
    )


def act(world, case, action, user, **kw):
    case.refresh_from_db()
    return services.do_apply_action(case, action, actor=world.user(user), expected_version=case.version, **kw)


@pytest.fixture
def escalating_kind(fake_kind):
    """The fake kind with an auto_escalate hook that says yes and records whom it was asked about."""
    asked: list[int] = []

    def hook(case):
        asked.append(case.pk)
        return True

    from civicgrid.cases.kinds import register_kind, unregister_kind

    unregister_kind("fake")
    register_kind(dataclasses.replace(FAKE, auto_escalate=hook))
    return asked


# --- colours -------------------------------------------------------------------------------------


def test_yellow_at_exactly_the_configured_share(world, open_case, settings):
    settings.CIVICGRID_DEADLINE_WARN_SHARE = 0.25
    with at(T0):
        case = open_case()
    clock = CaseDeadline.objects.get(case=case, name="response")
    assert clock.warn_at == hours(0.5)  # a quarter of two hours
    before = everything()
    assert counts(sweep(hours(0.5) - TICK)) == (0, 0, 0, 0, 0)
    assert everything() == before

    assert counts(sweep(hours(0.5))) == (1, 0, 0, 0, 0)
    clock.refresh_from_db()
    assert (clock.state, clock.warned_at, clock.overdue_at) == ("running", hours(0.5), None)
    entry = TimelineEntry.objects.get(case=case, action="deadline_warning")
    assert (entry.kind, entry.actor, entry.time, entry.note) == (
        "note",
        None,
        hours(0.5),
        "“response”时限即将届满（截止 2026-03-02 11:00），黄牌预警",
    )
    assert entry.data == {
        "clock": "response",
        "deadline": clock.pk,
        "state": "yellow",
        "due_at": "2026-03-02T03:00:00+00:00",
    }
    note = Notification.objects.get()
    assert (note.recipient.username, note.kind, note.idempotency_key, note.link) == (
        "township",
        "case.due_soon",
        f"deadline:{clock.pk}:yellow:{int(clock.due_at.timestamp())}",
        f"/cases/{case.pk}/",
    )
    assert note.title == "案件即将超期：T20263380010001"
    assert (
        note.body == "案件 T20263380010001“井盖缺失”的“response”时限将于 2026-03-02 11:00 届满，请抓紧办理。"
    )
    assert OutboundMessage.objects.count() == 0  # yellow goes to the inbox only
    audit = ObjectChange.objects.filter(object_type="cases.casedeadline").get()
    assert (audit.actor_id, audit.action, audit.before, audit.after) == (
        None,
        "update",
        {"warned_at": None},
        {"warned_at": "2026-03-02T01:30:00+00:00"},
    )
    case.refresh_from_db()
    assert case.version == 1  # the system's mark does not make anyone's open form stale


def test_red_at_the_deadline_after_yellow(world, open_case):
    with at(T0):
        case = open_case()
    clock = CaseDeadline.objects.get(case=case, name="response")
    assert counts(sweep(hours(1.6))) == (1, 0, 0, 0, 0)  # 80% of two hours, the default share
    assert counts(sweep(hours(2) - TICK)) == (0, 0, 0, 0, 0)
    assert counts(sweep(hours(2))) == (0, 1, 0, 0, 0)
    clock.refresh_from_db()
    assert (clock.warned_at, clock.overdue_at) == (hours(1.6), hours(2))
    assert [e.action for e in TimelineEntry.objects.filter(case=case)] == [
        "",
        "deadline_warning",
        "deadline_overdue",
    ]
    red = Notification.objects.get(kind="case.overdue")
    assert (red.recipient.username, red.idempotency_key, red.title) == (
        "township",
        f"deadline:{clock.pk}:red:{int(clock.due_at.timestamp())}",
        "案件已超期：T20263380010001",
    )
    sms = OutboundMessage.objects.get()
    assert (sms.channel, sms.recipient.username, sms.address, sms.status) == (
        "sms",
        "township",
        "13800002222",
        "queued",
    )
    case.refresh_from_db()
    assert (case.version, case.handling_level) == (1, "village")  # the fake kind never escalates


def test_clock_first_seen_overdue_is_announced_red_only(world, open_case):
    with at(T0):
        case = open_case()
    assert counts(sweep(hours(5))) == (0, 1, 0, 0, 0)
    clock = CaseDeadline.objects.get(case=case)
    assert (clock.warned_at, clock.overdue_at) == (hours(5), hours(5))
    assert (marks("deadline_warning"), marks("deadline_overdue")) == (0, 1)
    assert list(Notification.objects.values_list("kind", flat=True)) == ["case.overdue"]


def test_paused_met_missed_and_closed_clocks_are_untouched(world, open_case):
    with at(T0):
        paused = open_case(title="暂停")
        rejected = open_case(title="不予立案")
        late = open_case(title="逾期立案")
    with at(hours(1)):
        act(world, paused, "register", "township")
        act(world, paused, "dispatch", "township", lead=world.units["chengguan"].pk)
        act(world, paused, "accept", "handler")
        act(world, paused, "suspend", "handler")
        act(world, rejected, "reject", "township", note="重复上报")
    with at(hours(3)):
        act(world, late, "register", "township")
        act(world, late, "dispatch", "township", lead=world.units["chengguan"].pk)
        act(world, late, "accept", "handler")
        act(world, late, "handle", "handler")
        act(world, late, "close", "township")
    states = sorted(CaseDeadline.objects.values_list("case__title", "name", "state"))
    assert states == [
        ("不予立案", "response", "met"),
        ("暂停", "handling", "paused"),
        ("暂停", "response", "met"),
        ("逾期立案", "handling", "met"),
        ("逾期立案", "response", "missed"),
    ]
    before = everything()
    assert counts(sweep(T0 + dt.timedelta(days=60))) == (0, 0, 0, 0, 0)
    assert everything() == before


# --- idempotency and interruption ----------------------------------------------------------------


def test_running_twice_changes_nothing_the_second_time(world, open_case):
    with at(T0):
        first, second = open_case(), open_case()
    with at(hours(1)):
        act(world, second, "register", "township")  # response met; handling runs for days
    assert counts(sweep(hours(1.7))) == (1, 0, 0, 0, 0)
    after_first = everything()
    assert counts(sweep(hours(1.7))) == (0, 0, 0, 0, 0)
    assert everything() == after_first
    assert counts(sweep(hours(2.5))) == (0, 1, 0, 0, 0)
    after_red = everything()
    assert counts(sweep(hours(2.5))) == (0, 0, 0, 0, 0)
    assert counts(sweep(hours(3))) == (0, 0, 0, 0, 0)
    assert everything() == after_red
    assert Notification.objects.filter(related_id=str(first.pk)).count() == 2


@pytest.mark.django_db(transaction=True)
def test_killed_mid_batch_then_rerun_loses_and_duplicates_nothing(world, open_case, monkeypatch):
    with at(T0):
        cases = [open_case(title=f"案件{i}") for i in range(5)]
    real = timers.handle_clock
    calls = []

    def dies_on_fourth(clock, case, now, result):
        calls.append(clock.pk)
        if len(calls) == 4:
            raise RuntimeError("worker killed")
        real(clock, case, now, result)

    monkeypatch.setattr(timers, "handle_clock", dies_on_fourth)
    with pytest.raises(RuntimeError, match="worker killed"):
        sweep(hours(3), batch_size=2)
    # The first batch (two clocks) committed; the second rolled back whole, third never began.
    done = set(CaseDeadline.objects.filter(overdue_at__isnull=False).values_list("case_id", flat=True))
    assert done == {cases[0].pk, cases[1].pk}
    assert (marks("deadline_overdue"), Notification.objects.count(), OutboundMessage.objects.count()) == (
        2,
        2,
        2,
    )

    monkeypatch.setattr(timers, "handle_clock", real)
    assert counts(sweep(hours(3), batch_size=2)) == (0, 3, 0, 0, 0)
    assert CaseDeadline.objects.filter(overdue_at=hours(3)).count() == 5
    assert (marks("deadline_overdue"), Notification.objects.count(), OutboundMessage.objects.count()) == (
        5,
        5,
        5,
    )
    keys = sorted(Notification.objects.values_list("idempotency_key", flat=True))
    assert keys == sorted(
        f"deadline:{c.pk}:red:{int(c.due_at.timestamp())}" for c in CaseDeadline.objects.all()
    )
    assert ObjectChange.objects.filter(object_type="cases.casedeadline").count() == 5
    assert counts(sweep(hours(3), batch_size=2)) == (0, 0, 0, 0, 0)


# --- recipients ----------------------------------------------------------------------------------


def test_recipients_are_the_lead_units_case_staff_and_the_levels_dispatchers(world, open_case):
    chengguan = world.units["chengguan"]
    User.objects.create_user(username="clerk", unit=chengguan)  # a member without any case role
    User.objects.create_user(username="gone", unit=chengguan, is_active=False)
    with at(T0):
        undispatched = open_case()
        to_department = open_case()
        to_office = open_case()
    with at(hours(1)):
        act(world, to_department, "register", "township")
        act(
            world,
            to_department,
            "dispatch",
            "township",
            lead=chengguan.pk,
            co=[world.units["donghu_office"].pk],
        )
        act(world, to_office, "register", "township")
        act(world, to_office, "dispatch", "township", lead=world.units["donghu_office"].pk)

    def names(case):
        case.refresh_from_db()
        return [u.username for u in timers.recipients(case)]

    assert names(undispatched) == ["township"]
    assert names(to_department) == ["handler", "township"]
    assert names(to_office) == ["gridworker", "township", "mediator"]
    with at(hours(1)):
        services.do_escalate(
            to_department, actor=world.user("township"), expected_version=to_department.version
        )
    to_department.refresh_from_db()
    services.do_escalate(to_department, actor=world.user("township"), expected_version=to_department.version)
    assert names(to_department) == ["handler", "county"]  # now handled at the county

    assert counts(sweep(hours(2))) == (0, 1, 0, 0, 0)  # only the undispatched case's response clock
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["township"]


def test_red_notifies_every_recipient_once(world, open_case):
    with at(T0):
        case = open_case()
        act(world, case, "register", "township")
        act(world, case, "dispatch", "township", lead=world.units["chengguan"].pk)
    handling = CaseDeadline.objects.get(case=case, name="handling")
    assert counts(sweep(handling.due_at)) == (0, 1, 0, 0, 0)
    rows = Notification.objects.order_by("recipient__username").values_list(
        "recipient__username", "kind", "idempotency_key"
    )
    key = f"deadline:{handling.pk}:red:{int(handling.due_at.timestamp())}"
    assert list(rows) == [("handler", "case.overdue", key), ("township", "case.overdue", key)]
    assert sorted(OutboundMessage.objects.values_list("recipient__username", "address")) == [
        ("handler", "13800005555"),
        ("township", "13800002222"),
    ]


# --- auto-escalation -----------------------------------------------------------------------------


def test_auto_escalation_once_per_clock_through_the_kind_hook(world, open_case, escalating_kind):
    with at(T0):
        case = open_case()
    assert counts(sweep(hours(1.7))) == (1, 0, 0, 0, 0)
    assert escalating_kind == []  # yellow never escalates
    assert counts(sweep(hours(2))) == (0, 1, 1, 0, 0)
    assert escalating_kind == [case.pk]
    case.refresh_from_db()
    assert (case.handling_level, case.version) == ("township", 2)
    entry = TimelineEntry.objects.get(case=case, kind="escalated")
    assert (entry.actor, entry.data, entry.note) == (
        None,
        {"from": "village", "to": "township", "rerouted": True},
        "“response”时限已届满（截止 2026-03-02 11:00），红牌超期",
    )
    audit = ObjectChange.objects.filter(object_type="cases.case", action="update").get()
    assert (audit.actor_id, audit.after) == (None, {"handling_level": "township", "version": 2})
    assert counts(sweep(hours(3))) == (0, 0, 0, 0, 0)
    assert escalating_kind == [case.pk]
    assert TimelineEntry.objects.filter(kind="escalated").count() == 1


def test_no_escalation_without_the_hook(world, open_case):
    with at(T0):
        case = open_case()
    assert counts(sweep(hours(2))) == (0, 1, 0, 0, 0)
    case.refresh_from_db()
    assert (case.handling_level, case.version) == ("village", 1)
    assert TimelineEntry.objects.filter(kind="escalated").count() == 0


def test_escalation_refused_at_the_city_still_turns_red(world, open_case, escalating_kind):
    with at(T0):
        case = open_case(handling_level="city")
    assert counts(sweep(hours(2))) == (0, 1, 0, 1, 0)
    case.refresh_from_db()
    assert (case.handling_level, case.version) == ("city", 1)
    assert (marks("deadline_overdue"), TimelineEntry.objects.filter(kind="escalated").count()) == (1, 0)
    assert CaseDeadline.objects.get(case=case).overdue_at == hours(2)
    assert counts(sweep(hours(3))) == (0, 0, 0, 0, 0)
    assert escalating_kind == [case.pk]


# --- running it ----------------------------------------------------------------------------------


def test_registered_as_a_periodic_job_every_sixty_seconds_by_default(settings):
    jobs = {spec.name: spec for spec in periodic.registered_jobs()}
    assert jobs["cases.timers"].interval_seconds == 60
    assert jobs["cases.timers"].task is timers.sweep_deadlines_task
    settings.CIVICGRID_DEADLINE_SWEEP_SECONDS = 15
    try:
        assert timers.register_sweep().interval_seconds == 15
    finally:
        del settings.CIVICGRID_DEADLINE_SWEEP_SECONDS
        assert timers.register_sweep().interval_seconds == 60


def test_the_worker_enqueues_it_and_the_task_sweeps(world, open_case):
    with at(T0):
        open_case()
    assert "cases.timers" in run_due_jobs(worker_id="w1", now=hours(2))
    with at(hours(2)):
        assert timers.sweep_deadlines_task.call() == {
            "yellow": 0,
            "red": 1,
            "escalated": 0,
            "escalation_refused": 0,
            "skipped": 0,
        }


def test_management_command(world, open_case):
    with at(T0):
        open_case()
    out = io.StringIO()
    with at(hours(1.7)):
        call_command("sweep_deadlines", "--batch-size", "10", stdout=out)
    assert json.loads(out.getvalue()) == {
        "escalated": 0,
        "escalation_refused": 0,
        "red": 0,
        "skipped": 0,
        "yellow": 1,
    }
    with pytest.raises(CommandError):
        call_command("sweep_deadlines", "--batch-size", "0")
    with pytest.raises(ValueError):
        timers.sweep_deadlines(batch_size=0)


@pytest.mark.django_db(transaction=True)
def test_case_held_by_another_transaction_is_skipped_then_taken(world, open_case):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    with at(T0):
        held, free = open_case(), open_case()
    locked, release = threading.Event(), threading.Event()

    def dispatcher_holds_case():
        from django.db import connections

        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=dispatcher_holds_case)
    thread.start()
    try:
        assert locked.wait(10)
        assert counts(sweep(hours(2))) == (0, 1, 0, 0, 1)
        assert CaseDeadline.objects.get(case=free).overdue_at == hours(2)
        assert CaseDeadline.objects.get(case=held).overdue_at is None
    finally:
        release.set()
        thread.join()
    assert counts(sweep(hours(2))) == (0, 1, 0, 0, 0)
    assert CaseDeadline.objects.get(case=held).overdue_at == hours(2)


def test_an_extended_deadline_is_no_longer_red_and_is_announced_again(world, open_case):
    """An approved extension moves the deadline: the red mark goes, and when the new deadline passes
    the sweep marks and announces it again (a new notification, not blocked by the old key)."""
    from civicgrid.cases.clocks import extend_clock

    with at(T0):
        case = open_case()
    clock = CaseDeadline.objects.get(case=case, name="response")
    assert counts(sweep(hours(2)))[1] == 1  # red
    old_due = clock.due_at
    with at(hours(2.5)), transaction.atomic():
        clock = CaseDeadline.objects.select_for_update().get(pk=clock.pk)
        clock.max_extension = 10
        extend_clock(clock, 2)
    clock.refresh_from_db()
    assert clock.due_at > hours(2.5) > old_due
    assert (clock.warned_at, clock.overdue_at) == (None, None)
    assert counts(sweep(clock.due_at))[1] == 1  # red again
    clock.refresh_from_db()
    assert clock.overdue_at == clock.due_at
    assert Notification.objects.filter(kind="case.overdue").count() == 2
