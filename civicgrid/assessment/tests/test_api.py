"""The assessment API: figures and drill-down over the realistic month, schemes CRUD for
administrators only, exclusions asked and decided (audited), and denials that change nothing."""

from __future__ import annotations

import pytest

from civicgrid.assessment.models import AssessmentScheme, Exclusion
from civicgrid.audit.models import ObjectChange
from tests.world import NAMES

pytestmark = pytest.mark.django_db

FIGURES = "/api/v1/assessment/figures/"
DRILL = "/api/v1/assessment/figures/drill/"
SCHEMES = "/api/v1/assessment/schemes/"
EXCLUSIONS = "/api/v1/assessment/exclusions/"


def state():
    return (
        list(AssessmentScheme.objects.order_by("pk").values_list("pk", "name", "is_active", "version")),
        list(Exclusion.objects.order_by("pk").values_list("pk", "status")),
        ObjectChange.objects.count(),
    )


def test_figures_by_unit_and_by_area(month, api_client_for):
    client = api_client_for("leader")
    body = client.get(FIGURES, {"period": "2026-11", "group_by": "unit"}).json()
    assert (body["scheme"]["id"], body["period"]) == (month.scheme.pk, "2026-11")
    assert [(r["code"], r["assessed"], r["satisfaction_rate"], r["rank"]) for r in body["rows"]] == [
        ("jiangdong-chengguan", 4, "0.8667", 1),
        ("donghu-office", 4, "1.0000", 2),
        ("beishan-office", 2, "1.0000", None),
    ]
    body = client.get(FIGURES, {"period": "2026-11", "group_by": "area", "level": "township"}).json()
    assert [(r["code"], r["assessed"]) for r in body["rows"]] == [
        (NAMES.township_a1, 7),
        (NAMES.township_b1, 2),
        (NAMES.township_a2, 1),
    ]
    # October: only C0 was opened then, and it is still open.
    body = client.get(FIGURES, {"period": "2026-10"}).json()
    assert [(r["code"], r["assessed"], r["backlog"], r["response_rate"]) for r in body["rows"]] == [
        ("jiangdong-chengguan", 1, 1, "1.0000")
    ]


def test_drill_returns_the_case_numbers(month, api_client_for):
    client = api_client_for("leader")
    cg = month.world.units["chengguan"].pk
    body = client.get(DRILL, {"period": "2026-11", "figure": "basically_count", "unit": cg}).json()
    assert body == {
        "figure": "basically_count",
        "count": 2,
        "cases": [month.cases["C2"].number, month.cases["C3"].number],
    }
    area = month.world.area(NAMES.township_a2).pk
    body = client.get(
        DRILL, {"period": "2026-11", "figure": "backlog", "area": area, "level": "township"}
    ).json()
    assert body["cases"] == [month.cases["C4"].number]


def test_bad_input_names_the_field(month, api_client_for):
    client = api_client_for("leader")
    response = client.get(FIGURES, {"period": "2026-13"})
    assert (response.status_code, response.json()["error_code"]) == (400, "invalid_period")
    assert "period" in response.json()
    response = client.get(FIGURES, {"period": "2026-11", "group_by": "grid"})
    assert (response.status_code, list(response.json())) == (400, ["group_by", "error_code"])
    response = client.get(
        DRILL, {"period": "2026-11", "figure": "happiness", "unit": month.world.units["chengguan"].pk}
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "invalid_figure")
    response = client.get(FIGURES, {"period": "2025-11"})  # before the scheme's effective date
    assert (response.status_code, response.json()["error_code"]) == (400, "no_scheme")
    # An area out of the requester's reach reads as missing.
    b1 = month.world.area(NAMES.township_b1).pk
    response = api_client_for("township").get(FIGURES, {"period": "2026-11", "area": b1})
    assert (response.status_code, response.json()["error_code"]) == (400, "not_found")


def test_figures_scope_and_denials(month, api_client_for):
    outsider = api_client_for("outsider").get(FIGURES, {"period": "2026-11"}).json()
    assert [r["code"] for r in outsider["rows"]] == ["beishan-office"]
    cg = month.world.units["chengguan"].pk
    drill = (
        api_client_for("outsider").get(DRILL, {"period": "2026-11", "figure": "assessed", "unit": cg}).json()
    )
    assert (drill["count"], drill["cases"]) == (0, [])
    assert api_client_for("gridworker").get(FIGURES, {"period": "2026-11"}).status_code == 403
    assert api_client_for("admin").get(FIGURES, {"period": "2026-11"}).status_code == 403
    assert api_client_for(None).get(FIGURES, {"period": "2026-11"}).status_code == 401


def test_schemes_are_edited_by_administrators_only(month, api_client_for):
    admin = api_client_for("admin")
    response = admin.post(
        SCHEMES,
        {
            "code": "city",
            "name": "临江市三率考核（2027）",
            "effective_from": "2027-01-01",
            "basically_weight": "0.6",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["version"], body["basically_weight"], body["min_sample"]) == (2, "0.6000", 3)
    assert (
        ObjectChange.objects.filter(object_type="assessment.assessmentscheme", action="create").count() == 2
    )
    # The formula of a saved version is fixed; the name and the switch are not.
    response = admin.patch(f"{SCHEMES}{body['id']}/", {"min_sample": 1}, format="json")
    assert response.status_code == 200  # unknown to the update shape: ignored
    assert AssessmentScheme.objects.get(pk=body["id"]).min_sample == 3
    response = admin.patch(f"{SCHEMES}{body['id']}/", {"is_active": False}, format="json")
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    response = admin.post(
        SCHEMES,
        {"code": "x", "name": "坏", "effective_from": "2027-01-01", "channels": ["fax"]},
        format="json",
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "invalid_channel")
    assert admin.delete(f"{SCHEMES}{body['id']}/").status_code == 405

    before = state()
    for user, expected in (("county_admin", 404), ("leader", 403), ("township", 403)):
        response = api_client_for(user).post(
            SCHEMES, {"code": "city", "name": "改", "effective_from": "2027-01-01"}, format="json"
        )
        assert response.status_code == expected, user
        response = api_client_for(user).patch(f"{SCHEMES}{month.scheme.pk}/", {"name": "改"}, format="json")
        assert response.status_code in (403, 404), user
    assert state() == before
    # Readers see the schemes.
    assert [(r["code"], r["version"]) for r in api_client_for("leader").get(SCHEMES).json()] == [
        ("city", 2),
        ("city", 1),
    ]


def test_exclusions_are_asked_and_decided(month, api_client_for):
    d2 = month.cases["D2"]
    response = api_client_for("township").post(
        EXCLUSIONS, {"case": d2.pk, "reason": "unreachable", "note": "三次致电未接通"}, format="json"
    )
    assert response.status_code == 201, response.json()
    exclusion = response.json()
    assert (exclusion["status"], exclusion["case_number"]) == ("pending", d2.number)
    # Pending: D2 still counts.
    rows = api_client_for("leader").get(FIGURES, {"period": "2026-11"}).json()["rows"]
    assert {r["code"]: r["assessed"] for r in rows}["donghu-office"] == 4

    before = state()
    url = f"{EXCLUSIONS}{exclusion['id']}/decide/"
    assert api_client_for("township").post(url, {"approve": True}, format="json").status_code == 403
    assert api_client_for("outsider").post(url, {"approve": True}, format="json").status_code == 403
    assert api_client_for("auditor").post(url, {"approve": True}, format="json").status_code == 403
    response = api_client_for("outsider").post(
        EXCLUSIONS, {"case": d2.pk, "reason": "unreachable", "note": "x"}, format="json"
    )
    assert response.status_code == 404
    assert api_client_for("outsider").get(f"{EXCLUSIONS}{exclusion['id']}/").status_code == 404
    assert state() == before

    response = api_client_for("county").post(url, {"approve": True, "note": "核实无误"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "approved")
    assert (
        ObjectChange.objects.filter(
            object_type="assessment.exclusion", object_id=str(exclusion["id"])
        ).count()
        == 2
    )
    rows = api_client_for("leader").get(FIGURES, {"period": "2026-11"}).json()["rows"]
    assert {r["code"]: r["assessed"] for r in rows}["donghu-office"] == 3


def test_nobody_decides_their_own_request(month, api_client_for):
    county = api_client_for("county")
    exclusion = county.post(
        EXCLUSIONS,
        {"case": month.cases["C1"].pk, "reason": "unreasonable", "note": "重复诉求"},
        format="json",
    ).json()
    before = state()
    response = county.post(f"{EXCLUSIONS}{exclusion['id']}/decide/", {"approve": True}, format="json")
    assert (response.status_code, response.json()["error_code"]) == (400, "self_approval")
    assert state() == before


def test_figures_and_drill_by_category(month, api_client_for):
    client = api_client_for("leader")
    everything = client.get(FIGURES, {"period": "2026-11"}).json()["rows"]
    for code in ("01", "0101"):  # every event of the month is 0101; a 大类 takes in its 小类
        assert client.get(FIGURES, {"period": "2026-11", "category": code}).json()["rows"] == everything
    assert client.get(FIGURES, {"period": "2026-11", "category": "0201"}).json()["rows"] == []
    cg = month.world.units["chengguan"].pk
    drill = {"period": "2026-11", "figure": "assessed", "unit": cg}
    assert client.get(DRILL, {**drill, "category": "01"}).json()["count"] == 4
    assert client.get(DRILL, {**drill, "category": "0201"}).json() == {
        "figure": "assessed",
        "count": 0,
        "cases": [],
    }
    for url, params in ((FIGURES, {"period": "2026-11"}), (DRILL, drill)):
        response = client.get(url, {**params, "category": "no-such"})
        assert response.status_code == 400
        assert "category" in response.json()
    # The category narrows; it never widens the reader's scope.
    outsider = api_client_for("outsider")
    rows = outsider.get(FIGURES, {"period": "2026-11", "category": "01"}).json()["rows"]
    assert [r["code"] for r in rows] == ["beishan-office"]
