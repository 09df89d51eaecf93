"""The desk's services: registering a walk-in once, routing it to an event in one transaction,
re-routing with the link kept both ways, answering, urging, reveals; and every way to break it
(outsider, wrong role, wrong area, bad input → nothing written)."""

import pytest

from civicgrid.audit.models import AccessLog, ObjectChange
from civicgrid.cases.models import Case, CaseParty, TimelineEntry
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.desk import routes, services
from civicgrid.desk.models import Visit, VisitEntry, VisitParty, VisitRouting
from tests.world import NAMES

from .conftest import OTHER, VISITOR

pytestmark = pytest.mark.django_db


def test_register_keeps_parties_checked_and_masked(register, desk_world):
    visit = register(people_count=6)
    assert visit.number.startswith("LF338001")
    assert visit.status == "pending" and visit.is_group and visit.people_count == 6
    assert visit.path == desk_world.grids[NAMES.grid_a1a_1].path
    rows = services.visit_party_rows(visit)
    assert [r["role"] for r in rows] == ["visitor", "other_party"]
    assert rows[0]["masked"] and rows[0]["id_card"] != VISITOR["id_card"] and "*" in rows[0]["phone"]
    assert VisitEntry.objects.filter(visit=visit, action="registered").count() == 1
    # The audit log keeps personal data masked.
    change = ObjectChange.objects.filter(object_type__endswith="visitparty").first()
    assert VISITOR["id_card"] not in str(change.after)


def test_numbers_count_per_day_and_area(register):
    first, second = register(), register()
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_group_flag_below_five(register):
    assert not register(people_count=4).is_group


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"title": " "}, "title"),
        ({"people_count": 0}, "people_count"),
        ({"people_count": "many"}, "people_count"),
        (
            {"people_count": 1, "parties": [dict(VISITOR), {**VISITOR, "name": "王五", "id_card": ""}]},
            "people_count",
        ),
        ({"parties": []}, "parties"),
        ({"parties": [dict(OTHER)]}, "parties"),
        ({"parties": [{**VISITOR, "id_card": "110105194912310021"}]}, "parties[0].id_card"),
        ({"parties": [{**VISITOR, "role": "judge"}]}, "parties[0].role"),
        ({"grid_code": "999"}, "grid_code"),
        ({"grid_code": None}, "location"),
        ({"grid_code": None, "area_code": "999999999999"}, "area_code"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(register, kwargs, field):
    with pytest.raises(ServiceError) as err:
        register(**kwargs)
    assert err.value.field == field
    assert not Visit.objects.exists() and not VisitParty.objects.exists()


def test_register_outside_own_area_is_refused(register):
    with pytest.raises(ServiceError) as err:
        register(grid_code=NAMES.grid_b1a_1)
    assert err.value.field == "grid_code" and err.value.code == "out_of_scope"
    with pytest.raises(ServiceError):
        register(username="gridworker")  # no desk permission at all
    assert not Visit.objects.exists()


def test_register_by_coordinates(register, desk_world):
    visit = register(grid_code=None, lon=120.01, lat=30.01)
    assert visit.grid is not None and visit.area.code == NAMES.village_a1a


def test_route_to_event_opens_the_case_with_parties_and_link(register, desk_world):
    visit = register()
    user = desk_world.user("township")
    visit, opened = services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    case = opened.case
    assert case.kind == "event" and visit.case == case and visit.status == "routed" and visit.route == "event"
    assert len(opened.query_code) == 9  # XXXX-XXXX, shown once on the receipt
    assert case.event.reporter_name == "张三" and case.event.channel == "walk_in"
    assert sorted(CaseParty.objects.filter(case=case).values_list("role", flat=True)) == [
        "other_party",
        "visitor",
    ]
    assert not VisitParty.objects.filter(visit=visit).exists()  # the case keeps them now
    assert VisitRouting.objects.get(visit=visit).case == case
    assert TimelineEntry.objects.filter(case=case, action="desk_visit", data__visit=visit.number).exists()
    assert list(visit.history.values_list("action", flat=True)) == ["registered", "routed"]


def test_event_query_code_follows_the_case(register, desk_world):
    from civicgrid.events.citizen_services import find_citizen_case

    visit = register()
    visit, opened = services.do_route_visit(
        visit, actor=desk_world.user("township"), expected_version=visit.version, route="event"
    )
    assert find_citizen_case(opened.case.number, opened.query_code) == opened.case
    new_code = services.do_record_receipt(visit, actor=desk_world.user("township"), reissue_code=True)
    assert new_code != opened.query_code
    assert find_citizen_case(opened.case.number, new_code) == opened.case


def test_route_failure_rolls_back_everything(register, desk_world, monkeypatch):
    visit = register()

    def broken(*args, **kwargs):
        raise ServiceError("boom", "坏了", field="category")

    monkeypatch.setattr("civicgrid.desk.routes.report_event", broken)
    with pytest.raises(ServiceError):
        services.do_route_visit(
            visit, actor=desk_world.user("township"), expected_version=visit.version, route="event"
        )
    visit.refresh_from_db()
    assert visit.status == "pending" and visit.case is None and visit.parties.count() == 2
    assert not VisitRouting.objects.exists() and not Case.objects.exists()


def test_route_stale_version_and_bad_route(register, desk_world):
    visit = register()
    user = desk_world.user("township")
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(visit, actor=user, expected_version=visit.version + 1, route="event")
    assert err.value.field == "version"
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(visit, actor=user, expected_version=visit.version, route="court")
    assert err.value.field == "route"
    assert not Case.objects.exists()


@pytest.mark.parametrize("username", ["outsider", "gridworker", "handler", "nobody"])
def test_outsiders_cannot_route_answer_or_read(register, desk_world, username):
    visit = register()
    user = desk_world.user(username)
    with pytest.raises(NotPermitted):
        services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    with pytest.raises(NotPermitted):
        services.do_answer_visit(visit, actor=user, expected_version=visit.version, answer="已解答")
    with pytest.raises(NotPermitted):
        services.get_visit(user, visit.pk)
    with pytest.raises(NotPermitted):
        services.do_reveal_visit_party(visit, visit.parties.first().pk, actor=user)
    visit.refresh_from_db()
    assert visit.status == "pending" and visit.version == 1 and not Case.objects.exists()
    assert not AccessLog.objects.exists()


def test_leader_views_but_cannot_route(register, desk_world):
    visit = register()
    leader = desk_world.user("leader")
    assert services.get_visit(leader, visit.pk) == visit
    with pytest.raises(NotPermitted):
        services.do_route_visit(visit, actor=leader, expected_version=visit.version, route="event")


def test_reveal_is_logged(register, desk_world):
    visit = register()
    party = visit.parties.first()
    row = services.do_reveal_visit_party(
        visit, party.pk, actor=desk_world.user("township"), purpose="核对身份"
    )
    assert row["id_card"] == VISITOR["id_card"] and not row["masked"]
    log = AccessLog.objects.get()
    assert log.purpose == "核对身份" and log.object_id == str(party.pk)


def test_answer_only_pending(register, desk_world):
    visit = register()
    user = desk_world.user("township")
    with pytest.raises(ServiceError) as err:
        services.do_answer_visit(visit, actor=user, expected_version=1, answer=" ")
    assert err.value.field == "answer"
    visit = services.do_answer_visit(visit, actor=user, expected_version=1, answer="已解释相关政策")
    assert visit.status == "answered"
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    assert err.value.code == "not_pending"


def test_reroute_opens_a_new_linked_case(register, desk_world):
    visit = register()
    user = desk_world.user("township")
    visit, first = services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    with pytest.raises(ServiceError) as err:  # the reason is required
        services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    assert err.value.field == "note"
    with pytest.raises(ServiceError) as err:  # the same kind while the first is still open
        services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event", note="再报")
    assert err.value.code == "same_route_open"
    first.case.closed_at = first.case.opened_at  # closed (test shortcut)
    Case.objects.filter(pk=first.case.pk).update(closed_at=first.case.opened_at)
    visit, second = services.do_route_visit(
        visit, actor=user, expected_version=visit.version, route="event", note="处理后又复发"
    )
    assert second.case != first.case and visit.case == second.case
    routing = VisitRouting.objects.get(case=second.case)
    assert routing.previous_case == first.case
    assert CaseParty.objects.filter(case=second.case).count() == 2
    assert TimelineEntry.objects.filter(case=first.case, action="desk_rerouted").exists()
    assert visit.history.last().action == "rerouted"
    assert visit.history.last().data["previous_number"] == first.case.number


def test_urge_from_the_desk(register, desk_world):
    visit = register()
    user = desk_world.user("township")
    visit, opened = services.do_route_visit(visit, actor=user, expected_version=visit.version, route="event")
    case = services.do_urge_visit_case(visit, actor=user, expected_version=opened.case.version, note="请尽快")
    assert case.urge_count == 1
    assert visit.history.last().action == "urged"
    with pytest.raises(NotPermitted):
        services.do_urge_visit_case(visit, actor=desk_world.user("outsider"), expected_version=case.version)
    with pytest.raises(ServiceError) as err:
        services.do_urge_visit_case(visit, actor=user, expected_version=1)
    assert err.value.field == "version"


def test_urge_needs_a_case(register, desk_world):
    visit = register()
    with pytest.raises(ServiceError) as err:
        services.do_urge_visit_case(visit, actor=desk_world.user("township"), expected_version=1)
    assert err.value.code == "not_routed"


def test_unavailable_routes_are_field_errors(register, desk_world, monkeypatch):
    monkeypatch.setattr(routes, "available_routes", lambda: ["event"])
    visit = register()
    with pytest.raises(ServiceError) as err:
        services.do_route_visit(
            visit, actor=desk_world.user("township"), expected_version=1, route="dispute", options={}
        )
    assert err.value.field == "route" and err.value.code == "route_unavailable"


def test_a_repeated_submission_returns_the_first_visit(register, desk_world):
    first = register(idempotency_key="k-1")
    again = register(idempotency_key="k-1", title="不同的标题")
    assert again.pk == first.pk and again.repeated and Visit.objects.count() == 1
    with pytest.raises(ServiceError) as err:  # another user's key
        register(username="county", idempotency_key="k-1")
    assert err.value.field == "idempotency_key"
    assert Visit.objects.count() == 1
