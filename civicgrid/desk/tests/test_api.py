"""The desk API: register, list, read, route (one transaction), answer, urge, reveal; errors name
the field with an error_code; everyone out of scope gets 404 and nothing changes; the schema
carries the desk's paths without warnings."""

import pytest
from django.core.management import call_command

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case
from civicgrid.desk.models import Visit
from tests.world import NAMES

from .conftest import OTHER, VISITOR

pytestmark = pytest.mark.django_db

URL = "/api/v1/desk/visits/"


def body(**extra):
    data = {
        "title": "小区物业乱收费",
        "description": "物业公司新增停车管理费",
        "people_count": 5,
        "grid_code": NAMES.grid_a1a_2,
        "parties": [dict(VISITOR), dict(OTHER)],
    }
    data.update(extra)
    return data


def test_register_list_and_read(desk_world, api_client_for):
    client = api_client_for("township")
    created = client.post(URL, body(), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["is_group"] and data["status"] == "pending" and data["case"] is None
    assert [p["role"] for p in data["parties"]] == ["visitor", "other_party"]
    assert data["parties"][0]["masked"] and data["parties"][0]["id_card"] != VISITOR["id_card"]
    listed = client.get(URL, {"status": "pending"}).json()
    assert [v["number"] for v in listed["results"]] == [data["number"]]
    assert client.get(data["url"]).json()["history"][0]["action"] == "registered"


def test_errors_name_the_field(desk_world, api_client_for):
    client = api_client_for("township")
    bad_id = [{**VISITOR, "id_card": "110105194912310021"}]
    response = client.post(URL, body(parties=bad_id), format="json")
    assert response.status_code == 400 and "parties[0].id_card" in response.json()
    assert response.json()["error_code"]
    response = client.post(URL, body(people_count=0), format="json")
    assert response.status_code == 400 and "people_count" in response.json()
    response = client.post(URL, body(grid_code=NAMES.grid_b1a_1), format="json")
    assert response.status_code == 400 and response.json()["error_code"] == "out_of_scope"
    assert not Visit.objects.exists()


def test_route_event_returns_case_and_code(desk_world, api_client_for):
    client = api_client_for("township")
    visit = client.post(URL, body(), format="json").json()
    response = client.post(
        f"{URL}{visit['id']}/route/", {"route": "event", "expected_version": visit["version"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "routed" and data["case"]["visible"] and data["case"]["kind"] == "event"
    assert len(data["query_code"]) == 9
    assert data["routings"][0]["case"]["number"] == data["case"]["number"]
    assert [p["role"] for p in data["parties"]] == ["visitor", "other_party"]  # from the case now
    # Not shown again when read back.
    assert "query_code" not in client.get(data["url"]).json()
    stale = client.post(
        f"{URL}{visit['id']}/route/", {"route": "event", "expected_version": 1}, format="json"
    )
    assert stale.status_code == 400 and "version" in stale.json()
    urged = client.post(
        f"{URL}{visit['id']}/urge/",
        {"expected_version": data["case"]["version"], "note": "请加快"},
        format="json",
    )
    assert urged.status_code == 200 and urged.json()["case"]["urge_count"] == 1


def test_answer_and_reveal(desk_world, api_client_for):
    client = api_client_for("township")
    visit = client.post(URL, body(), format="json").json()
    party = visit["parties"][0]["id"]
    revealed = client.post(f"{URL}{visit['id']}/reveal/", {"party": party, "purpose": "核对"}, format="json")
    assert revealed.status_code == 200 and revealed.json()["id_card"] == VISITOR["id_card"]
    assert AccessLog.objects.count() == 1
    answered = client.post(
        f"{URL}{visit['id']}/answer/", {"answer": "已解释收费政策", "expected_version": 1}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"


@pytest.mark.parametrize("username", ["outsider", "handler", "gridworker", "nobody", None])
def test_out_of_scope_is_404_and_nothing_changes(desk_world, api_client_for, register, username):
    visit = register()
    party = visit.parties.first().pk
    client = api_client_for(username)
    listing = client.get(URL)
    assert listing.status_code in (401, 403) or listing.json()["results"] == []
    expected = (401, 403) if username in ("handler", "gridworker", "nobody", None) else (404,)
    assert client.get(f"{URL}{visit.pk}/").status_code in (*expected, 404)
    for action, data in (
        ("route", {"route": "event", "expected_version": 1}),
        ("answer", {"answer": "x", "expected_version": 1}),
        ("reveal", {"party": party, "purpose": "x"}),
        ("urge", {"expected_version": 1}),
    ):
        assert client.post(f"{URL}{visit.pk}/{action}/", data, format="json").status_code in (*expected, 404)
    visit.refresh_from_db()
    assert visit.version == 1 and not Case.objects.exists() and not AccessLog.objects.exists()


def test_leader_reads_but_cannot_route(desk_world, api_client_for, register):
    visit = register()
    client = api_client_for("leader")
    assert client.get(f"{URL}{visit.pk}/").status_code == 200
    response = client.post(
        f"{URL}{visit.pk}/route/", {"route": "event", "expected_version": 1}, format="json"
    )
    assert response.status_code in (403, 404)
    assert not Case.objects.exists()


def test_schema_has_the_desk_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/desk/visits/", "/api/v1/desk/visits/{id}/route/", "/api/v1/desk/visits/{id}/urge/"):
        assert path in text


def test_repeated_create_answers_200_with_the_same_visit(desk_world, api_client_for):
    client = api_client_for("township")
    first = client.post(URL, body(idempotency_key="abc"), format="json")
    second = client.post(URL, body(idempotency_key="abc"), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and Visit.objects.count() == 1


def test_filter_by_area(desk_world, api_client_for, register):
    a1a = register()
    a1b = register(grid_code=NAMES.grid_a1b_1)
    client = api_client_for("county")

    def numbers(code):
        found = client.get(URL, {"area": code, "status": "pending"}).json()["results"]
        return [v["number"] for v in found]

    assert numbers(NAMES.village_a1a) == [a1a.number]
    assert numbers(NAMES.village_a1b) == [a1b.number]
    assert numbers("000000000000") == []
