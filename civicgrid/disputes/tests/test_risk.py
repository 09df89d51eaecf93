"""Risk grading under the configurable scheme, the leader in charge of red disputes, the red list,
conversion from an event, and the mediation success rate."""

import pytest

from civicgrid.cases.models import Case, TimelineEntry
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.disputes import queries, risk, services, steps
from civicgrid.disputes.models import DisputeDetails, RiskScheme

from .conftest import parties


def details(case):
    return DisputeDetails.objects.get(case=case)


def test_default_scheme_is_seeded_three_colours_and_four_is_available(db):
    active = RiskScheme.objects.get(is_active=True)
    assert [lv["code"] for lv in active.levels] == ["green", "yellow", "red"]
    four = RiskScheme.objects.get(name="四色预警")
    assert [lv["code"] for lv in four.levels] == ["blue", "yellow", "orange", "red"]


def test_threat_words_make_a_dispute_red_and_a_red_dispute_needs_a_leader(world, register, committee, act):
    case = register(description="对方扬言要同归于尽", dispute_type="neighbour")
    d = details(case)
    assert d.risk_level == "red"
    rules = {r["rule"] for r in d.risk_reasons}
    assert {"threat_words", "high_risk_type"} <= rules
    entry = TimelineEntry.objects.get(case=case, action="risk_changed")
    assert entry.data["to"] == "red"
    assert case.pk in [c.pk for c in queries.red_disputes(world.user("leader"))]
    assert case.pk not in [c.pk for c in queries.red_disputes(world.user("outsider"))]
    # No step forward on a red dispute without a leader in charge.
    with pytest.raises(ServiceError) as error:
        act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    assert error.value.field == "leader"
    case = Case.objects.get(pk=case.pk)
    with pytest.raises(ServiceError) as error:
        steps.do_grade_risk(
            case, actor=world.user("leader"), expected_version=case.version, level="yellow", reason=""
        )
    assert error.value.field == "reason"
    with pytest.raises(ServiceError) as error:  # the outsider cannot see the case: not a leader for it
        steps.do_grade_risk(
            case,
            actor=world.user("leader"),
            expected_version=case.version,
            level="red",
            reason="包案",
            leader=world.user("outsider").pk,
        )
    assert error.value.field == "leader"
    steps.do_grade_risk(
        case,
        actor=world.user("leader"),
        expected_version=case.version,
        level="red",
        reason="包案",
        leader=world.user("leader").pk,
    )
    assert details(case).leader == world.user("leader")
    assert (
        act(
            case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk]
        ).status
        == "accepted"
    )


def test_manual_grade_to_red_needs_a_leader_and_may_lower_with_a_reason(world, register):
    case = register(dispute_type="other")
    assert details(case).risk_level == "green"
    with pytest.raises(ServiceError) as error:
        steps.do_grade_risk(
            case, actor=world.user("township"), expected_version=case.version, level="red", reason="研判"
        )
    assert error.value.field == "leader"
    with pytest.raises(ServiceError) as error:
        steps.do_grade_risk(
            case, actor=world.user("township"), expected_version=case.version, level="purple", reason="x"
        )
    assert error.value.field == "level"
    for name in ("gridworker", "mediator", "auditor"):  # wrong roles
        with pytest.raises(NotPermitted):
            steps.do_grade_risk(
                case, actor=world.user(name), expected_version=case.version, level="yellow", reason="x"
            )
    case = steps.do_grade_risk(
        case, actor=world.user("township"), expected_version=case.version, level="yellow", reason="研判"
    )
    d = details(case)
    assert (d.risk_level, d.risk_reasons[0]["rule"]) == ("yellow", "manual")
    case = steps.do_grade_risk(
        case, actor=world.user("township"), expected_version=case.version, level="green", reason="已缓和"
    )
    assert details(case).risk_level == "green"
    assert TimelineEntry.objects.filter(case=case, action="risk_changed").count() == 3


def test_repeated_parties_and_group_size_raise_the_grade(world, register):
    register(dispute_type="other", source="police")
    register(dispute_type="other", source="police")
    third = register(dispute_type="other", source="police", people_count=6)
    d = details(third)
    rules = {r["rule"] for r in d.risk_reasons}
    assert {"repeat_parties", "group"} <= rules
    assert d.risk_level == "red"  # 3 + 3 points


def test_session_record_with_threats_raises_the_grade(world, register, committee, act):
    case = register(dispute_type="other")
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    steps.do_record_session(
        case,
        actor=world.user("mediator"),
        expected_version=case.version,
        held_at=case.opened_at,
        place="调委会",
        participants="双方",
        record="被申请人称要报复，拿刀砍人",
    )
    assert details(case).risk_level == "red"


def test_four_colour_scheme_and_scheme_checks(world, register):
    RiskScheme.objects.update(is_active=False)
    RiskScheme.objects.filter(name="四色预警").update(is_active=True)
    case = register(dispute_type="neighbour")  # high-risk type: 2 points
    assert details(case).risk_level == "yellow"
    case = register(dispute_type="neighbour", people_count=5)  # 2 + 3
    assert details(case).risk_level == "orange", details(case).risk_reasons
    for levels in ([], [{"code": "red", "label": "红", "min_score": 0}] * 3, risk.THREE_COLOURS[::-1]):
        with pytest.raises(ServiceError):
            risk.clean_scheme(levels, {})
    with pytest.raises(ServiceError):
        risk.clean_scheme(risk.THREE_COLOURS, {"threat_words": -1})
    with pytest.raises(ServiceError):
        risk.clean_scheme(risk.THREE_COLOURS, {"unknown": 1})


def _event(world, **kw):
    from civicgrid.events.services import do_report_event

    data = {
        "actor": world.user("gridworker"),
        "title": "两户因围墙争吵",
        "description": "邻居因围墙位置争吵，情绪激动",
        "channel": "grid_patrol",
        "lon": 120.01,
        "lat": 30.01,
        "reporter_name": "张三",
        "reporter_phone": "13912345678",
    }
    data.update(kw)
    return do_report_event(**data).case


def test_convert_event_keeps_the_link_and_history(world):
    event = _event(world)
    before_version = event.version
    dispute = services.do_convert_event_to_dispute(
        event,
        actor=world.user("township"),
        expected_version=event.version,
        dispute_type="neighbour",
        parties=[parties()[1]],
        reporter_role="applicant",
        note="属邻里纠纷，转调解",
    )
    d = details(dispute)
    assert (d.source, d.source_case_id) == ("event", event.pk)
    assert (dispute.title, dispute.area_id, dispute.grid_id) == (event.title, event.area_id, event.grid_id)
    assert sorted(dispute.parties.values_list("role", flat=True)) == ["applicant", "respondent"]
    assert dispute.parties.get(role="applicant").name == "张三"
    event.refresh_from_db()
    assert event.version == before_version + 1
    entry = TimelineEntry.objects.get(case=event, action="converted_to_dispute")
    assert entry.data["dispute"] == dispute.number
    with pytest.raises(ServiceError) as error:
        services.do_convert_event_to_dispute(
            event, actor=world.user("township"), expected_version=event.version, dispute_type="neighbour"
        )
    assert error.value.code == "already_converted"


def test_convert_refusals_write_nothing(world, register):
    event = _event(world)
    n = Case.objects.count()
    for name in ("outsider", "nobody", "handler", "auditor"):
        with pytest.raises(NotPermitted):
            services.do_convert_event_to_dispute(
                event, actor=world.user(name), expected_version=event.version, dispute_type="neighbour"
            )
    with pytest.raises(ServiceError) as error:
        services.do_convert_event_to_dispute(
            event,
            actor=world.user("township"),
            expected_version=event.version,
            dispute_type="neighbour",
            parties=[{**parties()[0], "id_card": "110101199003071234"}],
        )
    assert error.value.field == "parties[0].id_card"
    with pytest.raises(ServiceError) as error:
        services.do_convert_event_to_dispute(
            event, actor=world.user("township"), expected_version=event.version - 1, dispute_type="neighbour"
        )
    assert error.value.code == "conflict"
    dispute = register()
    with pytest.raises(ServiceError) as error:
        services.do_convert_event_to_dispute(
            dispute, actor=world.user("township"), expected_version=dispute.version, dispute_type="neighbour"
        )
    assert error.value.code == "not_an_event"
    assert Case.objects.count() == n + 1
    assert not TimelineEntry.objects.filter(case=event, action="converted_to_dispute").exists()


def test_mediation_success_rate_by_organisation_and_area_with_drill_down(world, register, committee, act):
    mediator = world.user("mediator").pk
    ok = register(dispute_type="other")
    ok = act(ok, "accept", "township", organisation=committee.pk, mediators=[mediator])
    ok = act(ok, "start", "mediator")
    act(ok, "agree", "mediator", agreement_text="和解", applicant_confirmed=True, respondent_confirmed=True)
    for _ in range(2):
        bad = register(dispute_type="other")
        bad = act(bad, "accept", "township", organisation=committee.pk, mediators=[mediator])
        bad = act(bad, "start", "mediator")
        act(bad, "fail", "mediator", note="分歧大")
    register(dispute_type="other")  # not ended: not counted
    figures = queries.mediation_figures(world.user("leader"))
    assert (figures["total"].ended, figures["total"].agreed, figures["total"].rate) == (3, 1, 0.3333)
    (row,) = figures["rows"]
    assert row.label == committee.name
    by_township = queries.mediation_figures(world.user("county"), group="township")
    assert [(r.label, r.ended) for r in by_township["rows"]] == [("东湖街道", 3)]
    cases = queries.figure_cases(
        world.user("leader"), group="organisation", key=str(committee.pk), outcome="failed"
    )
    assert cases.count() == 2
    assert queries.mediation_figures(world.user("outsider"))["total"].ended == 0
    assert queries.mediation_figures(world.user("gridworker"))["total"].ended == 0  # no figures permission


def test_overdue_sweep_raises_the_grade_without_moving_the_version(world, register, time_machine):
    import datetime as dt

    from django.core.management import call_command

    time_machine.move_to(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False)
    case = register(dispute_type="neighbour")  # 2 points: green
    assert details(case).risk_level == "green"
    version = Case.objects.get(pk=case.pk).version
    time_machine.move_to(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC), tick=False)  # acceptance overdue
    call_command("regrade_disputes", stdout=__import__("io").StringIO())
    d = details(case)
    assert d.risk_level == "yellow" and "overdue" in {r["rule"] for r in d.risk_reasons}
    assert Case.objects.get(pk=case.pk).version == version
    assert TimelineEntry.objects.filter(case=case, action="risk_changed", actor=None).count() == 1
    call_command("regrade_disputes", stdout=__import__("io").StringIO())  # nothing more to raise
    assert TimelineEntry.objects.filter(case=case, action="risk_changed").count() == 2


def test_the_worker_regrades_overdue_disputes_every_hour():
    from civicgrid.core import periodic
    from civicgrid.disputes.tasks import regrade_overdue_disputes

    jobs = {spec.name: spec for spec in periodic.registered_jobs()}
    assert jobs["disputes.regrade"].interval_seconds == 3600
    assert jobs["disputes.regrade"].task.module_path == regrade_overdue_disputes.module_path


def test_demo_disputes(world):
    from civicgrid.disputes.demo import create_demo_disputes

    assert create_demo_disputes() == 5
    statuses = sorted(Case.objects.filter(kind="dispute").values_list("status", flat=True))
    assert statuses == ["fulfilling", "mediating", "referred", "registered", "registered"]
    assert queries.red_disputes(world.user("leader")).count() == 1
    assert create_demo_disputes() == 0
