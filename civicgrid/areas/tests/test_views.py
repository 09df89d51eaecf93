"""Area browser, GeoJSON endpoint and grid page: scope, 404s, GeoJSON shape and the public notice."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.areas.geojson import area_feature, feature_collection, grid_feature
from tests.world import NAMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(world):
    def make(username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(world.user(username))
        return client

    return make


def grid_codes(response) -> list[str]:
    return [f["properties"]["code"] for f in json.loads(response.content)["features"]]


def test_grid_feature_properties_and_no_personal_data(world):
    grid = world.grids[NAMES.grid_a1a_1]
    feature = grid_feature(grid)
    assert feature["type"] == "Feature"
    assert feature["id"] == NAMES.grid_a1a_1
    assert feature["geometry"] == grid.boundary
    assert feature["properties"] == {
        "id": grid.pk,
        "code": NAMES.grid_a1a_1,
        "name": "东湖社区第1网格",
        "kind": "base",
        "village": NAMES.village_a1a,
        "url": f"/grids/{NAMES.grid_a1a_1}/",
    }
    text = json.dumps(feature, ensure_ascii=False)
    assert "王网格" not in text and "13800001111" not in text


def test_area_feature_properties(world):
    township = world.area(NAMES.township_a1)
    assert area_feature(township)["properties"] == {
        "id": township.pk,
        "code": NAMES.township_a1,
        "name": "东湖街道",
        "level": "township",
        "parent": NAMES.county_a,
        "url": f"/areas/{NAMES.township_a1}/",
    }
    assert area_feature(world.area(NAMES.city))["properties"]["parent"] is None
    assert feature_collection([]) == {"type": "FeatureCollection", "features": []}


def test_anonymous_is_sent_to_login(client_for):
    response = client_for(None).get(reverse("areas:browser"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/areas/"
    geo = client_for(None).get(f"/areas/{NAMES.township_a1}/grids.geojson")
    assert geo.status_code == 302


def test_township_geojson_has_exactly_its_grids(client_for):
    response = client_for("township").get(f"/areas/{NAMES.township_a1}/grids.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    body = json.loads(response.content)
    assert body["type"] == "FeatureCollection"
    assert body["total"] == 3
    assert body["truncated"] is False
    assert grid_codes(response) == [NAMES.grid_a1a_1, NAMES.grid_a1a_2, NAMES.grid_a1b_1]


def test_city_geojson_of_a_village(client_for):
    response = client_for("city").get(f"/areas/{NAMES.village_a1a}/grids.geojson")
    assert grid_codes(response) == [NAMES.grid_a1a_1, NAMES.grid_a1a_2]


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("outsider", NAMES.township_a1),  # another county
        ("township", NAMES.township_a2),  # sibling township
        ("township", NAMES.county_a),  # ancestor
        ("nobody", NAMES.township_a1),  # no roles
        ("gridworker", NAMES.village_a1a),  # a grid grant does not cover the village area
        ("township", "999999999999"),  # missing
        ("township", "not-a-code"),
    ],
)
def test_forbidden_and_missing_areas_are_404(client_for, username, code):
    client = client_for(username)
    assert client.get(f"/areas/{code}/grids.geojson").status_code == 404
    assert client.get(f"/areas/{code}/").status_code == 404
    assert client.get(f"/areas/{code}/children/").status_code == 404


def test_browser_tree_starts_at_the_users_scope(client_for):
    response = client_for("township").get("/areas/")
    assert response.status_code == 200
    html = response.content.decode()
    assert [a.code for a in [n["area"] for n in response.context["roots"]]] == [NAMES.township_a1]
    assert response.context["selected"].code == NAMES.township_a1
    # the selected branch is open with both villages; nothing of the sibling township or county B
    assert "东湖社区" in html and "南岸社区" in html
    assert "西湖街道" not in html and "北山" not in html
    assert [g["code"] for g in response.context["grids"]] == [
        NAMES.grid_a1a_1,
        NAMES.grid_a1a_2,
        NAMES.grid_a1b_1,
    ]
    assert html.count("data-grid-code=") == 3
    assert f'data-geojson-url="/areas/{NAMES.township_a1}/grids.geojson"' in html


def test_browser_has_no_tile_layer_unless_configured(client_for, settings):
    html = client_for("township").get("/areas/").content.decode()
    assert 'data-tile-url=""' in html
    settings.CIVICGRID = {**settings.CIVICGRID, "MAP_TILE_URL": "http://tiles.intranet/{z}/{x}/{y}.png"}
    html = client_for("township").get("/areas/").content.decode()
    assert 'data-tile-url="http://tiles.intranet/{z}/{x}/{y}.png"' in html


def test_city_tree_lazy_children(client_for):
    client = client_for("city")
    response = client.get("/areas/")
    assert [n["area"].code for n in response.context["roots"]] == [NAMES.city]
    html = response.content.decode()
    # counties are listed (the city is open) but their townships are loaded on demand
    assert "江东区" in html and "江西区" in html
    assert "东湖街道" not in html
    assert f'hx-get="/areas/{NAMES.county_a}/children/"' in html
    fragment = client.get(f"/areas/{NAMES.county_a}/children/")
    assert fragment.status_code == 200
    assert [n["area"].code for n in fragment.context["nodes"]] == [NAMES.township_a1, NAMES.township_a2]


def test_selected_area_opens_its_branch(client_for):
    response = client_for("city").get(f"/areas/{NAMES.village_a1b}/")
    html = response.content.decode()
    assert response.context["selected"].code == NAMES.village_a1b
    assert "东湖街道" in html and "南岸社区" in html
    assert [a.name for a in response.context["chain"]] == ["临江市", "江东区", "东湖街道", "南岸社区"]
    assert [g["code"] for g in response.context["grids"]] == [NAMES.grid_a1b_1]


def test_grid_worker_sees_own_grid_without_area_tree(client_for):
    response = client_for("gridworker").get("/areas/")
    assert response.status_code == 200
    assert response.context["roots"] == []
    assert [g["code"] for g in response.context["grids"]] == [NAMES.grid_a1a_1]
    features = response.context["map_features"]["grids"]["features"]
    assert [f["properties"]["code"] for f in features] == [NAMES.grid_a1a_1]


def test_grid_page_shows_public_notice_unmasked(client_for):
    response = client_for("township").get(f"/grids/{NAMES.grid_a1a_1}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "东湖社区第1网格" in html
    assert "临江市江东区东湖街道东湖社区" in html
    assert "王网格" in html
    assert "13800001111" in html  # public by law: not masked on the notice
    assert "0571-12345678" in html
    assert "138****1111" not in html


def test_grid_page_scope(client_for):
    assert client_for("gridworker").get(f"/grids/{NAMES.grid_a1a_1}/").status_code == 200
    assert client_for("gridworker").get(f"/grids/{NAMES.grid_a1a_2}/").status_code == 404
    assert client_for("outsider").get(f"/grids/{NAMES.grid_a1a_1}/").status_code == 404
    assert client_for("township").get("/grids/338001001001999/").status_code == 404
    assert client_for(None).get(f"/grids/{NAMES.grid_a1a_1}/").status_code == 302


def test_geojson_rejects_post(client_for):
    assert client_for("township").post(f"/areas/{NAMES.township_a1}/grids.geojson").status_code == 405


def test_not_found_page_is_chinese_and_silent(client_for):
    response = client_for("outsider").get(f"/areas/{NAMES.township_a1}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html
    assert "东湖" not in html


def test_geojson_is_truncated_past_the_limit(client_for, monkeypatch):
    from civicgrid.areas import views

    monkeypatch.setattr(views, "MAP_GRID_LIMIT", 2)
    monkeypatch.setattr(views, "GRID_LIST_LIMIT", 1)
    body = json.loads(client_for("township").get(f"/areas/{NAMES.township_a1}/grids.geojson").content)
    assert [f["properties"]["code"] for f in body["features"]] == [NAMES.grid_a1a_1, NAMES.grid_a1a_2]
    assert body["total"] == 3
    assert body["truncated"] is True
    html = client_for("township").get("/areas/").content.decode()
    assert html.count("data-grid-code=") == 1
    assert "仅列出前 1 个网格，请选择下级区划。" in html


def test_geojson_query_count_does_not_grow_with_grids(client_for, django_assert_num_queries):
    client = client_for("city")
    client.get(f"/areas/{NAMES.village_a1a}/grids.geojson")  # warm the session
    # session, user, the user's grants (cached for the request), area, count, grids: 5 grids or 5,000
    with django_assert_num_queries(6):
        response = client.get(f"/areas/{NAMES.city}/grids.geojson")
    assert len(json.loads(response.content)["features"]) == 5


def test_geojson_text_equals_the_feature_dicts(client_for, world):
    from civicgrid.areas.models import Grid

    grid = world.grids[NAMES.grid_a1b_1]
    Grid.objects.filter(pk=grid.pk).update(boundary=None)  # a grid not drawn yet
    body = json.loads(client_for("township").get(f"/areas/{NAMES.township_a1}/grids.geojson").content)
    grids = Grid.objects.filter(code__in=[NAMES.grid_a1a_1, NAMES.grid_a1a_2, NAMES.grid_a1b_1]).order_by(
        "code"
    )
    assert body == {**feature_collection(grid_feature(g) for g in grids), "total": 3, "truncated": False}
    assert body["features"][2]["geometry"] is None
