"""REST API for places: areas and grids through areas.services, grid workers, layers, locate, and
the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from civicgrid.areas.models import Area, Grid
from civicgrid.audit.models import ObjectChange
from tests.world import NAMES, strip

pytestmark = pytest.mark.django_db


def _results(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def test_area_list_is_scoped_and_light(world, api_client_for):
    response = api_client_for("township").get("/api/v1/areas/")
    assert response.status_code == 200
    assert [r["code"] for r in _results(response)] == [
        NAMES.township_a1,
        NAMES.village_a1a,
        NAMES.village_a1b,
    ]
    assert "boundary" not in _results(response)[0]
    detail = api_client_for("township").get(f"/api/v1/areas/{world.area(NAMES.village_a1a).pk}/")
    assert detail.json()["boundary"]["type"] == "Polygon"


def test_area_create_under_own_county_and_refusal_elsewhere(world, api_client_for):
    client = api_client_for("county_admin")
    ok = client.post(
        "/api/v1/areas/", {"code": "338001003000", "name": "新城街道", "vintage": 2024}, format="json"
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["path"] == "33/3380/338001/338001003/"
    assert ok.json()["parent"] == world.area(NAMES.county_a).pk
    out = client.post(
        "/api/v1/areas/", {"code": "338002003000", "name": "外区街道", "vintage": 2024}, format="json"
    )
    assert out.status_code == 400
    # A field called "code" keeps its message; the error code moves to "error_code".
    assert out.json() == {
        "code": ["区划代码“338002003000”不在您的管辖范围内。"],
        "error_code": "out_of_scope",
    }
    assert not Area.objects.filter(code="338002003000").exists()
    bad = client.post("/api/v1/areas/", {"code": "12345", "name": "坏", "vintage": 2024}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error_code"] == "invalid_code"
    assert bad.json()["code"] == ["区划代码必须是 12 位数字：“12345”"]


def test_grid_create_update_workers_and_delete(world, api_client_for):
    client = api_client_for("admin")
    village = world.area(NAMES.village_a1b)
    # Village A1b is 120.05–120.10 × 30.00–30.05 and holds one grid covering all of it: a second
    # grid there would overlap, so first shrink the existing grid to the western half.
    existing = world.grids[NAMES.grid_a1b_1]
    shrunk = client.patch(
        f"/api/v1/grids/{existing.pk}/", {"boundary": strip(120.05, 30.0, 0.025, 0.05)}, format="json"
    )
    assert shrunk.status_code == 200, shrunk.json()
    created = client.post(
        "/api/v1/grids/",
        {
            "village": village.pk,
            "code": "338001001002002",
            "name": "南岸社区第2网格",
            "boundary": strip(120.075, 30.0, 0.025, 0.05),
            "supervision_phone": "0571-87654321",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    grid = Grid.objects.get(code="338001001002002")
    assert created.json()["path"] == grid.path == f"{village.path}338001001002002/"
    workers = client.post(
        f"/api/v1/grids/{grid.pk}/workers/", {"workers": [world.user("gridworker").pk]}, format="json"
    )
    assert workers.status_code == 200, workers.json()
    assert workers.json()["workers"] == [
        {"id": world.user("gridworker").pk, "display_name": "王网格", "phone": "13800001111"}
    ]
    deleted = client.delete(f"/api/v1/grids/{grid.pk}/")
    assert deleted.status_code == 204
    assert not Grid.objects.filter(pk=grid.pk).exists()
    actions = list(
        ObjectChange.objects.filter(object_type="areas.grid", object_id=str(grid.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["create", "update", "delete"]


def test_grid_workers_out_of_scope_read_as_missing(world, api_client_for):
    grid = world.grids[NAMES.grid_a1a_1]
    outsider = world.user("outsider")
    response = api_client_for("township").post(
        f"/api/v1/grids/{grid.pk}/workers/", {"workers": [outsider.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"workers": [f"对象“{outsider.pk}”不存在。"]}
    assert list(grid.workers.values_list("username", flat=True)) == ["gridworker"]


def test_grid_delete_in_use_is_a_field_error_not_a_500(world, api_client_for):
    grid = world.grids[NAMES.grid_a1a_1]  # the grid worker's grant points at it
    response = api_client_for("admin").delete(f"/api/v1/grids/{grid.pk}/")
    assert response.status_code == 400
    assert response.json() == {
        "code": ["该网格仍被其他记录引用，不能删除，请改为停用"],
        "error_code": "in_use",
    }
    assert Grid.objects.filter(pk=grid.pk).exists()


def test_layers_are_listed(world, api_client_for):
    response = api_client_for("gridworker").get("/api/v1/layers/")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": response.json()[0]["id"],
            "code": "comprehensive",
            "name": "综治网格",
            "is_master": True,
            "description": "",
        }
    ]
    assert api_client_for("nobody").get("/api/v1/layers/").status_code == 403


# --- locate ---------------------------------------------------------------------------------------


def test_locate_in_scope_names_grid_and_areas(world, api_client_for):
    response = api_client_for("township").get("/api/v1/locate", {"lon": "120.01", "lat": "30.01"})
    assert response.status_code == 200, response.json()
    body = response.json()
    grid = world.grids[NAMES.grid_a1a_1]
    assert body["status"] == "grid" and body["in_grid"] is True
    assert body["grid"] == {"id": grid.pk, "code": grid.code, "name": grid.name}
    # The township officer sees the township and its villages, not the county or the city.
    assert [a["code"] for a in body["areas"]] == [NAMES.township_a1, NAMES.village_a1a]


def test_locate_out_of_scope_hides_the_grid(world, api_client_for):
    response = api_client_for("outsider").get("/api/v1/locate", {"lon": "120.01", "lat": "30.01"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "grid" and body["in_grid"] is True
    assert body["grid"] is None
    assert body["areas"] == [] and body["cells"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "30.01"}, "lon"),
        ({"lon": "东经", "lat": "30.01"}, "lon"),
        ({"lon": "120.01", "lat": "x"}, "lat"),
        ({"lon": "120.01", "lat": "30.01", "crs": "utm"}, "crs"),
        ({"lon": "30.01", "lat": "120.01"}, None),
    ],
)
def test_locate_bad_input_is_a_400_naming_the_field(world, api_client_for, params, field):
    response = api_client_for("township").get("/api/v1/locate", params)
    assert response.status_code == 400
    body = response.json()
    if field is None:  # swapped: the coordinates module names the field it blames
        assert set(body) - {"error_code"} <= {"lon", "lat", "coordinates"} and len(body) == 2
    else:
        assert list(body) == [field, "error_code"]


def test_locate_needs_a_view_permission(world, api_client_for):
    assert (
        api_client_for("nobody").get("/api/v1/locate", {"lon": "120.01", "lat": "30.01"}).status_code == 403
    )
    assert api_client_for(None).get("/api/v1/locate", {"lon": "120.01", "lat": "30.01"}).status_code == 401


# --- schema ---------------------------------------------------------------------------------------


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/areas/",
        "/api/v1/grids/",
        "/api/v1/layers/",
        "/api/v1/units/",
        "/api/v1/users/",
        "/api/v1/users/{id}/reveal/",
        "/api/v1/roles/",
        "/api/v1/role-assignments/",
        "/api/v1/api-tokens/",
        "/api/v1/locate",
        "/api/v1/audit/changes/",
        "/api/v1/audit/access-logs/",
    ):
        assert f"  {path}:" in text, path


def test_schema_and_docs_pages_are_served(world, api_client_for):
    client = api_client_for("township")
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
