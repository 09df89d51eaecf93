"""检举控告: confidential, seen only by the discipline-inspection role; the accused (and their unit,
even when dispatched to) never sees it; never transferred to the accused's unit (Art.30)."""

from __future__ import annotations

import pytest

from civicgrid.cases import queries
from civicgrid.cases import services as kernel
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotPermitted, ServiceError

from .conftest import ID_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def accusation(world, register):
    return register(
        title="检举某局工作人员索要好处费",
        description="办理审批时被索要好处费。",
        petition_class="accusation",
        parties=[
            {"role": "petitioner", "name": "张三", "id_card": ID_A},
            {"role": "accused", "name": "孙承办", "data": {"unit": world.units["chengguan"].pk}},
        ],
    )


def visible(user, case):
    return Case.objects.restrict(user, "cases.view_case").filter(pk=case.pk).exists()


def test_only_the_discipline_inspector_sees_it(world, accusation):
    assert accusation.confidential
    assert visible(world.user("inspector"), accusation)
    # The registering petition officer loses sight of it (documented choice), as does everyone else.
    for name in ("petition", "handler", "county", "city", "leader", "auditor", "township", "outsider"):
        assert not visible(world.user(name), accusation), name
        assert not kernel.can_act(world.user(name), "cases.view_case", accusation), name


def test_never_transferred_to_the_accused_unit(world, accusation):
    inspector = world.user("inspector")
    with pytest.raises(ServiceError) as info:
        kernel.do_apply_action(
            accusation, "transfer", actor=inspector, expected_version=1, unit=world.units["chengguan"].pk
        )
    assert (info.value.code, info.value.field) == ("accused_unit", "unit")
    accusation.refresh_from_db()
    assert accusation.status == "registered" and not accusation.assignments.exists()
    case = kernel.do_apply_action(
        accusation, "transfer", actor=inspector, expected_version=1, unit=world.units["discipline"].pk
    )
    case = kernel.do_apply_action(case, "accept", actor=inspector, expected_version=case.version)
    assert case.status == "accepted"


def test_the_accused_unit_dispatched_to_still_gets_nothing(world, accusation):
    # Even a dispatch by the system to the accused's unit gives its staff no sight (kernel rule).
    kernel.do_assign(accusation, [], world.units["chengguan"], actor=None, expected_version=1)
    handler = world.user("handler")
    assert not visible(handler, accusation)
    with pytest.raises(NotPermitted):
        kernel.do_apply_action(accusation, "accept", actor=handler, expected_version=2)


def test_the_accused_gets_404_everywhere(world, accusation, api_client_for, client):
    """The accused (handler 孙承办 of 江东区城市管理局, named as 被反映人, their unit dispatched to by
    the system) and the registering officer: page, API, documents, inbox, search and list."""
    kernel.do_assign(accusation, [], world.units["chengguan"], actor=None, expected_version=1)
    for name in ("handler", "petition"):
        user = world.user(name)
        client.force_login(user)
        assert client.get(f"/cases/{accusation.number}/").status_code == 404
        assert client.get(f"/petitions/{accusation.number}/documents/acceptance.pdf").status_code == 404
        for party in accusation.parties.all():
            assert (
                client.post(f"/petitions/{accusation.number}/parties/{party.pk}/reveal/").status_code == 404
            )
        # The inbox's "my unit" queue: see test_the_inbox_my_unit_queue_hides_it_from_the_accused_unit.
        urls = ["/cases/?queue=all", f"/cases/?queue=all&q={accusation.number}", "/cases/?queue=all&q=检举"]
        urls += ["/cases/?queue=due_soon", "/petitions/", f"/petitions/?q={accusation.number}"]
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, url
            # (the number typed into the search box is echoed; the case itself must not appear)
            assert f"/cases/{accusation.number}/" not in page.content.decode(), url
            assert accusation.title not in page.content.decode(), url
        api = api_client_for(name)
        assert api.get(f"/api/v1/petitions/{accusation.pk}/").status_code == 404
        assert accusation.number not in str(api.get("/api/v1/petitions/").data)
        assert accusation.number not in str(api.get("/api/v1/events/").data)
        response = api.post(
            f"/api/v1/petitions/{accusation.pk}/actions/",
            {"action": "accept", "expected_version": 2},
            format="json",
        )
        assert response.status_code == 404
    # The inspector sees it everywhere.
    client.force_login(world.user("inspector"))
    assert client.get(f"/cases/{accusation.number}/").status_code == 200
    assert accusation.number in client.get("/petitions/").content.decode()
    assert api_client_for("inspector").get(f"/api/v1/petitions/{accusation.pk}/").status_code == 200


def test_registering_one_answers_with_number_and_code_only(world, api_client_for):
    response = api_client_for("petition").post(
        "/api/v1/petitions/",
        {
            "title": "检举索贿",
            "area": world.area("338001001001").pk,
            "channel": "online",
            "petition_class": "accusation",
            "parties": [{"role": "petitioner", "name": "张三", "id_card": ID_A}],
        },
        format="json",
    )
    assert response.status_code == 201 and set(response.data) == {"id", "number", "query_code"}


def test_the_inbox_my_unit_queue_hides_it_from_the_accused_unit(world, accusation, client):
    kernel.do_assign(accusation, [], world.units["chengguan"], actor=None, expected_version=1)
    client.force_login(world.user("handler"))
    page = client.get("/cases/?queue=my_unit").content.decode()
    assert accusation.number not in page and accusation.title not in page
    assert queries.inbox_counts(world.user("handler")).my_unit == 0


def test_only_a_discipline_unit_receives_it(world, accusation):
    """A confidential petition goes only to a unit whose staff may see it (else nobody there
    could act on it, and its title would sit in their unit's queue)."""
    inspector = world.user("inspector")
    with pytest.raises(ServiceError) as info:
        kernel.do_apply_action(
            accusation, "transfer", actor=inspector, expected_version=1, unit=world.units["donghu_office"].pk
        )
    assert (info.value.code, info.value.field) == ("not_discipline_unit", "unit")
