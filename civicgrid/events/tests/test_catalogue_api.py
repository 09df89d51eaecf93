"""The events API: the taxonomy for every staff role, suggestions, and dispatch rules CRUD × scope
(denials change nothing)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.accounts.models import Unit
from civicgrid.audit.models import ObjectChange
from civicgrid.events.models import Category, DispatchRule
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_create_dispatch_rule, do_load_taxonomy
from tests.world import NAMES

pytestmark = pytest.mark.django_db

RULES = reverse("api-dispatch-rule-list")


def detail(pk):
    return reverse("api-dispatch-rule-detail", args=[pk])


@pytest.fixture
def cat(world):
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def rules(world, cat):
    jx = Unit.objects.create(
        code="jx-cg", name="江西区城市管理局", kind="department", area=world.area(NAMES.county_b)
    )
    make = lambda code, area, lead: do_create_dispatch_rule(  # noqa: E731
        actor=None, category=cat[code], area=world.area(area), lead_unit=lead
    )
    return {
        "city": make("01", NAMES.city, world.units["centre"]),
        "county_a": make("0101", NAMES.county_a, world.units["chengguan"]),
        "township_a1": make("0501", NAMES.township_a1, world.units["donghu_office"]),
        "county_b": make("0101", NAMES.county_b, jx),
    }


def snapshot_rules():
    return sorted(
        (
            r.pk,
            r.category_id,
            r.area_id,
            r.lead_unit_id,
            r.is_active,
            r.note,
            tuple(r.co_handlers.values_list("pk", flat=True)),
        )
        for r in DispatchRule.objects.all()
    )


@pytest.mark.parametrize(
    "username", ["gridworker", "township", "county", "handler", "mediator", "leader", "auditor"]
)
def test_every_staff_role_reads_the_taxonomy_with_its_questions(api_client_for, cat, username):
    response = api_client_for(username).get(reverse("api-event-category-list"))
    assert response.status_code == 200
    assert len(response.json()) == 112
    garbage = next(c for c in response.json() if c["code"] == "0101")
    assert garbage["level"] == "minor"
    assert garbage["parent"] == cat["01"].pk
    assert garbage["response"] == {"amount": 1, "unit": "working_days"}
    assert garbage["handling"] == {"amount": 5, "unit": "working_days", "max_extension": 5}
    assert garbage["required_fields"][0] == {
        "key": "photo",
        "label": "现场照片",
        "type": "photo",
        "required": True,
    }
    majors = api_client_for(username).get(reverse("api-event-category-list"), {"major": "true"}).json()
    assert [c["code"] for c in majors][:3] == ["01", "02", "03"]
    assert len(majors) == 15


def test_no_role_no_taxonomy(api_client_for, cat):
    assert api_client_for("nobody").get(reverse("api-event-category-list")).status_code == 403
    assert api_client_for(None).get(reverse("api-event-category-list")).status_code in (401, 403)


def test_suggest(api_client_for, cat):
    response = api_client_for("gridworker").post(
        reverse("api-event-category-suggest"),
        {"title": "井盖破损", "description": "人行道上井盖破损"},
        format="json",
    )
    assert response.status_code == 200
    top = response.json()[0]
    assert (top["category"]["code"], top["score"], top["hits"]) == ("0701", 4.0, ["井盖破损"])


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("city", ["city", "county_a", "township_a1", "county_b"]),
        ("county", ["county_a", "township_a1"]),
        ("township", ["township_a1"]),
        ("leader", ["city", "county_a", "township_a1", "county_b"]),
        ("outsider", []),
    ],
)
def test_list_is_scoped(api_client_for, rules, username, visible):
    response = api_client_for(username).get(RULES)
    assert response.status_code == 200
    assert sorted(r["id"] for r in response.json()["results"]) == sorted(rules[k].pk for k in visible)


def test_list_without_grant_is_403(api_client_for, rules):
    assert api_client_for("gridworker").get(RULES).status_code == 403
    assert api_client_for("nobody").get(RULES).status_code == 403


def test_create_in_scope(api_client_for, world, cat):
    response = api_client_for("county").post(
        RULES,
        {
            "category": cat["0701"].pk,
            "area": world.area(NAMES.township_a1).pk,
            "lead_unit": world.units["chengguan"].pk,
            "co_handlers": [world.units["donghu_office"].pk],
            "note": "井盖归区城管",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["category"] == {"id": cat["0701"].pk, "code": "0701", "name": "井盖破损"}
    assert body["area"]["code"] == NAMES.township_a1
    assert body["lead_unit"]["name"] == "江东区城市管理局"
    assert [u["name"] for u in body["co_handlers"]] == ["东湖街道办事处"]
    assert ObjectChange.objects.filter(object_type="events.dispatchrule", action="create").count() == 1


def test_create_out_of_scope_or_invalid_changes_nothing(api_client_for, world, cat, rules):
    before = snapshot_rules()
    county = api_client_for("county")
    payload = {"category": cat["0701"].pk, "lead_unit": world.units["chengguan"].pk}
    response = county.post(RULES, {**payload, "area": world.area(NAMES.township_b1).pk}, format="json")
    assert response.status_code == 400
    assert response.json()["area"] == [f"对象“{world.area(NAMES.township_b1).pk}”不存在。"]
    response = api_client_for("township").post(
        RULES, {**payload, "area": world.area(NAMES.township_a1).pk}, format="json"
    )
    assert response.status_code == 403
    response = county.post(
        RULES,
        {**payload, "area": world.area(NAMES.township_a1).pk, "co_handlers": [world.units["chengguan"].pk]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "co_handlers": ["主办单位“江东区城市管理局”不能同时是协办单位。"],
        "error_code": "lead_is_co_handler",
    }
    response = county.post(
        RULES, {**payload, "area": world.area(NAMES.county_a).pk, "category": cat["0101"].pk}, format="json"
    )
    assert (response.status_code, response.json()["error_code"]) == (400, "duplicate_rule")
    assert snapshot_rules() == before
    assert ObjectChange.objects.filter(object_type="events.dispatchrule").count() == 4


def test_update_in_scope(api_client_for, world, rules):
    response = api_client_for("county").patch(
        detail(rules["township_a1"].pk),
        {"note": "改由街道主办", "co_handlers": [world.units["chengguan"].pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["note"] == "改由街道主办"
    assert [u["code"] for u in response.json()["co_handlers"]] == ["jiangdong-chengguan"]


def test_update_and_delete_out_of_scope_change_nothing(api_client_for, world, rules):
    before = snapshot_rules()
    county = api_client_for("county")
    assert county.patch(detail(rules["city"].pk), {"note": "x"}, format="json").status_code == 404
    assert county.patch(detail(rules["county_b"].pk), {"note": "x"}, format="json").status_code == 404
    assert county.delete(detail(rules["city"].pk)).status_code == 404
    assert (
        api_client_for("township")
        .patch(detail(rules["township_a1"].pk), {"note": "x"}, format="json")
        .status_code
        == 403
    )
    # Moving a rule of one's own out of reach.
    response = county.patch(
        detail(rules["county_a"].pk), {"area": world.area(NAMES.county_b).pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["area"] == [f"对象“{world.area(NAMES.county_b).pk}”不存在。"]
    assert snapshot_rules() == before
    assert ObjectChange.objects.filter(object_type="events.dispatchrule").count() == 4


def test_delete_in_scope(api_client_for, rules):
    assert api_client_for("county").delete(detail(rules["township_a1"].pk)).status_code == 204
    assert not DispatchRule.objects.filter(pk=rules["township_a1"].pk).exists()


def test_resolve(api_client_for, world, cat, rules):
    url = reverse("api-dispatch-rule-resolve")
    county = api_client_for("county")
    body = county.get(url, {"category": cat["0101"].pk, "area": world.area(NAMES.village_a1a).pk}).json()
    assert body == {
        "lead_unit": {
            "id": world.units["chengguan"].pk,
            "code": "jiangdong-chengguan",
            "name": "江东区城市管理局",
        },
        "co_handlers": [],
        "rule": rules["county_a"].pk,
    }
    assert county.get(url, {"category": cat["0901"].pk, "area": world.area(NAMES.village_a1a).pk}).json() == {
        "lead_unit": None,
        "co_handlers": [],
        "rule": None,
    }
    # An area out of the requester's reach is a 404 like a missing one.
    assert (
        county.get(url, {"category": cat["0101"].pk, "area": world.area(NAMES.village_b1a).pk}).status_code
        == 404
    )
    assert county.get(url, {"area": world.area(NAMES.village_a1a).pk}).json() == {
        "category": ["请提供事件分类编号。"],
        "error_code": "required",
    }
