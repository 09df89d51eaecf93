"""The dispute kind's services: registration, the whole workflow, bad input (nothing written),
and everyone who should not get through."""

import datetime as dt

import pytest

from civicgrid.cases.models import Case, CaseDeadline, CaseParty, TimelineEntry
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.disputes import services, steps
from civicgrid.disputes.models import DisputeDetails, FollowUpVisit, MediationSession

from .conftest import parties


def counts():
    return (
        Case.objects.count(),
        CaseParty.objects.count(),
        DisputeDetails.objects.count(),
        TimelineEntry.objects.count(),
    )


def test_register_writes_case_details_parties_clock_and_grade(world, register):
    case = register()
    assert case.kind == "dispute"
    assert case.number.startswith("TJ-")
    assert case.status == "registered"
    details = DisputeDetails.objects.get(case=case)
    assert str(details.amount) == "3000.00"
    assert details.people_count == 2 and not details.is_group
    assert details.risk_level == "green"
    assert list(case.parties.values_list("role", flat=True)) == ["applicant", "respondent"]
    assert CaseDeadline.objects.filter(case=case, name="acceptance", state="running").exists()
    assert TimelineEntry.objects.filter(case=case, action="risk_changed").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "一千元"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"people_count": 0}, "people_count"),
        ({"people_count": "两"}, "people_count"),
        ({"dispute_type": "fight"}, "dispute_type"),
        ({"source": "tv"}, "source"),
        ({"description": "  "}, "description"),
        ({"source": "event"}, "source_case"),
        ({"parties": [{**parties()[0], "id_card": "110101199003071234"}]}, "parties[0].id_card"),
        ({"parties": [{**parties()[0], "role": "judge"}]}, "parties[0].role"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, register, overrides, field):
    before = counts()
    with pytest.raises(ServiceError) as error:
        register(**overrides)
    assert error.value.field == field
    assert counts() == before


def test_group_dispute_and_grid_worker_registers_only_in_own_grid(world, register):
    case = register("gridworker", people_count=7, source="grid")
    assert DisputeDetails.objects.get(case=case).is_group
    before = counts()
    with pytest.raises(NotPermitted):
        register("gridworker", grid="338001001001002", source="grid")
    for name in ("outsider", "handler", "auditor", "nobody", "inspector"):
        with pytest.raises(NotPermitted):
            register(name)
    assert counts() == before


def test_whole_life_with_judicial_confirmation(world, register, committee, act):
    case = register()
    mediator = world.user("mediator")
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[mediator.pk])
    assert case.status == "accepted"
    assert CaseDeadline.objects.get(case=case, name="mediation").state == "running"
    case = act(case, "start", "mediator")
    steps.do_record_session(
        case,
        actor=mediator,
        expected_version=case.version,
        held_at=case.opened_at,
        place="东湖街道调委会",
        participants="张三、李四、周调解",
        record="双方陈述，同意协商。",
    )
    case.refresh_from_db()
    with pytest.raises(ServiceError) as error:
        act(case, "agree", "mediator", agreement_text="赔偿 3000 元", applicant_confirmed=True)
    assert error.value.field == "respondent_confirmed"
    assert Case.objects.get(pk=case.pk).status == "mediating"
    case = act(
        case,
        "agree",
        "mediator",
        agreement_text="赔偿 3000 元",
        applicant_confirmed=True,
        respondent_confirmed=True,
    )
    assert case.status == "agreed"
    assert CaseDeadline.objects.get(case=case, name="mediation").state == "met"
    case = act(case, "apply_confirmation", "mediator", court_name="江东区人民法院")
    assert CaseDeadline.objects.get(case=case, name="court_acceptance").state == "running"
    case = act(case, "court_accept", "mediator")
    decision = CaseDeadline.objects.get(case=case, name="court_decision")
    assert (decision.amount, decision.max_extension) == (15, 10)
    case = act(case, "court_confirm", "mediator")
    assert case.status == "fulfilling"
    with pytest.raises(ServiceError) as error:
        act(case, "close", "township")
    assert error.value.field == "visits"
    steps.do_record_visit(
        case, actor=world.user("gridworker"), expected_version=case.version, visited_on="", result="fulfilled"
    )
    case = act(case, "close", "township")
    assert case.status == "closed" and case.closed_at is not None
    details = DisputeDetails.objects.get(case=case)
    assert details.court_result == "confirmed"
    assert MediationSession.objects.filter(case=case).count() == 1
    assert FollowUpVisit.objects.filter(case=case).count() == 1


def test_mediation_needs_both_sides_and_the_assigned_mediator(world, register, committee, act):
    case = register(parties=[parties()[0]])
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    with pytest.raises(ServiceError) as error:
        act(case, "start", "mediator")
    assert error.value.field == "parties"
    steps.do_add_dispute_party(
        case,
        actor=world.user("mediator"),
        expected_version=Case.objects.get(pk=case.pk).version,
        **parties()[1],
    )
    # The township officer holds mediate_dispute but is not this dispute's mediator.
    with pytest.raises(ServiceError) as error:
        act(case, "start", "township")
    assert error.value.field == "mediators"
    assert act(case, "start", "mediator").status == "mediating"


def test_accept_checks_organisation_and_members(world, register, committee, act):
    case = register()
    for data, field in (
        ({}, "organisation"),
        ({"organisation": committee.pk}, "mediators"),
        ({"organisation": committee.pk, "mediators": [world.user("county").pk]}, "mediators"),
        ({"organisation": "x", "mediators": [1]}, "organisation"),
    ):
        with pytest.raises(ServiceError) as error:
            act(case, "accept", "township", **data)
        assert error.value.field == field
    other = committee.__class__.objects.create(
        name="北山镇调委会", kind="township_committee", area=world.area("338002101000")
    )
    with pytest.raises(ServiceError) as error:
        act(case, "accept", "township", organisation=other.pk, mediators=[])
    assert error.value.field == "organisation"
    assert Case.objects.get(pk=case.pk).status == "registered"


def test_failure_referral_and_close_raise_the_risk(world, register, committee, act):
    case = register(dispute_type="other", people_count=1)
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    case = act(case, "start", "mediator")
    case = act(case, "fail", "mediator", note="双方分歧过大")
    details = DisputeDetails.objects.get(case=case)
    assert details.risk_level == "yellow"
    assert "failed" in [r["rule"] for r in details.risk_reasons]
    with pytest.raises(ServiceError) as error:
        act(case, "refer", "mediator", referral_channel="litigation", referral_to="江东区人民法院")
    assert error.value.field == "referral_receipt"
    case = act(
        case,
        "refer",
        "mediator",
        referral_channel="litigation",
        referral_to="江东区人民法院",
        referral_receipt="立案庭 王某签收",
    )
    assert act(case, "close", "township").status == "closed"


def test_outsiders_and_wrong_roles_change_nothing(world, register, committee, act):
    case = register()
    version = Case.objects.get(pk=case.pk).version
    for name in ("outsider", "nobody", "handler", "gridworker", "mediator", "leader", "auditor", "inspector"):
        with pytest.raises(NotPermitted):
            act(case, "accept", name, organisation=committee.pk, mediators=[world.user("mediator").pk])
    for name in ("outsider", "nobody", "handler"):
        with pytest.raises(NotPermitted):
            steps.do_grade_risk(
                case, actor=world.user(name), expected_version=version, level="yellow", reason="x"
            )
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.version) == ("registered", version)


def test_stale_version_is_a_conflict(world, register, committee):
    case = register()
    with pytest.raises(ServiceError) as error:
        services.do_dispute_action(
            case, "not_accept", actor=world.user("township"), expected_version=case.version - 1, note="x"
        )
    assert error.value.code == "conflict"


def test_application_after_30_days_is_refused(world, register, committee, act, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False)
    case = register()
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    case = act(case, "start", "mediator")
    case = act(
        case, "agree", "mediator", agreement_text="还款", applicant_confirmed="on", respondent_confirmed="on"
    )
    time_machine.move_to(dt.datetime(2026, 4, 10, 2, 0, tzinfo=dt.UTC), tick=False)
    with pytest.raises(ServiceError) as error:
        act(case, "apply_confirmation", "mediator", court_name="江东区人民法院", applied_on="2026-04-10")
    assert error.value.code == "application_too_late"
    assert error.value.field == "applied_on"
    assert Case.objects.get(pk=case.pk).status == "agreed"


def test_application_window_across_the_spring_festival(world, register, committee, act, time_machine):
    """Agreement on 2026-01-16: day 30 is Sunday 2026-02-15, inside the Spring Festival holiday
    (Feb 15–23), so the period ends on the next workday, Tuesday 2026-02-24 (民法典 Art. 203)."""
    from civicgrid.calendars import store
    from civicgrid.calendars.services import do_seed_from_chinese_calendar
    from civicgrid.disputes.hooks import application_deadline

    do_seed_from_chinese_calendar(actor=None)
    store.reset()
    time_machine.move_to(dt.datetime(2026, 1, 16, 2, 0, tzinfo=dt.UTC), tick=False)
    case = register()
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    case = act(case, "start", "mediator")
    case = act(
        case, "agree", "mediator", agreement_text="还款", applicant_confirmed=True, respondent_confirmed=True
    )
    details = DisputeDetails.objects.get(case=case)
    assert application_deadline(details.agreed_at) == dt.date(2026, 2, 24)
    time_machine.move_to(dt.datetime(2026, 2, 25, 2, 0, tzinfo=dt.UTC), tick=False)
    with pytest.raises(ServiceError) as error:
        act(case, "apply_confirmation", "mediator", court_name="江东区人民法院", applied_on="2026-02-25")
    assert "2026-02-24" in str(error.value.message)
    case = act(case, "apply_confirmation", "mediator", court_name="江东区人民法院", applied_on="2026-02-24")
    assert case.status == "confirming"


def test_registered_disputes_wait_in_the_centres_to_register_queue(world, register, committee, act):
    from civicgrid.cases import queries

    case = register()
    for name in ("township", "county", "city"):
        assert case.pk in [c.pk for c in queries.to_register(world.user(name))], name
    assert case.pk not in [c.pk for c in queries.to_register(world.user("outsider"))]
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    assert case.pk not in [c.pk for c in queries.to_register(world.user("township"))]


def test_withdraw_needs_a_reason_and_closes(world, register, committee, act):
    case = register()
    with pytest.raises(ServiceError) as error:
        act(case, "withdraw", "mediator")
    assert error.value.field == "note"
    case = act(case, "withdraw", "mediator", note="双方已自行和解")
    assert case.status == "withdrawn" and case.closed_at is not None
    assert not CaseDeadline.objects.filter(case=case, state="running").exists()
