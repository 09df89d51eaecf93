"""The event kind on the case kernel: the whole loop from intake to callback as the right roles,
objection and designation, rework, reopening, merge +1, emergency transfer, escalation, stale
versions, illegal transitions and scope (an outsider changes nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.accounts.models import Unit
from civicgrid.audit.models import ObjectChange
from civicgrid.cases.models import Assignment, Case, CaseDeadline, TimelineEntry
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.events.models import Category, EventDetails, EventPhoto
from civicgrid.events.services import (
    do_add_photo,
    do_callback_event,
    do_event_action,
    do_report_event,
)
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_create_dispatch_rule, do_load_taxonomy
from tests.world import NAMES

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IN_GRID = (120.01, 30.02)  # inside grid 338001001001001 (东湖社区第1网格)


def png(name="scene.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def events_world(world, media):
    """The world with the default taxonomy and a catalogue: 暴露垃圾 in 江东区 → 江东区城市管理局
    (lead) + 东湖街道办事处 (co-handler)."""
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    do_create_dispatch_rule(
        actor=None,
        category=Category.objects.get(code="0101"),
        area=world.area(NAMES.county_a),
        lead_unit=world.units["chengguan"],
        co_handlers=[world.units["donghu_office"]],
    )
    return world


def report(world, user="gridworker", **kw):
    data = {
        "actor": world.user(user),
        "title": "东湖路暴露垃圾",
        "description": "路边有一堆生活垃圾",
        "channel": "grid_patrol",
        "category": "0101",
        "lon": IN_GRID[0],
        "lat": IN_GRID[1],
        "photos": [png()],
        "reporter_name": "张三",
        "reporter_phone": "13912345678",
    }
    data.update(kw)
    return do_report_event(**data)


def act(world, case, action, user, note="", **payload):
    case.refresh_from_db()
    return do_event_action(
        case, action, actor=world.user(user), expected_version=case.version, note=note, **payload
    )


def evidence(world, case, user="handler"):
    return do_add_photo(case, png("after.png"), actor=world.user(user), stage="evidence")


def counts():
    return (
        Case.objects.count(),
        EventDetails.objects.count(),
        TimelineEntry.objects.count(),
        ObjectChange.objects.count(),
        Assignment.objects.count(),
        CaseDeadline.objects.count(),
        EventPhoto.objects.count(),
    )


def test_whole_loop_from_intake_to_callback(events_world):
    w = events_world
    result = report(w)
    case = result.case
    assert result.created is True
    assert case.status == "reported"
    assert case.number == f"{case.opened_at.year}-338001-000001"
    assert case.grid.code == NAMES.grid_a1a_1
    assert case.area.code == NAMES.village_a1a
    assert case.path == w.grids[NAMES.grid_a1a_1].path
    details = case.event
    assert (details.channel, details.category.code, details.reporter_phone) == (
        "grid_patrol",
        "0101",
        "13912345678",
    )
    assert EventPhoto.objects.filter(case=case, stage="report").count() == 1

    case = act(w, case, "register", "township")
    assert case.status == "registered"
    case = act(w, case, "dispatch", "township")
    assert case.status == "dispatched"
    assert case.lead_unit == w.units["chengguan"]
    live = {(a.unit_id, a.role, a.status) for a in case.assignments.all()}
    assert live == {
        (w.units["chengguan"].pk, "lead", "pending"),
        (w.units["donghu_office"].pk, "co", "pending"),
    }
    clocks = dict(CaseDeadline.objects.filter(case=case, state="running").values_list("name", "amount"))
    cat = Category.objects.get(code="0101")
    assert clocks == {"response": cat.response_amount, "handling": cat.handling_amount, "objection": 1}

    case = act(w, case, "accept", "handler")
    assert case.status == "accepted"
    case.event.refresh_from_db()
    assert case.event.first_response_at is not None
    assert set(CaseDeadline.objects.filter(case=case, state="running").values_list("name", flat=True)) == {
        "handling"
    }

    photo = evidence(w, case)
    case = act(w, case, "handle", "handler", result="已清运", evidence_photos=[photo.pk])
    assert case.status == "handled"
    case = act(w, case, "verify", "township")
    case = act(w, case, "close", "township")
    assert case.status == "closed"
    closed_at = case.closed_at
    assert closed_at is not None
    case.refresh_from_db()
    case = do_callback_event(
        case,
        actor=w.user("township"),
        expected_version=case.version,
        contacted=True,
        resolved=True,
        satisfaction="satisfied",
    )
    assert case.status == "done"
    assert case.closed_at == closed_at  # the callback does not move the closing time
    case.event.refresh_from_db()
    assert (case.event.satisfaction, case.event.callback_contacted, case.event.callback_by) == (
        "satisfied",
        True,
        w.user("township"),
    )
    actions = list(
        TimelineEntry.objects.filter(case=case, kind="transition").values_list("action", flat=True)
    )
    assert actions == ["register", "dispatch", "accept", "handle", "verify", "close", "callback"]
    assert set(Assignment.objects.filter(case=case).values_list("status", flat=True)) == {"done"}


def test_numbers_count_per_county_and_year(events_world):
    first = report(events_world).case
    second = report(
        events_world,
        user="township",
        lon=120.06,
        lat=30.02,
        category="0301",
        photos=[],
        answers={"night_work": True},
    ).case
    assert second.number == first.number[:-6] + "000002"


def test_handling_needs_result_and_evidence(events_world):
    w = events_world
    case = report(w).case
    for action, user in (("register", "township"), ("dispatch", "township"), ("accept", "handler")):
        case = act(w, case, action, user)
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "handle", "handler", result="已清运", evidence_photos=[])
    assert (exc.value.code, exc.value.field) == ("evidence_required", "evidence_photos")
    with pytest.raises(ServiceError) as exc:
        act(w, case, "handle", "handler", result="", evidence_photos=[1])
    assert exc.value.field == "result"
    # A report photo is not evidence of the result.
    scene = EventPhoto.objects.get(case=case)
    with pytest.raises(ServiceError) as exc:
        act(w, case, "handle", "handler", result="已清运", evidence_photos=[scene.pk])
    assert exc.value.field == "evidence_photos"
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "accepted"


def test_objection_then_designation_which_cannot_object(events_world):
    w = events_world
    case = report(w).case
    case = act(w, case, "register", "township")
    case = act(w, case, "dispatch", "township")
    with pytest.raises(ServiceError) as exc:
        act(w, case, "object", "handler")
    assert exc.value.field == "note"
    case = act(w, case, "object", "handler", note="不属于城管职责")
    assert case.status == "objected"
    assert case.lead_unit is None
    lead = Assignment.objects.get(case=case, unit=w.units["chengguan"])
    assert (lead.status, lead.objection_reason) == ("objected", "不属于城管职责")
    case = act(w, case, "designate", "county", lead_unit=w.units["chengguan"].pk)
    assert case.status == "dispatched"
    assert Assignment.objects.get(case=case, status="pending").designated is True
    version = Case.objects.get(pk=case.pk).version
    with pytest.raises(ServiceError) as exc:
        act(w, case, "object", "handler", note="还是不归我们")
    assert exc.value.code == "designated"
    case.refresh_from_db()
    assert (case.status, case.version) == ("dispatched", version)


def test_objection_after_the_window_is_refused(events_world, time_machine):
    w = events_world
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False)  # a Monday
    case = report(w).case
    case = act(w, case, "register", "township")
    case = act(w, case, "dispatch", "township")
    time_machine.move_to(dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC), tick=False)
    with pytest.raises(ServiceError) as exc:
        act(w, case, "object", "handler", note="不属于城管职责")
    assert exc.value.code == "objection_window_passed"
    case.refresh_from_db()
    assert case.status == "dispatched"


def _to_handled(w, case):
    for action, user in (("register", "township"), ("dispatch", "township"), ("accept", "handler")):
        case = act(w, case, action, user)
    return act(w, case, "handle", "handler", result="已清运", evidence_photos=[evidence(w, case).pk])


def test_failed_verification_sends_it_back_for_rework(events_world):
    w = events_world
    case = _to_handled(w, report(w).case)
    with pytest.raises(ServiceError) as exc:
        act(w, case, "rework", "township")
    assert exc.value.field == "note"
    case = act(w, case, "rework", "township", note="现场仍有垃圾")
    assert case.status == "accepted"
    assert CaseDeadline.objects.filter(case=case, name="handling", state="running").count() == 1
    case = act(w, case, "handle", "handler", result="已彻底清运", evidence_photos=[evidence(w, case).pk])
    assert case.status == "handled"


def test_dissatisfied_callback_reopens_with_a_new_deadline(events_world):
    w = events_world
    case = _to_handled(w, report(w).case)
    case = act(w, case, "verify", "township")
    case = act(w, case, "close", "township")
    case = act(w, case, "callback", "township", contacted=True, resolved=False, satisfaction="dissatisfied")
    assert case.status == "accepted"
    assert case.closed_at is None
    case.event.refresh_from_db()
    assert (case.event.reopened_count, case.event.satisfaction) == (1, "dissatisfied")
    assert CaseDeadline.objects.filter(case=case, name="handling", state="running").count() == 1
    live = set(Assignment.objects.filter(case=case, status="accepted").values_list("unit_id", "role"))
    assert live == {(w.units["chengguan"].pk, "lead"), (w.units["donghu_office"].pk, "co")}
    # The handler works it again.
    case = act(w, case, "handle", "handler", result="再次清运", evidence_photos=[evidence(w, case).pk])
    assert case.status == "handled"


def test_callback_with_an_unknown_satisfaction_changes_nothing(events_world):
    w = events_world
    case = _to_handled(w, report(w).case)
    case = act(w, case, "verify", "township")
    case = act(w, case, "close", "township")
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "callback", "township", satisfaction="great")
    assert (exc.value.code, exc.value.field) == ("invalid_satisfaction", "satisfaction")
    assert counts() == before


def test_merge_counts_a_plus_one_on_the_original(events_world):
    w = events_world
    original = report(w).case
    second = report(w, lon=IN_GRID[0] + 0.0003)  # about 29 m east
    assert [c.pk for c in second.possible_duplicates] == [original.pk]
    assert second.case.event.possible_duplicates == [original.pk]
    version = Case.objects.get(pk=original.pk).version
    dup = act(w, second.case, "merge", "township", into=original.pk)
    assert dup.status == "merged"
    assert dup.duplicate_of_id == original.pk
    assert dup.closed_at is not None
    original.refresh_from_db()
    assert (original.plus_ones, original.version) == (1, version + 1)
    entry = TimelineEntry.objects.get(case=original, action="merged_in")
    assert entry.data["number"] == dup.number


def test_far_or_different_category_is_not_a_duplicate(events_world, settings):
    w = events_world
    report(w)
    assert report(w, lon=IN_GRID[0] + 0.002).possible_duplicates == []  # about 190 m
    other = report(w, category="0301", photos=[], answers={"night_work": False})
    assert other.possible_duplicates == []
    settings.CIVICGRID_DUPLICATE_RADIUS_M = 300
    assert len(report(w, lon=IN_GRID[0] + 0.002).possible_duplicates) == 2


def test_merge_into_itself_or_a_closed_event_is_refused(events_world):
    w = events_world
    case = report(w).case
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "merge", "township", into=case.pk)
    assert exc.value.field == "into"
    assert counts() == before


def test_emergency_is_transferred_at_once(events_world):
    w = events_world
    result = report(w, title="东湖小区燃气泄漏", category="0403", photos=[], answers={"casualties": False})
    case = result.case
    assert case.status == "transferred"
    assert case.closed_at is not None
    assert case.event.transfer_target == "119"
    entry = TimelineEntry.objects.get(case=case, kind="transition")
    assert (entry.action, entry.actor, entry.data["target"]) == ("transfer", None, "119")
    assert not Assignment.objects.filter(case=case).exists()


def test_self_handled_on_the_spot(events_world):
    w = events_world
    case = report(w).case
    scene = EventPhoto.objects.get(case=case)
    case = act(w, case, "self_handle", "gridworker", result="已就地清理", evidence_photos=[scene.pk])
    assert case.status == "handled"
    assert case.event.self_handled is True
    assert Assignment.objects.get(case=case).unit == w.units["donghu_office"]
    case = act(w, case, "verify", "township")
    assert case.status == "verified"


def test_escalation_from_village_up_to_city(events_world):
    w = events_world
    case = report(w).case
    assert case.handling_level == "village"
    case = act(w, case, "escalate", "gridworker", note="本村无力处置")
    assert case.handling_level == "township"
    case = act(w, case, "escalate", "township")
    case = act(w, case, "escalate", "county")
    assert case.handling_level == "city"
    with pytest.raises(ServiceError) as exc:
        act(w, case, "escalate", "city")
    assert exc.value.code == "top_level"
    assert list(
        TimelineEntry.objects.filter(case=case, kind="escalated").values_list("data__to", flat=True)
    ) == [
        "township",
        "county",
        "city",
    ]


def test_urge_and_supervise_through_the_kernel(events_world):
    w = events_world
    case = report(w).case
    case = act(w, case, "urge", "county", note="请尽快立案")
    case = act(w, case, "supervise", "county", level="listed")
    assert (case.urge_count, case.supervision) == (1, "listed")


def test_illegal_transition_names_the_action(events_world):
    w = events_world
    case = report(w).case
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "close", "township")
    assert (exc.value.code, exc.value.field) == ("illegal_transition", "action")
    assert counts() == before


def test_stale_version_is_a_conflict(events_world):
    w = events_world
    case = report(w).case
    seen = case.version
    act(w, case, "register", "township")
    before = counts()
    with pytest.raises(ServiceError) as exc:
        do_event_action(case, "reject", actor=w.user("county"), expected_version=seen, note="重复")
    assert (exc.value.code, exc.value.field) == ("conflict", "version")
    assert counts() == before
    case.refresh_from_db()
    assert case.status == "registered"


def test_outsider_can_neither_see_nor_act(events_world):
    w = events_world
    case = report(w).case
    before, version = counts(), case.version
    for action in ("register", "reject", "escalate", "urge"):
        with pytest.raises(NotPermitted) as exc:
            do_event_action(case, action, actor=w.user("outsider"), expected_version=version, note="x")
        assert exc.value.code == "not_found"
    with pytest.raises(NotPermitted):
        do_add_photo(case, png(), actor=w.user("outsider"))
    assert counts() == before
    case.refresh_from_db()
    assert (case.status, case.version) == ("reported", version)


def test_handler_of_another_unit_cannot_accept(events_world):
    w = events_world
    case = report(w).case
    case = act(w, case, "register", "township")
    case = act(w, case, "dispatch", "township", lead_unit=w.units["donghu_office"].pk)
    other = Unit.objects.create(
        code="jd-water", name="江东区水务局", kind="department", area=w.area(NAMES.county_a)
    )
    handler = w.user("handler")
    handler.unit = other
    handler.save(update_fields=["unit"])
    before = counts()
    with pytest.raises(ServiceError) as exc:
        act(w, case, "accept", "handler")
    assert (exc.value.code, exc.value.field) == ("no_assignment", "unit")
    assert counts() == before


def test_overdue_events_escalate_automatically_only_where_their_category_says_so(events_world):
    from civicgrid.cases.kinds import get_kind
    from civicgrid.events.models import Category

    case = report(events_world).case
    hook = get_kind("event").auto_escalate
    Category.objects.filter(code="0101").update(auto_escalate=True)
    assert hook(Case.objects.get(pk=case.pk)) is True
    Category.objects.filter(code="0101").update(auto_escalate=False)
    assert hook(Case.objects.get(pk=case.pk)) is False


def test_a_registered_event_waits_to_be_dispatched_not_registered(events_world):
    from civicgrid.cases import queries

    w = events_world
    case = report(w).case
    city = w.user("city")
    assert list(queries.to_register(city).values_list("pk", flat=True)) == [case.pk]
    assert list(queries.to_dispatch(city).values_list("pk", flat=True)) == []
    act(w, case, "register", "city")
    assert list(queries.to_register(city).values_list("pk", flat=True)) == []
    assert list(queries.to_dispatch(city).values_list("pk", flat=True)) == [case.pk]


def test_escalating_a_dispatched_event_reroutes_it_to_the_higher_centre(events_world):
    """上报 after dispatch: the lower level's units are withdrawn, the event waits to be dispatched
    by the higher level, and its clocks keep running."""
    w = events_world
    case = act(w, report(w).case, "register", "township")
    case = act(w, case, "dispatch", "township", lead_unit=w.units["chengguan"].pk)
    handling = CaseDeadline.objects.get(case=case, name="handling", state="running")
    case = act(w, case, "escalate", "township", note="需区级协调")
    assert (case.status, case.handling_level, case.lead_unit_id) == ("registered", "township", None)
    assert not Assignment.objects.filter(case=case, status__in=["pending", "accepted"]).exists()
    entry = TimelineEntry.objects.filter(case=case, kind="escalated").last()
    assert entry.data["rerouted_from"] == "dispatched"
    assert entry.data["withdrawn_units"] == [w.units["chengguan"].pk]
    assert CaseDeadline.objects.get(pk=handling.pk).state == "running"  # going up buys no time
    case = act(w, case, "dispatch", "county", lead_unit=w.units["chengguan"].pk)
    assert case.status == "dispatched"
