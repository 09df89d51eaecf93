"""Query-count baselines for the list endpoints (as NetBox's query_counts): the count must not grow
with the number of rows (no N+1). Each baseline is exact, so any new query is a conscious change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.services import do_create_api_token, do_create_unit, do_create_user
from civicgrid.areas.models import Grid, GridLayer, LayerCell
from tests.world import NAMES

pytestmark = pytest.mark.django_db

# endpoint → queries for a city administrator (session auth is forced, so no auth queries):
# the user's grants (1) + count (1) + page (1) + prefetches.
BASELINES = {
    "/api/v1/areas/": 3,
    "/api/v1/grids/": 4,  # + workers prefetch
    "/api/v1/layers/": 2,
    "/api/v1/layer-cells/": 4,  # + master grids prefetch
    "/api/v1/units/": 3,
    "/api/v1/users/": 3,
    "/api/v1/roles/": 5,  # + permissions and their content types (no grants query: roles are global)
    "/api/v1/role-assignments/": 3,
    "/api/v1/api-tokens/": 3,
}


def _grow(world, start: int, count: int):
    """Add rows to every listed model, so N+1 would show as a larger count."""
    admin = world.user("admin")
    area = world.area(NAMES.county_a)
    layer, _ = GridLayer.objects.get_or_create(code="chengguan", defaults={"name": "城管网格"})
    for i in range(start, start + count):
        do_create_unit(actor=None, code=f"extra-{i}", name=f"单位{i}", area=area)
        user = do_create_user(actor=None, username=f"extra{i}", area=area, phone="13900000000")
        do_create_api_token(actor=None, user=admin, name=f"t{i}")
        Grid.objects.create(
            code=f"338001002201{i + 2:03d}",
            name=f"柳营村第{i + 2}网格",
            village=world.area(NAMES.village_a2a),
            path=f"{world.area(NAMES.village_a2a).path}338001002201{i + 2:03d}/",
        ).workers.add(user)
        LayerCell.objects.create(
            layer=layer, code=f"cg{i}", name=f"城管单元{i}", area=area, path=area.path
        ).master_grids.add(*world.grids.values())


def _count(world, client, url) -> int:
    world.user("admin").clear_scope_cache()  # each request starts without the per-request grant cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", list(BASELINES))
def test_list_query_counts_do_not_grow_with_rows(world, api_client_for, url):
    client = api_client_for("admin")
    _grow(world, 0, 1)  # at least one row everywhere: an empty page skips its queries
    small = _count(world, client, url)
    _grow(world, 1, 5)
    large = _count(world, client, url)
    assert (small, large) == (BASELINES[url], BASELINES[url])
