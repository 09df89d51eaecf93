"""The petition's life on the kernel: registration, chained statutory clocks, objection window,
复查/复核 windows, Art.19 and Art.36 refusals, repeats, bad input (nothing half-written)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from civicgrid.cases.models import Case, CaseDeadline, CaseParty
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.petitions.models import PetitionDetails
from civicgrid.petitions.services import do_petition_action, objection_due

from .conftest import ID_A, ID_B, at

pytestmark = pytest.mark.django_db


def act(world, case, action, user, **data):
    case.refresh_from_db()
    return do_petition_action(case, action, actor=world.user(user), expected_version=case.version, **data)


def clock(case, name):
    return CaseDeadline.objects.filter(case=case, name=name).order_by("-id").first()


def test_register_opens_a_petition_with_details_parties_and_transfer_clock(world, register, calendar_2026):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = register(people_count=6)
    assert case.kind == "petition" and case.status == "registered" and not case.confidential
    assert case.number.startswith("XF2026338001") and len(case.query_code) == 8
    assert case.handling_level == "county"  # the county petition office registered it
    details = PetitionDetails.objects.get(case=case)
    assert (details.channel, details.petition_class, details.people_count) == ("visit", "claim", 6)
    assert details.collective and details.registering_unit == world.units["petition_bureau"]
    assert details.code_hash and case.query_code not in details.code_hash
    party = CaseParty.objects.get(case=case)
    assert (party.role, party.name, party.id_card) == ("petitioner", "张三", ID_A)
    transfer = clock(case, "transfer")
    assert (transfer.state, transfer.due_date) == ("running", dt.date(2026, 3, 17))  # Art.22: 15 days


def test_the_whole_life_with_chained_clocks(world, register, calendar_2026):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = register()
        case = act(world, case, "transfer", "petition", unit=world.units["chengguan"].pk, mode="assign")
    assert case.status == "transferred" and case.lead_unit == world.units["chengguan"]
    assert clock(case, "transfer").state == "met"
    assert clock(case, "acceptance").due_date == dt.date(2026, 3, 17)  # Art.23: 15 days
    assert objection_due(PetitionDetails.objects.get(case=case)).due_date == dt.date(
        2026, 3, 9
    )  # 5 working days
    assert case.due_at == clock(case, "acceptance").due_at  # the objection window is not a kernel clock
    with time_machine.travel(at(2026, 3, 4), tick=False):
        case = act(world, case, "accept", "handler")
    assert clock(case, "acceptance").state == "met"
    handling = clock(case, "handling")
    # 60 days from 03-04 is 05-03, inside the Labour Day holiday (05-01…05-05): the next workday.
    assert (handling.due_date, handling.max_extension) == (dt.date(2026, 5, 6), 30)
    with time_machine.travel(at(2026, 4, 20), tick=False):
        case.refresh_from_db()
        with pytest.raises(ServiceError):  # more than 30 days is refused at once (Art.34)
            act(world, case, "request_extension", "handler", clock="handling", amount=31, note="需调查")
        case = act(world, case, "request_extension", "handler", clock="handling", amount=30, note="需调查")
        with pytest.raises(NotPermitted):  # the petition office does not approve extensions
            act(world, case, "decide_extension", "petition", clock="handling", approve=True)
        case = act(world, case, "decide_extension", "county", clock="handling", approve=True)
    assert clock(case, "handling").due_date == dt.date(2026, 6, 2)
    with time_machine.travel(at(2026, 5, 11), tick=False):
        with pytest.raises(ServiceError) as info:
            act(world, case, "issue_opinion", "handler", note="答复如下")
        assert info.value.field == "opinion"
        case = act(
            world, case, "issue_opinion", "handler", opinion="explain", note="经调查，施工已调整时间。"
        )
    assert case.status == "concluded" and case.closed_at is not None
    details = PetitionDetails.objects.get(case=case)
    assert (details.opinion, details.opinion_at) == ("explain", at(2026, 5, 11))
    assert clock(case, "handling").state == "met"
    with time_machine.travel(at(2026, 5, 20), tick=False):
        case = act(world, case, "request_review", "petition")
        assert case.status == "under_review" and case.closed_at is None
        # 30 days from 05-20 is 06-19, the Dragon Boat Festival (06-19…21): the next workday.
        assert clock(case, "review").due_date == dt.date(2026, 6, 22)
        case = act(world, case, "decide_review", "petition", outcome="upheld", note="维持原处理意见")
    assert case.status == "reviewed"
    with time_machine.travel(at(2026, 6, 1), tick=False):
        case = act(world, case, "request_recheck", "petition")
        assert clock(case, "recheck").due_date == dt.date(2026, 7, 1)
    with time_machine.travel(at(2026, 6, 10), tick=False):
        case = act(world, case, "start_hearing", "petition")
        assert clock(case, "recheck").state == "paused"
    with time_machine.travel(at(2026, 6, 20), tick=False):
        case = act(world, case, "end_hearing", "petition")
    recheck = clock(case, "recheck")
    # Hearing time is not counted (Art.36): 06-11…06-20 do not count, ten days later.
    # 07-01 + 10 days = Saturday 07-11: the period ends on Monday 07-13.
    assert (recheck.state, recheck.due_date) == ("running", dt.date(2026, 7, 13))
    with time_machine.travel(at(2026, 6, 25), tick=False):
        case = act(world, case, "decide_recheck", "petition", outcome="upheld", note="维持")
    assert case.status == "rechecked" and case.closed_at is not None
    # After 复核 the same matter is no longer accepted (Art.36), with the reason.
    with time_machine.travel(at(2026, 7, 1), tick=False):
        before = Case.objects.count()
        with pytest.raises(ServiceError) as info:
            register(title="工地夜间施工噪音扰民问题", actor="petition")
        assert info.value.code == "rechecked" and case.number in str(info.value.message)
        assert Case.objects.count() == before


def _to_reviewed(world, register, day):
    with time_machine.travel(day, tick=False):
        case = register()
        case = act(world, case, "transfer", "petition", unit=world.units["chengguan"].pk)
        case = act(world, case, "accept", "handler")
        case = act(world, case, "issue_opinion", "handler", opinion="not_support", note="不符合政策")
        case = act(world, case, "request_review", "petition")
        case = act(world, case, "decide_review", "petition", outcome="upheld", note="维持")
    return case


def test_recheck_requested_on_day_31_is_refused_with_the_reason(world, register, calendar_2026):
    case = _to_reviewed(world, register, at(2026, 3, 2))
    version = case.version
    # 03-02 + 30 days = 04-01
    with time_machine.travel(at(2026, 4, 2), tick=False), pytest.raises(ServiceError) as info:
        act(world, case, "request_recheck", "petition")
    assert (info.value.code, info.value.field) == ("request_late", "requested_at")
    assert "2026-04-01" in str(info.value.message) and "30" in str(info.value.message)
    case.refresh_from_db()
    assert (case.status, case.version) == ("reviewed", version)
    assert not CaseDeadline.objects.filter(case=case, name="recheck").exists()
    with time_machine.travel(at(2026, 4, 1, 23, 59), tick=False):  # day 30: still in time
        case = act(world, case, "request_recheck", "petition")
    assert case.status == "under_recheck"


def test_a_late_request_entered_on_time_is_judged_by_its_receipt_date(world, register, calendar_2026):
    case = _to_reviewed(world, register, at(2026, 3, 2))
    with time_machine.travel(at(2026, 4, 10), tick=False):
        with pytest.raises(ServiceError) as info:
            act(world, case, "request_recheck", "petition", requested_at="2026-04-02T10:00:00+08:00")
        assert info.value.code == "request_late"
        case = act(world, case, "request_recheck", "petition", requested_at="2026-03-31T10:00:00+08:00")
    # The 30-day decision limit counts from the receipt of the request.
    assert clock(case, "recheck").due_date == dt.date(2026, 4, 30)


def test_objection_within_five_working_days_across_the_spring_festival(world, register, calendar_2026):
    with time_machine.travel(at(2026, 2, 10), tick=False):
        late = register()
        late = act(world, late, "transfer", "petition", unit=world.units["chengguan"].pk)
        in_time = register(
            title="另一个问题：道路破损",
            description="道路破损无人修",
            parties=[{"role": "petitioner", "name": "李四", "id_card": ID_B}],
        )
        in_time = act(world, in_time, "transfer", "petition", unit=world.units["chengguan"].pk)
    # 5 working days from 02-10: 11, 12, 13, 14 (make-up Saturday), 24 (after the holiday).
    assert objection_due(PetitionDetails.objects.get(case=late)).due_date == dt.date(2026, 2, 24)
    with time_machine.travel(at(2026, 2, 24, 17), tick=False):
        in_time = act(world, in_time, "object", "handler", note="不属于本单位职责")
    assert in_time.status == "objected" and in_time.lead_unit is None
    version = late.version
    with time_machine.travel(at(2026, 2, 25, 9), tick=False), pytest.raises(ServiceError) as info:
        act(world, late, "object", "handler", note="不属于本单位职责")
    assert info.value.code == "objection_late" and "2026-02-24" in str(info.value.message)
    late.refresh_from_db()
    assert (late.status, late.version) == ("transferred", version)
    # The office transfers the objected one again.
    with time_machine.travel(at(2026, 2, 26), tick=False):
        in_time = act(world, in_time, "transfer", "petition", unit=world.units["donghu_office"].pk)
    assert in_time.status == "transferred"


def test_a_matter_in_progress_below_is_not_accepted_above(world, register, calendar_2026):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        below = register(actor="township")
    assert below.handling_level == "township"
    with time_machine.travel(at(2026, 3, 5), tick=False):
        before = (Case.objects.count(), CaseParty.objects.count(), PetitionDetails.objects.count())
        with pytest.raises(ServiceError) as info:
            register(title="工地夜间施工噪音扰民", actor="petition")
        assert info.value.code == "in_progress_below" and below.number in str(info.value.message)
        assert info.value.field == "related_case"
        # An explicit link by the officer counts even when the words differ.
        with pytest.raises(ServiceError) as info:
            register(
                title="要求赔偿",
                description="赔偿损失",
                related_case=below.pk,
                parties=[{"role": "petitioner", "name": "王五"}],
            )
        assert info.value.code == "in_progress_below"
        assert (Case.objects.count(), CaseParty.objects.count(), PetitionDetails.objects.count()) == before
        # Another person's different matter is accepted.
        other = register(
            title="道路破损",
            description="人行道破损",
            parties=[{"role": "petitioner", "name": "李四", "id_card": ID_B}],
        )
        assert PetitionDetails.objects.get(case=other).repeat_count == 0
    # Past the lower level's time limit, the higher level accepts it, counted as a repeat.
    with time_machine.travel(at(2026, 3, 20), tick=False):
        above = register(title="工地夜间施工噪音扰民", actor="petition")
    details = PetitionDetails.objects.get(case=above)
    assert (details.repeat_of_id, details.repeat_count, details.is_repeat) == (below.pk, 1, True)


def test_bad_input_names_the_field_and_writes_nothing(world, register):
    cases = [
        (
            {"parties": [{"role": "petitioner", "name": "张三", "id_card": "110105194912310021"}]},
            "parties[0].id_card",
        ),
        ({"petition_class": ""}, "petition_class"),
        ({"channel": None}, "channel"),
        ({"channel": "pigeon"}, "channel"),
        ({"parties": []}, "parties"),
        ({"parties": [{"role": "accused", "name": "某某"}]}, "parties"),
        ({"parties": [{"role": "boss", "name": "某某"}]}, "parties[0].role"),
        ({"people_count": 0}, "people_count"),
        ({"title": ""}, "title"),
        (
            {
                "parties": [
                    {"role": "petitioner", "name": "张三"},
                    {"role": "accused", "name": "某", "data": {"unit": "x"}},
                ]
            },
            "parties[1].data.unit",
        ),
        ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at"),
        ({"received_at": "2026-02-30"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"related_case": 999999}, "related_case"),
        ({"related_case": "abc"}, "related_case"),
    ]
    for overrides, field in cases:
        with pytest.raises(ServiceError) as info:
            register(**overrides)
        assert info.value.field == field, overrides
    assert Case.objects.count() == CaseParty.objects.count() == PetitionDetails.objects.count() == 0


def test_outsiders_and_wrong_roles_change_nothing(world, register, calendar_2026):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        with pytest.raises(NotPermitted):
            register(actor="outsider")  # another county
        with pytest.raises(NotPermitted):
            register(actor="handler")  # a department handler does not register petitions
        case = register()
        for user in ("outsider", "handler", "nobody", "mediator"):
            with pytest.raises(NotPermitted):
                act(world, case, "transfer", user, unit=world.units["chengguan"].pk)
        case = act(world, case, "transfer", "petition", unit=world.units["chengguan"].pk)
        with pytest.raises(ServiceError) as info:  # another unit's staff: no assignment
            act(world, case, "accept", "township")
        assert info.value.code == "no_assignment"
        with pytest.raises(NotPermitted):
            act(world, case, "accept", "outsider")
    case.refresh_from_db()
    assert case.status == "transferred"


def test_the_registering_officer_may_decline_with_the_reason(world, register):
    case = register()
    with pytest.raises(ServiceError) as info:
        act(world, case, "office_decline", "petition")
    assert info.value.field == "note"
    case = act(world, case, "office_decline", "petition", note="属于诉讼程序，请向人民法院起诉")
    details = PetitionDetails.objects.get(case=case)
    assert case.status == "not_accepted" and details.accepted is False
    assert details.acceptance_reason.startswith("属于诉讼程序")


def test_the_county_centre_registers_walk_ins_for_the_petition_office(world, register):
    case = register(actor="county")
    assert case.handling_level == "county"
    with pytest.raises(NotPermitted):  # the petition office transfers it, not the centre
        act(world, case, "transfer", "county", unit=world.units["chengguan"].pk)
    assert act(world, case, "transfer", "petition", unit=world.units["chengguan"].pk).status == "transferred"


def test_any_of_several_petitioners_makes_it_the_same_matter(world, register):
    first = register()
    again = register(
        people_count=6,
        parties=[
            {"role": "petitioner", "name": "李四", "id_card": ID_B},
            {"role": "petitioner", "name": "张三", "id_card": ID_A},
        ],
    )
    details = PetitionDetails.objects.get(case=again)
    assert (details.repeat_of_id, details.repeat_count, details.collective) == (first.pk, 1, True)
    # A third time: still counted against the first petition of the matter.
    third = register()
    assert PetitionDetails.objects.get(case=third).repeat_of_id == first.pk
    assert PetitionDetails.objects.get(case=third).repeat_count == 2


def test_a_transfer_deadline_inside_the_spring_festival_moves_to_the_next_workday(
    world, register, calendar_2026
):
    with time_machine.travel(at(2026, 2, 5), tick=False):
        case = register(received_at=at(2026, 2, 3, 16))
    # Received 02-03 + 15 days = 02-18, inside the holiday (02-15…23): the period ends on 02-24.
    transfer = clock(case, "transfer")
    assert (transfer.started_at, transfer.due_date, transfer.provisional) == (
        at(2026, 2, 3, 16),
        dt.date(2026, 2, 24),
        False,
    )
