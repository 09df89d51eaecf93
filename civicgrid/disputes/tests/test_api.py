"""The disputes API: bad input → 400 naming the field with an error_code; out of scope → 404 and
nothing changed; the whole life through the API; organisations, schemes; a schema without warnings."""

import pytest
from django.core.management import call_command

from civicgrid.audit.models import AccessLog
from civicgrid.cases.models import Case
from civicgrid.disputes.models import DisputeDetails, MediationOrganisation, RiskScheme

from .conftest import APPLICANT_ID, parties

URL = "/api/v1/disputes/"


def body(**overrides):
    data = {
        "title": "劳资纠纷",
        "description": "拖欠工资三个月",
        "grid": "338001001001001",
        "dispute_type": "labour",
        "amount": "12000.50",
        "people_count": 3,
        "source": "walk_in",
        "parties": parties(),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"people_count": 0}, "people_count"),
        ({"dispute_type": "x"}, "dispute_type"),
        ({"grid": "999"}, "grid"),
        ({"grid": "338002101201001"}, "grid"),  # another county: same answer as a missing grid
        ({"parties": [{**parties()[0], "id_card": "110101199003071234"}]}, "parties[0].id_card"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(world, api_client_for, overrides, field):
    response = api_client_for("township").post(URL, body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json() and response.json()["error_code"]
    assert not Case.objects.filter(kind="dispute").exists()


def test_life_through_the_api(world, api_client_for, committee):
    township, mediator = api_client_for("township"), api_client_for("mediator")
    created = township.post(URL, body(), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    pk, version = data["id"], data["version"]
    assert data["details"]["amount"] == "12000.50"
    assert all(p["masked"] for p in data["parties"]) and APPLICANT_ID not in str(data)
    assert {"accept", "not_accept"} <= {a["action"] for a in data["actions"]}
    r = township.post(
        f"{URL}{pk}/actions/accept/",
        {"expected_version": version, "organisation": committee.pk, "mediators": [world.user("mediator").pk]},
        format="json",
    )
    assert r.status_code == 200, r.json()
    version = r.json()["version"]
    r = mediator.post(f"{URL}{pk}/actions/start/", {"expected_version": version}, format="json")
    version = r.json()["version"]
    r = mediator.post(
        f"{URL}{pk}/sessions/",
        {
            "expected_version": version,
            "held_at": Case.objects.get(pk=pk).opened_at.isoformat(),
            "place": "调委会",
            "participants": "双方",
            "record": "协商",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    version += 1
    r = mediator.post(
        f"{URL}{pk}/actions/agree/",
        {"expected_version": version, "agreement_text": "分期支付", "applicant_confirmed": True},
        format="json",
    )
    assert r.status_code == 400 and "respondent_confirmed" in r.json()
    r = mediator.post(
        f"{URL}{pk}/actions/agree/",
        {
            "expected_version": version,
            "agreement_text": "分期支付",
            "applicant_confirmed": True,
            "respondent_confirmed": True,
        },
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "agreed"
    version = r.json()["version"]
    doc = township.get(f"{URL}{pk}/agreement/?file_format=docx")
    assert doc.status_code == 200 and doc.content[:2] == b"PK"
    r = mediator.post(f"{URL}{pk}/actions/fulfil/", {"expected_version": version}, format="json")
    version = r.json()["version"]
    r = api_client_for("gridworker").post(
        f"{URL}{pk}/visits/",
        {"expected_version": version, "result": "fulfilled", "note": "已支付首期"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    r = township.post(f"{URL}{pk}/actions/close/", {"expected_version": version + 1}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_outsiders_get_404_and_nothing_changes(world, api_client_for, register, committee):
    case = register()
    for name in ("outsider", "handler"):
        client = api_client_for(name)
        if name == "outsider":
            assert client.get(f"{URL}{case.pk}/").status_code == 404
        r = client.post(
            f"{URL}{case.pk}/actions/accept/",
            {
                "expected_version": case.version,
                "organisation": committee.pk,
                "mediators": [world.user("mediator").pk],
            },
            format="json",
        )
        assert r.status_code in (403, 404)
        party = case.parties.first()
        assert client.post(f"{URL}{case.pk}/parties/{party.pk}/reveal/", {}, format="json").status_code in (
            403,
            404,
        )
    assert api_client_for("nobody").get(URL).status_code == 403
    assert case.number not in str(api_client_for("outsider").get(URL).json())
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.version) == ("registered", case.version)
    assert not AccessLog.objects.exists()
    # The grid worker sees the case (in their grid) but may not accept it, nor reveal.
    r = api_client_for("gridworker").post(
        f"{URL}{case.pk}/actions/accept/", {"expected_version": case.version}, format="json"
    )
    assert r.status_code == 404
    r = api_client_for("township").post(
        f"{URL}{case.pk}/parties/{case.parties.first().pk}/reveal/", {"purpose": "调解"}, format="json"
    )
    assert r.status_code == 200 and r.json()["id_card"] == APPLICANT_ID
    assert AccessLog.objects.count() == 1


def test_red_figures_and_convert(world, api_client_for, register):
    red = register(description="扬言报复，要同归于尽")
    r = api_client_for("leader").get(f"{URL}red/")
    assert r.status_code == 200 and [row["number"] for row in r.json()["results"]] == [red.number]
    assert api_client_for("outsider").get(f"{URL}red/").json()["results"] == []
    r = api_client_for("leader").get(f"{URL}figures/?group=county&start=2020-01-01")
    assert r.status_code == 200 and r.json()["total"]["ended"] == 0
    assert api_client_for("leader").get(f"{URL}figures/?start=bad").status_code == 400
    assert api_client_for("gridworker").get(f"{URL}figures/").status_code == 403
    assert api_client_for("leader").get(f"{URL}figures/cases/?group=organisation&key=").status_code == 200
    from civicgrid.events.services import do_report_event

    event = do_report_event(
        actor=world.user("gridworker"),
        title="争吵",
        description="邻里争吵",
        channel="grid_patrol",
        lon=120.01,
        lat=30.01,
    ).case
    r = api_client_for("outsider").post(
        f"{URL}convert/",
        {"event": event.pk, "expected_version": event.version, "dispute_type": "neighbour"},
        format="json",
    )
    assert r.status_code == 404
    r = api_client_for("township").post(
        f"{URL}convert/",
        {"event": event.pk, "expected_version": event.version, "dispute_type": "neighbour"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["details"]["source_case_number"] == event.number
    assert DisputeDetails.objects.filter(source_case=event).count() == 1


def test_mediation_organisations(world, api_client_for):
    url = "/api/v1/mediation-organisations/"
    data = {
        "name": "东湖社区调委会",
        "kind": "village_committee",
        "area": "338001001001",
        "mediators": [world.user("mediator").pk],
    }
    r = api_client_for("township").post(url, data, format="json")
    assert r.status_code == 201, r.json()
    org = MediationOrganisation.objects.get()
    assert list(org.mediators.all()) == [world.user("mediator")]
    r = api_client_for("outsider").post(url, {**data, "name": "x"}, format="json")
    assert r.status_code == 400 and "area" in r.json()
    r = api_client_for("township").post(
        url, {**data, "name": "y", "mediators": [world.user("handler").pk]}, format="json"
    )
    assert r.status_code == 400 and "mediators" in r.json()
    r = api_client_for("township").post(url, data, format="json")
    assert r.status_code == 400 and "name" in r.json()
    assert (
        api_client_for("outsider").patch(f"{url}{org.pk}/", {"phone": "1"}, format="json").status_code == 404
    )
    r = api_client_for("township").patch(f"{url}{org.pk}/", {"phone": "0571-1"}, format="json")
    assert r.status_code == 200 and r.json()["phone"] == "0571-1"
    assert MediationOrganisation.objects.count() == 1


def test_risk_schemes_api(world, api_client_for):
    url = "/api/v1/dispute-risk-schemes/"
    listed = api_client_for("township").get(url).json()
    assert len(listed["results"] if isinstance(listed, dict) else listed) == 2
    assert api_client_for("nobody").get(url).status_code == 200
    assert not api_client_for("nobody").get(url).json()["results"]
    active = RiskScheme.objects.get(is_active=True)
    r = api_client_for("county_admin").patch(f"{url}{active.pk}/", {"group_size": 6}, format="json")
    assert r.status_code in (400, 404)
    r = api_client_for("admin").patch(
        f"{url}{active.pk}/", {"levels": [{"code": "green", "label": "绿", "min_score": 1}]}, format="json"
    )
    assert r.status_code == 400 and "levels" in r.json()
    r = api_client_for("admin").patch(f"{url}{active.pk}/", {"group_size": 6}, format="json")
    assert r.status_code == 200 and r.json()["group_size"] == 6
    four = RiskScheme.objects.get(name="四色预警")
    assert api_client_for("admin").post(f"{url}{four.pk}/activate/").status_code == 200
    assert RiskScheme.objects.get(is_active=True) == four


def test_schema_has_the_disputes_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/disputes/{id}/actions/{action_name}/" in text
    assert "/api/v1/mediation-organisations/" in text


def test_mediation_extension_and_urge_through_the_api(world, api_client_for, register, committee, act):
    case = register()
    case = act(case, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    township = api_client_for("township")
    r = township.post(
        f"{URL}{case.pk}/actions/request_extension/",
        {"expected_version": case.version, "clock": "mediation", "amount": 31, "reason": "需鉴定"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["error_code"] == "extension_exceeds_maximum", r.json()
    r = township.post(
        f"{URL}{case.pk}/actions/request_extension/",
        {"expected_version": case.version, "clock": "mediation", "amount": 15, "reason": "需鉴定"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    r = township.post(
        f"{URL}{case.pk}/actions/decide_extension/",
        {"expected_version": r.json()["version"], "clock": "mediation", "approve": True},
        format="json",
    )
    assert r.status_code == 200
    mediation = next(d for d in r.json()["deadlines"] if d["name"] == "mediation")
    assert mediation["amount"] == 30
    r = api_client_for("leader").post(
        f"{URL}{case.pk}/actions/urge/", {"expected_version": r.json()["version"]}, format="json"
    )
    assert r.status_code == 200
    assert (
        api_client_for("outsider")
        .post(f"{URL}{case.pk}/actions/urge/", {"expected_version": r.json()["version"]}, format="json")
        .status_code
        == 404
    )


def test_mediators_find_their_disputes(world, api_client_for, register, committee, act, client):
    mine = register()
    act(mine, "accept", "township", organisation=committee.pk, mediators=[world.user("mediator").pk])
    other = register()
    numbers = [row["number"] for row in api_client_for("mediator").get(f"{URL}?mine=true").json()["results"]]
    assert numbers == [mine.number]
    client.force_login(world.user("mediator"))
    page = client.get("/disputes/?mine=1")
    assert mine.number in page.text and other.number not in page.text


def test_remove_a_party_registered_in_error(world, api_client_for, register, committee, act):
    case = register()
    party = case.parties.get(role="respondent")
    url = f"{URL}{case.pk}/parties/{party.pk}/remove/"
    assert (
        api_client_for("outsider")
        .post(url, {"expected_version": case.version, "note": "x"}, format="json")
        .status_code
        == 404
    )
    r = api_client_for("township").post(url, {"expected_version": case.version, "note": ""}, format="json")
    assert r.status_code == 400 and "note" in r.json()
    r = api_client_for("township").post(
        url, {"expected_version": case.version, "note": "登记错误"}, format="json"
    )
    assert r.status_code == 200 and [p["role"] for p in r.json()["parties"]] == ["applicant"]
    case = act(
        Case.objects.get(pk=case.pk),
        "accept",
        "township",
        organisation=committee.pk,
        mediators=[world.user("mediator").pk],
    )
    applicant = case.parties.get()
    r = api_client_for("township").post(
        f"{URL}{case.pk}/parties/{applicant.pk}/remove/",
        {"expected_version": case.version, "note": "x"},
        format="json",
    )
    assert r.status_code == 200  # accepted but not yet mediating: still allowed
