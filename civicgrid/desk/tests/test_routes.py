"""Routing to the other kinds through their own services: mediation (dispute) and petition, the
re-routing of a failed mediation to a petition with the link kept both ways, and the roles mapped
onto each kind's party roles."""

import pytest

from civicgrid.cases.models import CaseParty, TimelineEntry
from civicgrid.core.errors import ServiceError
from civicgrid.desk import routes, services
from civicgrid.desk.models import Visit, VisitRouting

pytestmark = pytest.mark.django_db


def _petitions_ready():
    try:
        from civicgrid.petitions import services as petition_services
    except ImportError:
        return False
    return hasattr(petition_services, "do_register_petition")


needs_petitions = pytest.mark.skipif(not _petitions_ready(), reason="petitions kind not installed")


def test_route_to_mediation_opens_a_dispute(register, desk_world):
    visit = register(people_count=5)
    user = desk_world.user("township")
    visit, opened = services.do_route_visit(
        visit,
        actor=user,
        expected_version=visit.version,
        route="dispute",
        options={"dispute_type": "neighbour", "amount": "1200.50"},
    )
    case = opened.case
    assert case.kind == "dispute" and visit.case == case and visit.route == "dispute"
    assert case.dispute.source == "walk_in" and case.dispute.is_group and case.dispute.amount == 1200.50
    roles = sorted(CaseParty.objects.filter(case=case).values_list("role", flat=True))
    assert roles == ["applicant", "respondent"]
    assert TimelineEntry.objects.filter(case=case, action="desk_visit").exists()


@pytest.mark.parametrize(
    "options, field",
    [
        ({}, "dispute_type"),
        ({"dispute_type": "alien"}, "dispute_type"),
        ({"dispute_type": "debt", "amount": "-1"}, "amount"),
    ],
)
def test_dispute_options_are_checked_first(register, desk_world, options, field):
    visit = register()
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(
            visit, actor=desk_world.user("township"), expected_version=1, route="dispute", options=options
        )
    assert err.value.field == field
    visit.refresh_from_db()
    assert visit.status == "pending" and visit.parties.count() == 2


def test_dispute_route_needs_the_kinds_permission(register, desk_world):
    """The desk permission alone is not enough: the dispute's own service checks its permission
    (the leader holds neither; a petition officer holds the desk's but not the dispute's)."""
    visit = register()
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(
            visit,
            actor=desk_world.user("petition"),
            expected_version=1,
            route="dispute",
            options={"dispute_type": "debt"},
        )
    assert err.value.code == "route_not_permitted" and err.value.field == "route"
    visit.refresh_from_db()
    assert visit.case is None and not VisitRouting.objects.exists()


@needs_petitions
def test_route_to_petition(register, desk_world):
    visit = register(username="petition")
    visit, opened = services.do_route_visit(
        visit,
        actor=desk_world.user("petition"),
        expected_version=1,
        route="petition",
        options={"petition_class": "claim"},
    )
    assert opened.case.kind == "petition" and opened.query_code
    roles = sorted(CaseParty.objects.filter(case=opened.case).values_list("role", flat=True))
    assert roles == ["accused", "petitioner"]


@needs_petitions
def test_failed_mediation_rerouted_to_petition_keeps_the_link(register, desk_world):
    township, petition = desk_world.user("township"), desk_world.user("petition")
    visit = register()
    visit, first = services.do_route_visit(
        visit, actor=township, expected_version=1, route="dispute", options={"dispute_type": "neighbour"}
    )
    visit, second = services.do_route_visit(
        visit,
        actor=petition,
        expected_version=visit.version,
        route="petition",
        note="调解不成，来访人要求信访",
        options={"petition_class": "claim"},
    )
    assert visit.case == second.case and visit.route == "petition"
    routing = VisitRouting.objects.get(case=second.case)
    assert routing.previous_case == first.case
    assert TimelineEntry.objects.filter(case=first.case, action="desk_rerouted").exists()
    assert TimelineEntry.objects.filter(case=second.case, data__previous_case=first.case.number).exists()
    roles = sorted(CaseParty.objects.filter(case=second.case).values_list("role", flat=True))
    assert roles == ["accused", "petitioner"]  # applicant → petitioner, respondent → accused
    assert [e.action for e in Visit.objects.get(pk=visit.pk).history.all()] == [
        "registered",
        "routed",
        "rerouted",
    ]


def test_role_labels_cover_the_kinds():
    labels = routes.role_labels()
    assert labels["visitor"] == "来访人" and labels["applicant"] == "申请人"


@needs_petitions
def test_accusation_is_sealed_from_the_desk(register, desk_world, api_client_for):
    """检举控告 are seen only by the discipline-inspection role: the desk that routed one no longer
    reads its matter or its case, and cannot re-route it (which would copy the accused's data)."""
    petition = desk_world.user("petition")
    visit = register(username="petition", title="举报某局长收受贿赂", description="详细举报材料")
    visit, opened = services.do_route_visit(
        visit, actor=petition, expected_version=1, route="petition", options={"petition_class": "accusation"}
    )
    assert opened.case.confidential and opened.query_code
    data = api_client_for("petition").get(f"/api/v1/desk/visits/{visit.pk}/").json()
    assert data["sealed"] and data["title"] == "（保密事项）" and data["description"] == ""
    assert data["case"] == {**dict.fromkeys(data["case"], None), "visible": False}
    assert data["parties"] == [] or all(p["masked"] for p in data["parties"])
    listing = api_client_for("petition").get("/api/v1/desk/visits/", {"status": "routed"}).json()
    assert listing["results"][0]["title"] == "（保密事项）"
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(
            visit,
            actor=petition,
            expected_version=visit.version,
            route="dispute",
            note="改为调解",
            options={"dispute_type": "other"},
        )
    assert err.value.code == "case_hidden"


def test_dispute_clock_runs_from_the_visit(register, desk_world):
    import datetime as dt

    from django.utils import timezone

    received = timezone.now() - dt.timedelta(hours=3)
    visit = register(received_at=received)
    visit, opened = services.do_route_visit(
        visit,
        actor=desk_world.user("township"),
        expected_version=1,
        route="dispute",
        options={"dispute_type": "debt"},
    )
    assert opened.case.opened_at == received
