"""The petitions API: register (400 naming the field, nothing written), scoped reads (404 for out
of reach), actions with expected_version, logged reveal, documents, figures; OpenAPI."""

from __future__ import annotations

import pytest
import time_machine

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case, CaseParty

from .conftest import ID_A, ID_B, at

pytestmark = pytest.mark.django_db


def body(world, **changes):
    data = {
        "title": "工地夜间施工噪音扰民",
        "description": "连续一个月夜间施工。",
        "area": world.area("338001001001").pk,
        "channel": "letter",
        "petition_class": "claim",
        "people_count": 5,
        "parties": [{"role": "petitioner", "name": "张三", "id_card": ID_A, "phone": "13912345678"}],
    }
    data.update(changes)
    return data


def test_register_read_act_and_reveal(world, api_client_for, calendar_2026):
    client = api_client_for("petition")
    with time_machine.travel(at(2026, 3, 2), tick=False):
        response = client.post("/api/v1/petitions/", body(world), format="json")
    assert response.status_code == 201, response.data
    data = response.data
    assert len(data["query_code"]) == 8 and data["petition"]["collective"] is True
    assert data["parties"][0]["name"] == "张*" and data["parties"][0]["masked"] is True
    assert [d["name"] for d in data["deadlines"]] == ["transfer"]
    assert "transfer" in [a["action"] for a in data["actions"]]
    pk = data["id"]
    listed = client.get("/api/v1/petitions/", {"collective": "true"}).data
    assert [row["number"] for row in listed["results"]] == [data["number"]]
    with time_machine.travel(at(2026, 3, 3), tick=False):
        stale = client.post(
            f"/api/v1/petitions/{pk}/actions/",
            {"action": "transfer", "expected_version": 99, "unit": world.units["chengguan"].pk},
            format="json",
        )
        assert stale.status_code == 400 and stale.data["error_code"] == "conflict"
        moved = client.post(
            f"/api/v1/petitions/{pk}/actions/",
            {"action": "transfer", "expected_version": data["version"], "unit": world.units["chengguan"].pk},
            format="json",
        )
    assert moved.status_code == 200 and moved.data["status"] == "transferred"
    handler = api_client_for("handler")
    with time_machine.travel(at(2026, 3, 4), tick=False):
        accepted = handler.post(
            f"/api/v1/petitions/{pk}/actions/",
            {"action": "accept", "expected_version": moved.data["version"]},
            format="json",
        )
    assert accepted.status_code == 200 and accepted.data["documents"][0]["code"] == "acceptance"
    document = handler.get(f"/api/v1/petitions/{pk}/document/", {"code": "acceptance", "type": "pdf"})
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    bad = handler.get(f"/api/v1/petitions/{pk}/document/", {"code": "opinion", "type": "pdf"})
    assert bad.status_code == 400 and bad.data["error_code"] == "no_document"
    party = CaseParty.objects.get(case_id=pk)
    revealed = client.post(
        f"/api/v1/petitions/{pk}/reveal/", {"party": party.pk, "purpose": "联系信访人"}, format="json"
    )
    assert revealed.status_code == 200 and revealed.data["id_card"] == ID_A
    assert AccessLog.objects.filter(object_id=str(party.pk), purpose="联系信访人").exists()
    figures = client.get("/api/v1/petitions/figures/", {"by": "unit"})
    assert figures.status_code == 200 and figures.data["total"]["total"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"parties": [{"role": "petitioner", "name": "张三", "id_card": "110105194912310021"}]},
            "parties[0].id_card",
        ),
        ({"petition_class": ""}, "petition_class"),
        ({"channel": ""}, "channel"),
        ({"people_count": 0}, "people_count"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(world, api_client_for, changes, field):
    response = api_client_for("petition").post("/api/v1/petitions/", body(world, **changes), format="json")
    assert response.status_code == 400 and field in response.data, response.data
    assert "error_code" in response.data
    assert Case.objects.count() == CaseParty.objects.count() == 0


def test_in_progress_below_is_refused_through_the_api_naming_the_case(world, api_client_for, register):
    below = register(actor="township")
    response = api_client_for("petition").post("/api/v1/petitions/", body(world), format="json")
    assert response.status_code == 400 and response.data["error_code"] == "in_progress_below"
    assert below.number in response.data["related_case"][0]


def test_outsiders_get_404_and_change_nothing(world, api_client_for, register):
    case = register(parties=[{"role": "petitioner", "name": "李四", "id_card": ID_B}])
    party = CaseParty.objects.get(case=case)
    for name in ("outsider", "mediator"):
        client = api_client_for(name)
        if name == "outsider":
            assert client.get(f"/api/v1/petitions/{case.pk}/").status_code == 404
            assert (
                client.post(
                    f"/api/v1/petitions/{case.pk}/reveal/", {"party": party.pk}, format="json"
                ).status_code
                == 404
            )
        response = client.post(
            f"/api/v1/petitions/{case.pk}/actions/",
            {"action": "transfer", "expected_version": 1, "unit": world.units["chengguan"].pk},
            format="json",
        )
        assert response.status_code == 404
    assert api_client_for("handler").post("/api/v1/petitions/", body(world), format="json").status_code == 403
    assert api_client_for(None).get("/api/v1/petitions/").status_code in (401, 403)
    case.refresh_from_db()
    assert (case.status, case.version) == ("registered", 1)
    assert not AccessLog.objects.exists()


def test_figures_drill_down_through_the_list(world, api_client_for, register):
    first = register()
    register(title="工地夜间施工噪音扰民", description="再次反映夜间施工", actor="petition")
    client = api_client_for("petition")
    figures = client.get("/api/v1/petitions/figures/").data
    row = figures["rows"][0]
    assert (row["group"], row["total"], row["repeat"], row["repeat_rate"]) == ("unit:none", 2, 1, 0.5)
    listed = client.get("/api/v1/petitions/", {"group": row["group"], "metric": "repeat"}).data["results"]
    assert len(listed) == 1 and listed[0]["petition"]["repeat_of"] == first.pk
    bad = client.get("/api/v1/petitions/figures/", {"since": "2026-05-01", "until": "2026-04-01"})
    assert bad.status_code == 400 and "until" in bad.data


def test_schema_has_the_petitions_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/petitions/", "/api/v1/petitions/{id}/actions/", "/api/v1/petitions/figures/"):
        assert path in text


def test_the_list_does_not_grow_queries_with_rows(world, api_client_for, register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for("petition")
    register()
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/petitions/").status_code == 200
    for i in range(4):
        register(
            title=f"道路破损第{i}处",
            description=f"第{i}处",
            parties=[{"role": "petitioner", "name": f"人{i}"}],
        )
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/api/v1/petitions/").data["results"]) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
