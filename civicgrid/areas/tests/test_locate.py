"""Locate on the seeded world (issue 2 §2 "Locate"), and the index's cross-process rebuild.

World geometry (tests/world.py): village 东湖社区 is 120.00–120.05 × 30.00–30.05, cut into grids
…001 (120.000–120.025) and …002 (120.025–120.050); 南岸社区 120.05–120.10 has grid …002001;
township 东湖街道 is 120.0–120.1 × 30.0–30.1, county 江东区 120.0–120.2 × 30.0–30.2, county 江西区
120.2–120.4 × 30.0–30.2, the city 120.0–120.4 × 30.0–30.4.
"""

from __future__ import annotations

import pytest

from civicgrid.areas import spatial_index
from civicgrid.areas.coords import CoordinateError, from_wgs84
from civicgrid.areas.locate import LocateResult, LocateStatus, locate, locate_many
from civicgrid.areas.models import Grid, GridLayer, LayerCell, SpatialIndexVersion
from civicgrid.areas.spatial_index import AreaRecord, GridRecord, SpatialIndex
from tests.world import NAMES, square, strip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    spatial_index.reset()
    yield
    spatial_index.reset()


def codes(result: LocateResult) -> list[str]:
    return [a.code for a in result.areas]


CHAIN_A1A = [NAMES.city, NAMES.county_a, NAMES.township_a1, NAMES.village_a1a]


def test_point_inside_a_grid(world):
    result = locate(120.01, 30.01)
    assert result.status == LocateStatus.GRID
    assert result.grid.code == NAMES.grid_a1a_1
    assert result.grid.pk == world.grids[NAMES.grid_a1a_1].pk
    assert result.grid.name == "东湖社区第1网格"
    assert codes(result) == CHAIN_A1A
    assert result.area.name == "东湖社区"
    assert (result.lon, result.lat) == (120.01, 30.01)
    assert result.cells == {}
    assert result.reason == ""


def test_point_on_a_border_shared_by_two_grids_always_gives_the_lower_code(world):
    answers = {locate(120.025, 30.02).grid.code for _ in range(25)}
    assert answers == {NAMES.grid_a1a_1}
    # On the border between two villages the lower grid code wins as well.
    answers = {locate(120.05, 30.03).grid.code for _ in range(25)}
    assert answers == {NAMES.grid_a1a_2}
    # A corner shared by four polygons (two grids, two villages' outer edges).
    assert locate(120.05, 30.05).grid.code == NAMES.grid_a1a_2
    assert [r.grid.code for r in locate_many([(120.025, 30.02)] * 5)] == [NAMES.grid_a1a_1] * 5


def test_point_outside_grids_falls_back_to_the_deepest_area(world):
    result = locate(120.01, 30.07)  # 东湖街道 north of its villages
    assert result.status == LocateStatus.AREA
    assert result.grid is None
    assert codes(result) == [NAMES.city, NAMES.county_a, NAMES.township_a1]
    result = locate(120.35, 30.05)  # 江西区 outside 北山镇
    assert codes(result) == [NAMES.city, NAMES.county_b]
    result = locate(120.3, 30.3)  # only the city covers it
    assert result.status == LocateStatus.AREA
    assert codes(result) == [NAMES.city]


def test_point_outside_everything_is_unlocated_not_guessed(world):
    result = locate(120.45, 30.2)  # 5 km east of the city: inside the margin, in no polygon
    assert result.status == LocateStatus.UNLOCATED
    assert result.grid is None
    assert result.areas == ()
    assert result.reason == "该点不在任何网格内，也不在任何有边界的区划内"


def test_swapped_coordinates_are_refused(world):
    with pytest.raises(CoordinateError) as info:
        locate(30.01, 120.01)
    assert info.value.code == "coordinates_swapped"
    assert "经纬度可能颠倒" in str(info.value)


def test_far_away_point_is_refused(world):
    with pytest.raises(CoordinateError) as info:
        locate(116.397, 39.909)  # Beijing, ~1,100 km from 临江市
    assert info.value.code == "out_of_jurisdiction"
    assert info.value.field == "coordinates"


def test_bad_numbers_and_crs_name_their_field(world):
    with pytest.raises(CoordinateError) as info:
        locate("东经120", 30)
    assert info.value.field == "lon"
    with pytest.raises(CoordinateError) as info:
        locate(120.01, 30.01, "cgcs2000")
    assert info.value.field == "crs"


def test_gcj02_and_bd09_inputs_are_converted_before_locating(world):
    wgs = (120.022, 30.01)  # grid …001, 3 m west of the border with …002
    gcj = from_wgs84(*wgs, "gcj02")
    bd = from_wgs84(*wgs, "bd09")
    # Taken as WGS-84, the GCJ-02 numbers would fall ~450 m east, in the neighbouring grid.
    assert locate(*gcj).grid.code == NAMES.grid_a1a_2
    for numbers, crs in ((gcj, "gcj02"), (bd, "bd09")):
        result = locate(*numbers, crs=crs)
        assert result.grid.code == NAMES.grid_a1a_1
        assert result.lon == pytest.approx(wgs[0], abs=1e-7)
        assert result.lat == pytest.approx(wgs[1], abs=1e-7)


def test_dedicated_grid_wins_over_the_base_grid_around_it(world):
    base = world.grids[NAMES.grid_a1a_2]
    Grid.objects.create(
        code="338001001001003",
        name="东湖小学专属网格",
        village=base.village,
        kind="dedicated",
        parent_grid=base,
        path=f"{base.village.path}338001001001003/",
        boundary=square(120.03, 30.01, 0.005),
    )
    assert locate(120.032, 30.012).grid.code == "338001001001003"
    assert locate(120.032, 30.02).grid.code == NAMES.grid_a1a_2


def test_inactive_grids_are_not_located(world):
    Grid.objects.filter(code=NAMES.grid_a1a_1).update(is_active=False)
    result = locate(120.01, 30.01)
    assert result.status == LocateStatus.AREA
    assert codes(result) == CHAIN_A1A


def test_specialised_layer_cells_are_reported(world):
    layer = GridLayer.objects.create(code="chengguan", name="城管网格")
    township = world.areas[NAMES.township_a1]
    for code, lon in (("CG-02", 120.04), ("CG-01", 120.0)):
        LayerCell.objects.create(
            layer=layer,
            code=code,
            name=f"城管单元{code}",
            area=township,
            path=township.path,
            boundary=strip(lon, 30.0, 0.04, 0.1),
        )
    result = locate(120.01, 30.07)
    assert result.status == LocateStatus.AREA
    assert {k: v.code for k, v in result.cells.items()} == {"chengguan": "CG-01"}
    assert result.cells["chengguan"].path == township.path
    # On the shared edge of the two cells the lower code wins.
    assert locate(120.04, 30.01).cells["chengguan"].code == "CG-01"
    assert locate(120.06, 30.01).cells["chengguan"].code == "CG-02"
    assert locate(120.15, 30.01).cells == {}


def test_locate_many_agrees_with_locate(world):
    points = [
        (120.01, 30.01),
        (120.025, 30.02),
        (120.01, 30.07),
        (120.45, 30.2),
        (120.22, 30.02),
        (120.3, 30.3),
    ]
    many = locate_many(points)
    assert many == [locate(lon, lat) for lon, lat in points]
    assert [r.status for r in many] == ["grid", "grid", "area", "unlocated", "grid", "area"]
    assert many[4].grid.code == NAMES.grid_b1a_1


def test_locate_many_reports_the_position_of_a_bad_point(world):
    with pytest.raises(CoordinateError) as info:
        locate_many([(120.01, 30.01), (30.0, 120.0)])
    assert info.value.index == 1
    assert info.value.code == "coordinates_swapped"
    with pytest.raises(CoordinateError) as info:
        locate_many([(120.01, 30.01), (120.0, 30.0), (116.4, 39.9)])
    assert info.value.index == 2
    with pytest.raises(CoordinateError) as info:
        locate_many([(120.01,)])
    assert info.value.index == 0
    assert locate_many([]) == []


def test_as_dict(world):
    data = locate(120.01, 30.01).as_dict()
    grid = world.grids[NAMES.grid_a1a_1]
    assert data["status"] == "grid"
    assert data["grid"] == {"id": grid.pk, "code": grid.code, "name": "东湖社区第1网格", "kind": "base"}
    assert [a["code"] for a in data["areas"]] == CHAIN_A1A
    assert data["areas"][0] == {
        "id": world.areas[NAMES.city].pk,
        "code": NAMES.city,
        "name": "临江市",
        "level": "city",
    }
    assert data["cells"] == {}
    assert data["reason"] == ""


def test_empty_database_reports_unlocated_without_a_jurisdiction_check():
    result = locate(-70.0, -40.0)
    assert result.status == LocateStatus.UNLOCATED
    assert result.reason == "尚未导入任何网格或区划边界，无法定位"


def test_repeated_lookups_do_not_query_the_database(world, django_assert_num_queries):
    locate(120.01, 30.01)  # builds the index
    with django_assert_num_queries(0):
        for _ in range(50):
            locate(120.01, 30.01)


def test_index_rebuilds_when_another_process_bumps_the_version(world, monkeypatch):
    assert locate(120.01, 30.01).grid.code == NAMES.grid_a1a_1
    # Another process moves grid …001 away (writes the row, then bumps the version after commit).
    Grid.objects.filter(code=NAMES.grid_a1a_1).update(boundary=square(120.3, 30.3, 0.01))
    # Even once the version is looked at again, an unchanged version keeps the old index.
    monkeypatch.setattr(spatial_index, "CHECK_INTERVAL", 0.0)
    assert locate(120.01, 30.01).grid.code == NAMES.grid_a1a_1
    row, _ = SpatialIndexVersion.objects.get_or_create(name=spatial_index.VERSION_NAME)
    SpatialIndexVersion.objects.filter(pk=row.pk).update(version=row.version + 1)
    result = locate(120.01, 30.01)
    assert result.status == LocateStatus.AREA
    assert locate(120.305, 30.305).grid.code == NAMES.grid_a1a_1


def test_version_is_looked_at_at_most_once_per_interval(world, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(spatial_index.time, "monotonic", lambda: clock[0])
    locate(120.01, 30.01)
    Grid.objects.filter(code=NAMES.grid_a1a_1).update(boundary=square(120.3, 30.3, 0.01))
    SpatialIndexVersion.objects.update_or_create(name=spatial_index.VERSION_NAME, defaults={"version": 99})
    clock[0] += 0.5
    assert locate(120.01, 30.01).grid.code == NAMES.grid_a1a_1  # not yet looked at
    clock[0] += 0.6
    assert locate(120.01, 30.01).status == LocateStatus.AREA


def test_mark_changed_bumps_the_row_and_drops_this_process_index(world):
    assert spatial_index.read_version() == 0
    locate(120.01, 30.01)
    Grid.objects.filter(code=NAMES.grid_a1a_1).update(is_active=False)
    spatial_index.mark_changed()
    assert spatial_index.read_version() == 1
    assert locate(120.01, 30.01).status == LocateStatus.AREA
    spatial_index.mark_changed()
    assert SpatialIndexVersion.objects.get(name="locate").version == 2


def test_mark_changed_on_commit_waits_for_the_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        spatial_index.mark_changed_on_commit()
        assert spatial_index.read_version() == 0
    assert len(callbacks) == 1
    assert spatial_index.read_version() == 1


def test_index_from_plain_records_without_a_database():
    city = AreaRecord(1, "338000000000", "临江市", "city", "33/3380/")
    village = AreaRecord(2, "338000001001", "某社区", "village", "33/3380/338000/338000001/338000001001/", 1)
    grids = [
        (GridRecord(11, "338000001001002", "二网格", "base", 2, "x/"), strip(120.0, 30.0, 0.01, 0.01)),
        (GridRecord(10, "338000001001001", "一网格", "base", 2, "y/"), strip(120.01, 30.0, 0.01, 0.01)),
        (
            GridRecord(12, "338000001001003", "坏网格", "base", 2, "z/"),
            {"type": "Point", "coordinates": [1, 2]},
        ),
    ]
    index = SpatialIndex(areas=[(city, square(119.9, 29.9, 0.3)), (village, None)], grids=grids)
    assert index.skipped == 1
    assert index.extent == (119.9, 29.9, 120.2, 30.2)
    result = locate(120.01, 30.005, index=index)  # shared border
    assert result.grid.code == "338000001001001"
    assert [a.code for a in result.areas] == ["338000000000", "338000001001"]
    assert locate(120.15, 30.15, index=index).areas == (city,)


def test_polygons_with_holes_and_multipolygons_are_indexed_exactly():
    ring = [[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]
    hole = [[120.04, 30.04], [120.04, 30.06], [120.06, 30.06], [120.06, 30.04], [120.04, 30.04]]
    donut = GridRecord(1, "338000001001001", "环形网格", "base", 0, "a/")
    islands = GridRecord(2, "338000001001002", "飞地网格", "base", 0, "b/")
    plain = GridRecord(3, "338000001001003", "普通网格", "base", 0, "c/")
    index = SpatialIndex(
        grids=[
            (donut, {"type": "Polygon", "coordinates": [ring, hole]}),
            (
                islands,
                {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [square(120.045, 30.045, 0.01)["coordinates"][0]],
                        [square(120.5, 30.5, 0.01)["coordinates"][0]],
                    ],
                },
            ),
            (plain, square(120.1, 30.0, 0.1)),
        ]
    )
    assert index.skipped == 0
    assert locate(120.02, 30.02, index=index).grid == donut
    assert locate(120.05, 30.05, index=index).grid == islands  # in the hole, on the island
    assert locate(120.042, 30.042, index=index).status == LocateStatus.UNLOCATED  # in the hole only
    assert locate(120.505, 30.505, index=index).grid == islands
    assert locate(120.15, 30.05, index=index).grid == plain


@pytest.mark.shared_data
def test_locate_gcj02_points_in_beijing_districts(shared_data):
    """Real boundaries (GCJ-02, converted to WGS-84 for the index) and 高德 coordinates of places."""
    import json

    from civicgrid.areas.coords import transform_geometry

    folder = shared_data / "cn_boundaries_geojson"
    outline = json.loads((folder / "beijing_110000_outline.geojson").read_text(encoding="utf-8"))
    beijing = AreaRecord(1, "110000000000", "北京市", "province", "11/")
    areas = [(beijing, transform_geometry(outline["features"][0]["geometry"], "gcj02"))]
    districts = json.loads((folder / "beijing_110000_districts.geojson").read_text(encoding="utf-8"))
    for i, feature in enumerate(districts["features"]):
        code = str(feature["properties"]["adcode"])
        record = AreaRecord(
            10 + i, f"{code}000000", feature["properties"]["name"], "county", f"11/{code}/", 1
        )
        areas.append((record, transform_geometry(feature["geometry"], "gcj02")))
    index = SpatialIndex(areas=areas)
    places = {
        (116.397428, 39.90923): ["北京市", "东城区"],  # 天安门
        (116.3587, 39.9153): ["北京市", "西城区"],  # 金融街
        (116.6546, 40.1302): ["北京市", "顺义区"],
        (115.97, 40.45): ["北京市", "延庆区"],
        (117.5, 40.0): [],  # 天津蓟州, within the margin but outside Beijing
    }
    for (lon, lat), names in places.items():
        result = locate(lon, lat, crs="gcj02", index=index)
        assert [a.name for a in result.areas] == names
        assert result.status == ("area" if names else "unlocated")
    with pytest.raises(CoordinateError) as info:
        locate(121.47, 31.23, crs="gcj02", index=index)  # 上海
    assert info.value.code == "out_of_jurisdiction"
