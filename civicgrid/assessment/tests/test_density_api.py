"""GET /api/v1/assessment/density/: events per grid over the realistic month, scoped like the
figures (403 without the permission anywhere, an area out of reach answered like a missing one),
with the category and channel filters and errors that name the field."""

from __future__ import annotations

import pytest

from tests.world import NAMES

pytestmark = pytest.mark.django_db

DENSITY = "/api/v1/assessment/density/"


def test_leader_gets_every_grid_with_events(month, api_client_for):
    body = api_client_for("leader").get(DENSITY, {"period": "2026-11"}).json()
    a1 = month.cases["C1"].grid
    assert body["period"] == "2026-11"
    assert body["total"] == 11
    assert [(g["code"], g["count"]) for g in body["grids"]] == [
        (a1.code, 8),
        (NAMES.grid_b1a_1, 2),
        (NAMES.grid_a2a_1, 1),
    ]
    assert body["grids"][0]["name"] == a1.name


def test_township_officer_gets_its_township_only(month, api_client_for):
    body = api_client_for("township").get(DENSITY, {"period": "2026-11"}).json()
    assert [(g["code"], g["count"]) for g in body["grids"]] == [(month.cases["C1"].grid.code, 8)]


@pytest.mark.parametrize("name", ["nobody", "gridworker", "handler"])
def test_no_permission_is_403(month, api_client_for, name):
    assert api_client_for(name).get(DENSITY, {"period": "2026-11"}).status_code == 403


def test_anonymous_is_refused(month, api_client_for):
    assert api_client_for(None).get(DENSITY, {"period": "2026-11"}).status_code in (401, 403)


def test_area_out_of_reach_reads_as_missing(month, api_client_for):
    client = api_client_for("township")
    other = client.get(DENSITY, {"period": "2026-11", "area": month.world.area(NAMES.township_b1).pk})
    missing = client.get(DENSITY, {"period": "2026-11", "area": 999999})
    assert other.status_code == missing.status_code
    assert other.json()["area"] == [f"对象“{month.world.area(NAMES.township_b1).pk}”不存在。"]


def test_filters(month, api_client_for):
    client = api_client_for("leader")
    body = client.get(DENSITY, {"period": "2026-11", "channel": "web"}).json()
    assert (body["total"], len(body["grids"])) == (2, 1)
    body = client.get(DENSITY, {"period": "2026-11", "category": "01"}).json()
    assert body["total"] == 11
    body = client.get(DENSITY, {"period": "2026-11", "category": "0201"}).json()
    assert (body["total"], body["grids"]) == (0, [])
    body = client.get(DENSITY, {"period": "2026-11", "area": month.world.area(NAMES.township_a2).pk}).json()
    assert [(g["code"], g["count"]) for g in body["grids"]] == [(NAMES.grid_a2a_1, 1)]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({}, "period", "invalid_period"),
        ({"period": "2026-13"}, "period", "invalid_period"),
        ({"period": "2026-11", "category": "nope"}, "category", "invalid"),
        ({"period": "2026-11", "channel": "fax"}, "channel", "invalid_channel"),
        ({"period": "2026-11", "area": "x"}, "area", "invalid"),
    ],
)
def test_bad_input_names_the_field(month, api_client_for, params, field, code):
    response = api_client_for("leader").get(DENSITY, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body and body["error_code"] == code
