"""The case kernel's services on the fake kind: opening and numbering, workflow actions, version
conflicts, reach, assignments, clocks, extensions, escalation, urging and supervision."""

import datetime as dt

import pytest
import time_machine

from civicgrid.audit.models import ObjectChange
from civicgrid.cases import services
from civicgrid.cases.models import Assignment, Case, CaseDeadline, TimelineEntry
from civicgrid.core.deadlines import ExtensionRefused
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.workflow import IllegalTransition

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def at(hours: float):
    return time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False)


def state(case):
    """Everything a refused write must leave untouched."""
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.version,
        case.lead_unit_id,
        case.handling_level,
        case.supervision,
        case.urge_count,
        TimelineEntry.objects.filter(case=case).count(),
        Assignment.objects.filter(case=case).count(),
        list(
            CaseDeadline.objects.filter(case=case).values_list("name", "state", "due_at", "pending_extension")
        ),
        ObjectChange.objects.count(),
    )


def act(world, case, action, user, **kw):
    case.refresh_from_db()
    return services.do_apply_action(case, action, actor=world.user(user), expected_version=case.version, **kw)


def test_open_case_numbers_scopes_times_and_records(world, open_case):
    with at(0):
        case = open_case()
        second = open_case()
    assert case.number == "T20263380010001"
    assert second.number == "T20263380010002"
    assert (case.kind, case.status, case.version, case.handling_level) == ("fake", "reported", 1, "village")
    assert case.path == "33/3380/338001/338001001/338001001001/338001001001001/"
    assert case.created_by == world.user("gridworker")
    response = CaseDeadline.objects.get(case=case)
    assert (response.name, response.state, response.due_at) == (
        "response",
        "running",
        T0 + dt.timedelta(hours=2),
    )
    assert case.due_at == T0 + dt.timedelta(hours=2)
    assert case.warn_at == T0 + dt.timedelta(minutes=96)  # 80% of two hours
    entry = TimelineEntry.objects.get(case=case)
    assert (entry.kind, entry.to_status, entry.actor) == ("opened", "reported", world.user("gridworker"))
    audit = ObjectChange.objects.filter(object_type="cases.case", object_id=str(case.pk)).get()
    assert (audit.action, audit.after["number"]) == ("create", "T20263380010001")


def test_open_case_refused_outside_reach(world, open_case):
    before = (Case.objects.count(), ObjectChange.objects.count())
    with pytest.raises(NotPermitted):
        open_case(grid="338002101201001", actor="gridworker")  # another county
    with pytest.raises(NotPermitted):
        open_case(actor="nobody")
    with pytest.raises(ServiceError) as exc:
        open_case(title="  ")
    assert (exc.value.code, exc.value.field) == ("invalid_title", "title")
    assert (Case.objects.count(), ObjectChange.objects.count()) == before


def test_register_stops_response_and_starts_handling(world, open_case):
    with at(0):
        case = open_case()
    with at(1):
        case = act(world, case, "register", "township")
    assert (case.status, case.version) == ("registered", 2)
    clocks = {d.name: d for d in CaseDeadline.objects.filter(case=case)}
    assert clocks["response"].state == "met"
    handling = clocks["handling"]
    assert (handling.state, handling.due_date, handling.provisional) == ("running", dt.date(2026, 3, 9), True)
    assert handling.due_at == dt.datetime(2026, 3, 10, tzinfo=TZ)
    assert case.due_at == handling.due_at
    entry = TimelineEntry.objects.filter(case=case).last()
    assert (entry.kind, entry.action, entry.from_status, entry.to_status) == (
        "transition",
        "register",
        "reported",
        "registered",
    )
    assert ObjectChange.objects.filter(object_type="cases.case", action="update").get().after == {
        "status": "registered",
        "version": 2,
        "due_at": "2026-03-09T16:00:00+00:00",
        "warn_at": handling.warn_at.astimezone(dt.UTC).isoformat(),
    }


def test_response_missed_when_registered_late(world, open_case):
    with at(0):
        case = open_case()
    with at(3):
        act(world, case, "register", "township")
    assert CaseDeadline.objects.get(case=case, name="response").state == "missed"


def test_illegal_transition_changes_nothing(world, open_case):
    case = open_case()
    before = state(case)
    with pytest.raises(IllegalTransition) as exc:
        act(world, case, "close", "township")
    assert (exc.value.code, exc.value.field, str(exc.value.message)) == (
        "illegal_transition",
        "action",
        "当前状态“已上报”下不能执行“结案”",
    )
    assert state(case) == before


def test_note_required(world, open_case):
    case = open_case()
    before = state(case)
    with pytest.raises(ServiceError) as exc:
        act(world, case, "reject", "township", note="  ")
    assert (exc.value.code, exc.value.field) == ("note_required", "note")
    assert state(case) == before
    case = act(world, case, "reject", "township", note="不属于受理范围")
    assert (case.status, case.closed_at is not None, case.due_at) == ("rejected", True, None)
    assert CaseDeadline.objects.get(case=case).state in {"met", "missed"}


def test_two_dispatchers_second_gets_conflict(world, open_case):
    case = open_case()
    case = act(world, case, "register", "township")
    seen = case.version
    county, city = world.user("county"), world.user("city")
    services.do_apply_action(
        case.pk, "dispatch", actor=county, expected_version=seen, lead=world.units["chengguan"].pk
    )
    before = state(case)
    with pytest.raises(ServiceError) as exc:
        services.do_apply_action(
            case.pk, "dispatch", actor=city, expected_version=seen, lead=world.units["donghu_office"].pk
        )
    assert (exc.value.code, exc.value.field, exc.value.params) == (
        "conflict",
        "version",
        {"current": 3, "expected": 2},
    )
    assert state(case) == before
    case.refresh_from_db()
    assert case.lead_unit == world.units["chengguan"]
    assert list(Assignment.objects.filter(case=case).values_list("unit__code", "status")) == [
        ("jiangdong-chengguan", "pending")
    ]


@pytest.mark.parametrize("user", ["outsider", "nobody", "auditor"])
def test_denied_actions_change_nothing(world, open_case, user):
    case = open_case()
    before = state(case)
    with pytest.raises(NotPermitted) as exc:
        act(world, case, "register", user)
    assert exc.value.code == "not_found"
    assert state(case) == before


def test_grid_worker_cannot_register_but_sees_the_case(world, open_case):
    case = open_case()
    before = state(case)
    with pytest.raises(NotPermitted):
        act(world, case, "register", "gridworker")
    assert state(case) == before
    assert [t.action for t in services.available_actions(case, world.user("township"))] == [
        "register",
        "reject",
    ]
    assert services.available_actions(case, world.user("gridworker")) == []


def dispatched(world, open_case, grid="338001001001001", lead="chengguan", **kw):
    case = open_case(grid=grid, actor="city" if grid.startswith("338002") else "gridworker")
    case = act(world, case, "register", "city")
    return act(world, case, "dispatch", "city", lead=world.units[lead].pk, **kw)


def test_handler_reaches_assigned_case_outside_their_area(world, open_case):
    handler = world.user("handler")  # department handler of 江东区城管, granted in county A only
    case = dispatched(world, open_case, grid="338002101201001")  # county B
    assert Case.objects.restrict(handler, "cases.view_case").filter(pk=case.pk).exists()
    case = act(world, case, "accept", "handler")
    assert case.status == "accepted"
    assignment = Assignment.objects.get(case=case)
    assert (assignment.status, assignment.accepted_at is not None) == ("accepted", True)
    # Other county-B cases stay out of reach.
    other = open_case(grid="338002101201001", actor="city")
    assert not Case.objects.restrict(handler, "cases.view_case").filter(pk=other.pk).exists()
    # A withdrawn assignment no longer gives reach.
    case2 = dispatched(world, open_case, grid="338002101201001")
    case2.refresh_from_db()
    services.do_assign(
        case2, [], world.units["beishan_office"], actor=world.user("city"), expected_version=case2.version
    )
    assert not Case.objects.restrict(handler, "cases.view_case").filter(pk=case2.pk).exists()
    assert list(Assignment.objects.filter(case=case2).values_list("unit__code", "status")) == [
        ("jiangdong-chengguan", "withdrawn"),
        ("beishan-office", "pending"),
    ]


def test_designated_unit_cannot_object(world, open_case):
    case = dispatched(world, open_case, designated=True)
    with pytest.raises(ServiceError) as exc:
        services.object_assignment(case, world.units["chengguan"].pk, "不属本单位职责", now=case.opened_at)
    assert exc.value.code == "designated"
    assert Assignment.objects.get(case=case).status == "pending"


def test_assign_validates_units(world, open_case):
    case = act(world, open_case(), "register", "township")
    before = state(case)
    unit = world.units["chengguan"]
    with pytest.raises(ServiceError) as exc:
        services.do_assign(case, [unit], unit, actor=world.user("county"), expected_version=case.version)
    assert (exc.value.code, exc.value.field) == ("unit_twice", "co_units")
    with pytest.raises(NotPermitted):
        services.do_assign(case, [], unit, actor=world.user("handler"), expected_version=case.version)
    assert state(case) == before


def test_pause_and_resume_move_the_deadline(world, open_case):
    with at(0):
        case = dispatched(world, open_case)
        case = act(world, case, "accept", "handler")
    assert CaseDeadline.objects.get(case=case, name="handling").due_date == dt.date(2026, 3, 9)
    with at(24 * 3):  # Thursday: suspend
        case = act(world, case, "suspend", "handler")
    paused = CaseDeadline.objects.get(case=case, name="handling")
    assert paused.state == "paused"
    assert case.due_at is None  # a paused case is neither due soon nor overdue
    with at(24 * 7):  # next Monday: resume; Fri, Sat, Sun, Mon not counted
        case = act(world, case, "resume", "handler")
    resumed = CaseDeadline.objects.get(case=case, name="handling")
    assert (resumed.state, resumed.due_date) == ("running", dt.date(2026, 3, 11))
    assert len(resumed.pauses) == 1
    with at(24 * 8):
        case = act(world, case, "handle", "handler")
    assert CaseDeadline.objects.get(case=case, name="handling").state == "met"


def test_extension_request_and_approval(world, open_case):
    with at(0):
        case = dispatched(world, open_case)
        case = act(world, case, "accept", "handler")
        handler, county = world.user("handler"), world.user("county")
        before = state(case)
        with pytest.raises(ExtensionRefused) as exc:
            services.do_request_extension(
                case, "handling", 6, actor=handler, expected_version=case.version, reason="需协调"
            )
        assert exc.value.params == {"allowed": 5, "maximum": 5}
        assert state(case) == before
        case = services.do_request_extension(
            case, "handling", 3, actor=handler, expected_version=case.version, reason="需协调多部门"
        )
        assert CaseDeadline.objects.get(case=case, name="handling").pending_extension == 3
        with pytest.raises(NotPermitted):  # the handler cannot approve their own request
            services.do_decide_extension(
                case, "handling", approve=True, actor=handler, expected_version=case.version
            )
        case = services.do_decide_extension(
            case, "handling", approve=True, actor=county, expected_version=case.version
        )
    deadline = CaseDeadline.objects.get(case=case, name="handling")
    assert (deadline.pending_extension, deadline.extension_granted, deadline.due_date) == (
        None,
        3,
        dt.date(2026, 3, 12),
    )
    assert case.due_at == dt.datetime(2026, 3, 13, tzinfo=TZ)
    assert TimelineEntry.objects.filter(case=case).last().data == {
        "clock": "handling",
        "amount": 3,
        "approved": True,
        "due_date": "2026-03-12",
    }
    with pytest.raises(ServiceError) as exc:
        services.do_decide_extension(
            case, "handling", approve=True, actor=county, expected_version=case.version
        )
    assert exc.value.code == "no_extension_request"


def test_escalation_climbs_one_level_at_a_time(world, open_case):
    case = open_case()
    path = case.path
    township = world.user("township")
    levels = []
    for _step in range(3):
        case = services.do_escalate(case, actor=township, expected_version=case.version, note="本级无法解决")
        levels.append(case.handling_level)
    assert levels == ["township", "county", "city"]
    assert case.path == path
    before = state(case)
    with pytest.raises(ServiceError) as exc:
        services.do_escalate(case, actor=township, expected_version=case.version)
    assert (exc.value.code, exc.value.field) == ("top_level", "handling_level")
    assert state(case) == before
    entry = TimelineEntry.objects.filter(case=case, kind="escalated").last()
    assert entry.data == {"from": "county", "to": "city", "rerouted": True}


def test_urge_and_supervise(world, open_case):
    case = open_case()
    leader = world.user("leader")
    case = services.do_urge(case, actor=leader, expected_version=case.version, note="请加快")
    case = services.do_urge(case, actor=leader, expected_version=case.version)
    assert (case.urge_count, case.version) == (2, 3)
    case = services.do_supervise(case, "listed", actor=leader, expected_version=case.version)
    assert case.supervision == "listed"
    before = state(case)
    with pytest.raises(ServiceError) as exc:
        services.do_supervise(case, "listed", actor=leader, expected_version=case.version)
    assert exc.value.code == "supervision_unchanged"
    with pytest.raises(ServiceError) as exc:
        services.do_supervise(case, "loud", actor=leader, expected_version=case.version)
    assert (exc.value.code, exc.value.field) == ("invalid_supervision", "level")
    with pytest.raises(NotPermitted):  # a township officer cannot supervise
        services.do_supervise(case, "daily", actor=world.user("township"), expected_version=case.version)
    assert state(case) == before
    assert list(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True)) == [
        "opened",
        "urged",
        "urged",
        "supervised",
    ]


def test_closed_case_cannot_be_urged_and_reopen_starts_a_new_clock(world, open_case):
    with at(0):
        case = dispatched(world, open_case)
        case = act(world, case, "accept", "handler")
        case = act(world, case, "handle", "handler")
        case = act(world, case, "close", "township")
    assert case.closed_at == T0
    before = state(case)
    with pytest.raises(ServiceError) as exc:
        services.do_urge(case, actor=world.user("leader"), expected_version=case.version)
    assert exc.value.code == "case_closed"
    assert state(case) == before
    with at(48):
        case = act(world, case, "reopen", "township", note="群众不满意")
    assert (case.status, case.closed_at) == ("registered", None)
    clocks = list(CaseDeadline.objects.filter(case=case, name="handling").values_list("state", "due_date"))
    assert clocks == [("met", dt.date(2026, 3, 9)), ("running", dt.date(2026, 3, 11))]


def test_restrict_reread_rolls_back_a_move_out_of_reach(world, open_case, fake_kind):
    """A handler that moves the case out of the actor's reach is rolled back."""
    from civicgrid.cases import kinds

    case = open_case()

    def move(ctx):
        ctx.case.path = "33/3380/338002/"

    kinds._kinds["fake"] = kinds.CaseKind(
        "fake", fake_kind.workflow, limit_fn=fake_kind.limit_fn, handlers={"register": move}
    )
    before = state(case)
    with pytest.raises(NotPermitted):
        act(world, case, "register", "township")
    assert state(case) == before
    assert Case.objects.get(pk=case.pk).path.startswith("33/3380/338001/")
