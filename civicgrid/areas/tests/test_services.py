"""Area and grid write services: the rules, the audit rows, and that a refusal changes nothing."""

from __future__ import annotations

import pytest

from civicgrid.areas import services
from civicgrid.areas.coords import wgs84_to_gcj02
from civicgrid.areas.error_codes import AreaErrorCode as E
from civicgrid.areas.models import Area, AreaCodeChange, Grid, GridLayer, LayerCell
from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import ServiceError
from tests.world import NAMES, square, strip


def box(x1, y1, x2, y2):
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


def changes():
    return ObjectChange.objects.count()


def refused(expected, call, *args, **kwargs):
    """Call, expect ServiceError `code`, and assert no audit row and no area/grid row appeared."""
    before = (changes(), Area.objects.count(), Grid.objects.count())
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    assert info.value.code == expected, info.value.message
    assert (changes(), Area.objects.count(), Grid.objects.count()) == before
    return info.value


# --- areas ----------------------------------------------------------------------------------------


def test_create_area_derives_level_parent_path_and_audits(world):
    actor = world.user("admin")
    area = services.do_create_area(
        actor=actor,
        code="338001001003",
        name=" 新村社区 ",
        vintage=2024,
        urban_rural="111",
        boundary=square(120.0, 30.05, 0.05),
    )
    assert (area.level, area.parent.code, area.path, area.name) == (
        "village",
        NAMES.township_a1,
        "33/3380/338001/338001001/338001001003/",
        "新村社区",
    )
    row = ObjectChange.objects.last()
    assert (row.action, row.object_type, row.object_id, row.actor_username) == (
        "create",
        "areas.area",
        str(area.pk),
        "admin",
    )
    assert row.after["code"] == "338001001003" and row.after["boundary"]["chars"] > 0


def test_create_area_accepts_short_codes_and_dev_zones(world):
    zone = services.do_create_area(actor=None, code="338071", name="临江高新区", vintage=2024)
    assert (zone.code, zone.level, zone.parent.code) == ("338071000000", "county", NAMES.city)
    assert ObjectChange.objects.last().actor_username == "system"


def test_city_may_stand_at_the_top_and_is_adopted_by_its_province(world):
    city = Area.objects.get(code=NAMES.city)
    assert city.parent is None
    province = services.do_create_area(actor=None, code="33", name="某省", vintage=2024)
    city.refresh_from_db()
    assert (province.level, city.parent_id) == ("province", province.pk)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("3380010010", E.INVALID_CODE),  # 10 digits
        ("99800100100X", E.INVALID_CODE),
        ("990000000000", E.INVALID_CODE),  # province outside 11–82
        ("330001000000", E.INVALID_CODE),  # hole: city zero, county not
        ("338001001700", E.INVALID_CODE),  # village part over 599
        ("338009001000", E.UNKNOWN_PARENT),
        ("338001001001", E.DUPLICATE_CODE),
    ],
)
def test_create_area_refuses_bad_codes(world, code, error):
    err = refused(error, services.do_create_area, actor=None, code=code, name="某地", vintage=2024)
    assert err.field == "code"


def test_create_area_refuses_empty_name_bad_urban_rural_and_bowtie(world):
    assert (
        refused(
            E.EMPTY_NAME, services.do_create_area, actor=None, code="338003", name="  ", vintage=2024
        ).field
        == "name"
    )
    err = refused(
        E.INVALID_URBAN_RURAL,
        services.do_create_area,
        actor=None,
        code="338003",
        name="某区",
        vintage=2024,
        urban_rural="999",
    )
    assert err.field == "urban_rural"
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[120, 30], [120.1, 30.1], [120.1, 30], [120, 30.1], [120, 30]]],
    }
    err = refused(
        E.INVALID_GEOMETRY,
        services.do_create_area,
        actor=None,
        code="338003",
        name="某区",
        vintage=2024,
        boundary=bowtie,
    )
    assert err.field == "boundary" and "自相交" in err.message


def test_swapped_coordinates_are_reported_as_swapped(world):
    swapped = {
        "type": "Polygon",
        "coordinates": [[[30, 120], [30, 120.1], [30.1, 120.1], [30.1, 120], [30, 120]]],
    }
    err = refused(
        E.INVALID_COORDINATE,
        services.do_create_area,
        actor=None,
        code="338003",
        name="某区",
        vintage=2024,
        boundary=swapped,
    )
    assert "颠倒" in err.message


def test_boundary_in_gcj02_is_stored_in_wgs84(world):
    lon, lat = wgs84_to_gcj02([120.3, 120.35, 120.35, 120.3, 120.3], [30.3, 30.3, 30.35, 30.35, 30.3])
    gcj = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]]}
    area = services.do_create_area(
        actor=None, code="338003", name="某区", vintage=2024, boundary=gcj, crs="gcj02"
    )
    first = area.boundary["coordinates"][0][0]
    assert first == pytest.approx([120.3, 30.3], abs=1e-6)


def test_update_area_renames_keeps_history_and_refuses_code_change(world):
    area = world.area(NAMES.village_a1a)
    services.do_update_area(area, actor=None, name="东湖新社区", vintage=2025)
    area.refresh_from_db()
    assert (area.name, area.vintage) == ("东湖新社区", 2025)
    history = AreaCodeChange.objects.get(area=area)
    assert (history.old_name, history.new_name, history.vintage) == ("东湖社区", "东湖新社区", 2025)
    assert ObjectChange.objects.last().after == {"name": "东湖新社区", "vintage": 2025}
    refused(E.UNKNOWN_FIELD, services.do_update_area, area, actor=None, code="338001001009")


def test_update_area_without_a_change_writes_no_audit_row(world):
    before = changes()
    services.do_update_area(world.area(NAMES.village_a1a), actor=None, name="东湖社区")
    assert changes() == before


def test_delete_area_refused_with_children_or_grids_allowed_when_empty(world):
    refused(E.HAS_CHILDREN, services.do_delete_area, world.area(NAMES.township_a1), actor=None)
    refused(E.HAS_GRIDS, services.do_delete_area, world.area(NAMES.village_a1b), actor=None)
    township = world.area(NAMES.township_a2)
    empty = services.do_create_area(actor=None, code="338001002202", name="空村", vintage=2024)
    services.do_delete_area(empty, actor=None)
    assert not Area.objects.filter(code="338001002202").exists()
    assert ObjectChange.objects.last().action == "delete"
    assert township.children.count() == 1


# --- grids ----------------------------------------------------------------------------------------


def test_create_grid_inside_village_and_audited(world):
    village = world.area(NAMES.village_a1b)  # 120.05–120.10, 30.00–30.05; grid 001 covers it all
    services.do_update_grid(
        world.grids[NAMES.grid_a1b_1], actor=None, boundary=strip(120.05, 30.0, 0.025, 0.05)
    )
    grid = services.do_create_grid(
        actor=world.user("township"),
        village=village,
        code="338001001002002",
        name="南岸二网格",
        boundary=strip(120.075, 30.0, 0.025, 0.05),
        supervision_phone="0571-1234",
    )
    assert (grid.path, grid.kind, grid.parent_grid) == (village.path + "338001001002002/", "base", None)
    row = ObjectChange.objects.last()
    assert (row.action, row.object_type, row.object_id, row.actor_username) == (
        "create",
        "areas.grid",
        str(grid.pk),
        "township",
    )


def test_grid_within_one_metre_of_the_village_edge_is_accepted(world):
    services.do_update_grid(
        world.grids[NAMES.grid_a1b_1], actor=None, boundary=strip(120.05, 30.0, 0.025, 0.05)
    )
    noise = 0.5 / services.METRES_PER_DEGREE  # half a metre outside the village's east edge
    grid = services.do_create_grid(
        actor=None,
        village=world.area(NAMES.village_a1b),
        code="338001001002002",
        name="网格",
        boundary=box(120.075, 30.0, 120.1 + noise, 30.05),
    )
    assert grid.pk


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"code": "338001001001003"}, E.INVALID_GRID_CODE, "code"),  # other village's prefix
        ({"code": "3380010010020001"}, E.INVALID_GRID_CODE, "code"),  # serial width 4
        ({"code": "338001001002000"}, E.INVALID_GRID_CODE, "code"),
        ({"code": "338001001002001"}, E.DUPLICATE_CODE, "code"),
        ({"kind": "special"}, E.INVALID_KIND, "kind"),
        ({"kind": "dedicated"}, E.PARENT_GRID_REQUIRED, "parent_grid"),
        ({"boundary": box(120.09, 30.0, 120.12, 30.02)}, E.OUTSIDE_VILLAGE, "boundary"),  # 2 km outside
        ({"boundary": box(120.06, 30.01, 120.07, 30.02)}, E.GRID_OVERLAP, "boundary"),  # over grid 001
    ],
)
def test_create_grid_refusals(world, kwargs, error, field):
    args = {
        "actor": None,
        "village": world.area(NAMES.village_a1b),
        "code": "338001001002002",
        "name": "网格",
    }
    args.update(kwargs)
    assert refused(error, services.do_create_grid, **args).field == field


def test_grid_must_belong_to_a_village(world):
    err = refused(
        E.NOT_A_VILLAGE,
        services.do_create_grid,
        actor=None,
        village=world.area(NAMES.township_a1),
        code="338001001000001",
        name="网格",
    )
    assert err.field == "village"


def test_dedicated_grid_inside_its_base_grid_is_exempt_from_overlap(world):
    base = world.grids[NAMES.grid_a1b_1]  # the whole of 南岸社区
    school = services.do_create_grid(
        actor=None,
        village=world.area(NAMES.village_a1b),
        code="338001001002002",
        name="南岸小学",
        kind="dedicated",
        parent_grid=base,
        boundary=box(120.06, 30.01, 120.07, 30.02),
    )
    assert school.parent_grid == base
    # a second dedicated grid may not overlap the first
    refused(
        E.GRID_OVERLAP,
        services.do_create_grid,
        actor=None,
        village=world.area(NAMES.village_a1b),
        code="338001001002003",
        name="南岸医院",
        kind="dedicated",
        parent_grid=base,
        boundary=box(120.065, 30.015, 120.075, 30.025),
    )
    # the base grid may be redrawn around it, but not deleted or deactivated while it holds it
    refused(E.HAS_GRIDS, services.do_delete_grid, base, actor=None)
    refused(E.HAS_GRIDS, services.do_update_grid, base, actor=None, is_active=False)


def test_dedicated_grid_outside_its_base_grid_is_refused(world):
    base = world.grids[NAMES.grid_a1a_1]  # 120.000–120.025
    refused(
        E.OUTSIDE_PARENT_GRID,
        services.do_create_grid,
        actor=None,
        village=world.area(NAMES.village_a1a),
        code="338001001001003",
        name="东湖市场",
        kind="dedicated",
        parent_grid=base,
        boundary=box(120.02, 30.01, 120.03, 30.02),
    )


def test_update_grid_overlap_refused_and_nothing_changes(world):
    grid = world.grids[NAMES.grid_a1a_1]
    original = dict(grid.boundary)
    refused(
        E.GRID_OVERLAP, services.do_update_grid, grid, actor=None, boundary=strip(120.0, 30.0, 0.03, 0.05)
    )
    grid.refresh_from_db()
    assert grid.boundary == original
    refused(E.UNKNOWN_FIELD, services.do_update_grid, grid, actor=None, village=world.area(NAMES.village_a1b))


def test_update_and_delete_grid(world):
    grid = world.grids[NAMES.grid_a1a_2]
    services.do_update_grid(grid, actor=None, name="东湖二网格", notice="每周一公示")
    grid.refresh_from_db()
    assert (grid.name, grid.notice) == ("东湖二网格", "每周一公示")
    assert ObjectChange.objects.last().after == {"name": "东湖二网格", "notice": "每周一公示"}
    services.do_delete_grid(grid, actor=None)
    assert not Grid.objects.filter(code=NAMES.grid_a1a_2).exists()
    row = ObjectChange.objects.last()
    assert (row.action, row.before["code"]) == ("delete", NAMES.grid_a1a_2)


def test_set_grid_workers(world):
    grid = world.grids[NAMES.grid_a1a_2]
    township = world.user("township")
    services.do_set_grid_workers(grid, [township], actor=world.user("admin"))
    assert list(grid.workers.values_list("username", flat=True)) == ["township"]
    row = ObjectChange.objects.last()
    assert (row.before, row.after) == ({"workers": []}, {"workers": [township.pk]})
    township.is_active = False
    township.save()
    refused(E.INACTIVE_USER, services.do_set_grid_workers, grid, [township], actor=None)


# --- layers and cells -----------------------------------------------------------------------------


def test_layers_and_cells_map_to_master_grids(world):
    refused(
        E.MASTER_LAYER_EXISTS,
        services.do_create_layer,
        actor=None,
        code="master2",
        name="第二主图层",
        is_master=True,
    )
    layer = services.do_create_layer(actor=None, code="chengguan", name="城管网格")
    # a cell over the east half of 东湖社区 maps to its second grid only (the shared edge is not overlap)
    cell = services.do_create_cell(
        actor=None,
        layer=layer,
        code="CG-001",
        name="东湖城管一区",
        area=world.area(NAMES.village_a1a),
        boundary=strip(120.025, 30.0, 0.025, 0.05),
    )
    assert sorted(cell.master_grids.values_list("code", flat=True)) == [NAMES.grid_a1a_2]
    services.do_update_cell(cell, actor=None, boundary=square(120.0, 30.0, 0.05))
    assert sorted(cell.master_grids.values_list("code", flat=True)) == [NAMES.grid_a1a_1, NAMES.grid_a1a_2]
    with pytest.raises(ServiceError) as info:
        services.do_create_cell(
            actor=None,
            layer=GridLayer.objects.get(is_master=True),
            code="X",
            name="X",
            area=world.area(NAMES.village_a1a),
        )
    assert info.value.code == E.MASTER_LAYER_CELL
    assert LayerCell.objects.count() == 1
