"""Coordinate systems and point checks (issue 2 §2 "Coordinates")."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from civicgrid.areas.coords import (
    CoordinateError,
    check_in_jurisdiction,
    check_point,
    distance_to_extent_km,
    from_wgs84,
    to_wgs84,
    transform_geometry,
)

# WGS-84 → GCJ-02 reference pairs (lon, lat) for Shanghai, Shenzhen and Beijing, as published with
# the reference implementations of the GCJ-02 formula.
GCJ_REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]
# The same points in BD-09, computed by the BD-09 formula from the GCJ-02 values above.
BD_REFERENCE = [
    ((121.5272106, 31.1774276), (121.53801568643858, 31.181328606874466)),
    ((113.912316, 22.543847), (113.92368472926734, 22.546667437751108)),
    ((116.377817, 39.911954), (116.39045471310828, 39.919575550965874)),
]


@pytest.mark.parametrize(("wgs", "gcj"), GCJ_REFERENCE)
def test_wgs84_to_gcj02_matches_reference_values(wgs, gcj):
    lon, lat = from_wgs84(*wgs, "gcj02")
    assert lon == pytest.approx(gcj[0], abs=1e-12)
    assert lat == pytest.approx(gcj[1], abs=1e-12)
    assert isinstance(lon, float)


@pytest.mark.parametrize(("wgs", "gcj"), GCJ_REFERENCE)
def test_gcj02_to_wgs84_inverts_to_better_than_1e_7_degree(wgs, gcj):
    lon, lat = to_wgs84(*gcj, "gcj02")
    assert abs(lon - wgs[0]) < 1e-7
    assert abs(lat - wgs[1]) < 1e-7


@pytest.mark.parametrize(("wgs", "bd"), BD_REFERENCE)
def test_bd09_forward_and_inverse(wgs, bd):
    lon, lat = from_wgs84(*wgs, "bd09")
    assert lon == pytest.approx(bd[0], abs=1e-12)
    assert lat == pytest.approx(bd[1], abs=1e-12)
    back_lon, back_lat = to_wgs84(*bd, "bd09")
    assert abs(back_lon - wgs[0]) < 1e-7
    assert abs(back_lat - wgs[1]) < 1e-7


def test_round_trip_over_china_is_within_1e_7_degree():
    rng = np.random.default_rng(7)
    lons = 75 + rng.random(500) * 60
    lats = 18 + rng.random(500) * 35
    for crs in ("gcj02", "bd09"):
        there = from_wgs84(lons, lats, crs)
        back = to_wgs84(*there, crs)
        assert np.max(np.abs(back[0] - lons)) < 1e-7
        assert np.max(np.abs(back[1] - lats)) < 1e-7


def test_arrays_give_the_same_values_as_scalars():
    lons = np.array([p[0][0] for p in GCJ_REFERENCE])
    lats = np.array([p[0][1] for p in GCJ_REFERENCE])
    out_lon, out_lat = from_wgs84(lons, lats, "gcj02")
    assert out_lon.tolist() == [from_wgs84(*p[0], "gcj02")[0] for p in GCJ_REFERENCE]
    assert out_lat.tolist() == [from_wgs84(*p[0], "gcj02")[1] for p in GCJ_REFERENCE]


def test_gcj_offset_applies_only_inside_china():
    paris = (2.3522, 48.8566)
    assert from_wgs84(*paris, "gcj02") == paris
    assert to_wgs84(*paris, "gcj02") == paris
    # BD-09's own shift is applied everywhere; the GCJ part is not, so Paris moves by BD's shift only.
    bd_lon, bd_lat = from_wgs84(*paris, "bd09")
    assert to_wgs84(bd_lon, bd_lat, "bd09") == pytest.approx(paris, abs=1e-9)
    assert from_wgs84(121.0, 31.0, "gcj02") != (121.0, 31.0)


def test_wgs84_is_identity():
    assert to_wgs84(120.5, 30.5, "wgs84") == (120.5, 30.5)
    assert from_wgs84(120.5, 30.5, "wgs84") == (120.5, 30.5)


def test_unknown_crs_names_the_crs_field():
    with pytest.raises(CoordinateError) as info:
        to_wgs84(120, 30, "cgcs2000")
    assert info.value.field == "crs"
    assert info.value.code == "invalid_crs"
    assert str(info.value) == "坐标系“cgcs2000”无效，应为 wgs84、gcj02、bd09 之一"


def test_transform_geometry_converts_every_vertex_and_keeps_rings_closed():
    ring = [[116.3, 39.9], [116.4, 39.9], [116.4, 40.0], [116.3, 40.0], [116.3, 39.9]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    out = transform_geometry(polygon, "gcj02")
    assert polygon["coordinates"][0][0] == [116.3, 39.9]  # input untouched
    assert out["type"] == "Polygon"
    converted = out["coordinates"][0]
    assert converted[0] == converted[-1]
    for (lon, lat), (wlon, wlat) in zip(ring, converted, strict=True):
        assert (wlon, wlat) == pytest.approx(to_wgs84(lon, lat, "gcj02"), abs=1e-9)
    multi = {"type": "MultiPolygon", "coordinates": [[ring], [ring]]}
    corner = transform_geometry(multi, "bd09")["coordinates"][1][0][2]
    assert corner == pytest.approx(list(to_wgs84(116.4, 40.0, "bd09")), abs=1e-9)
    point = transform_geometry({"type": "Point", "coordinates": [116.3, 39.9, 45.0]}, "gcj02")
    assert point["coordinates"] == [*to_wgs84(116.3, 39.9, "gcj02"), 45.0]
    assert transform_geometry(polygon, "wgs84") == polygon


@pytest.mark.parametrize(
    "geometry",
    [
        "POLYGON",
        {"type": "Circle", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": 5},
        {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2]]]},
        {"type": "Polygon", "coordinates": [[[1], [1, 2]]]},
    ],
)
def test_transform_geometry_rejects_malformed_input(geometry):
    with pytest.raises(CoordinateError) as info:
        transform_geometry(geometry, "gcj02")
    assert info.value.field == "coordinates"


def test_check_point_returns_floats_and_accepts_numeric_strings():
    assert check_point(120, 30) == (120.0, 30.0)
    assert check_point(" 120.5", "30.25") == (120.5, 30.25)
    assert check_point(Decimal("120.125"), np.float64(30.5)) == (120.125, 30.5)
    with pytest.raises(CoordinateError) as info:
        check_point(Decimal("NaN"), 30)
    assert info.value.field == "lon"


@pytest.mark.parametrize(
    ("lon", "lat", "field", "message"),
    [
        ("abc", 30, "lon", "经度必须是数字，收到“abc”"),
        (120, None, "lat", "纬度必须是数字"),
        (True, 30, "lon", "经度必须是数字"),
        (120, [30], "lat", "纬度必须是数字"),
        (math.nan, 30, "lon", "经度必须是有限的数字"),
        (120, math.inf, "lat", "纬度必须是有限的数字"),
        (120, "nan", "lat", "纬度必须是有限的数字"),
        (200, 30, "lon", "经度 200.0 超出 −180～180"),
        (120, 95, "lat", "纬度 95.0 超出 −90～90"),
        (120, -91, "lat", "纬度 -91.0 超出 −90～90"),
    ],
)
def test_check_point_rejects(lon, lat, field, message):
    with pytest.raises(CoordinateError) as info:
        check_point(lon, lat)
    assert info.value.field == field
    assert str(info.value) == message


def test_check_point_reports_swapped_latitude_and_longitude():
    with pytest.raises(CoordinateError) as info:
        check_point(30, 120)
    assert info.value.code == "coordinates_swapped"
    assert info.value.field == "coordinates"
    assert str(info.value) == "纬度 120.0 超出 −90～90，经纬度可能颠倒（应为 经度, 纬度 的顺序）"


def test_distance_to_extent():
    extent = (120.0, 30.0, 120.4, 30.4)
    assert distance_to_extent_km(120.2, 30.2, extent) == 0.0
    assert distance_to_extent_km(120.0, 30.5, extent) == pytest.approx(11.119, abs=0.001)  # 0.1° of latitude


def test_check_in_jurisdiction_with_an_explicit_extent(settings):
    settings.CIVICGRID = {**settings.CIVICGRID, "JURISDICTION_MARGIN_KM": 50.0}
    extent = (120.0, 30.0, 120.4, 30.4)
    check_in_jurisdiction(120.2, 30.2, extent)
    check_in_jurisdiction(120.0, 30.8, extent)  # 44.5 km north: inside the margin
    with pytest.raises(CoordinateError) as info:
        check_in_jurisdiction(120.0, 30.9, extent)  # 55.6 km north
    assert info.value.code == "out_of_jurisdiction"
    assert str(info.value) == "坐标 (120.0, 30.9) 距辖区范围约 56 公里，超出允许的 50 公里"
    settings.CIVICGRID = {**settings.CIVICGRID, "JURISDICTION_MARGIN_KM": 60.0}
    check_in_jurisdiction(120.0, 30.9, extent)


def test_check_in_jurisdiction_recognises_a_swap_that_stays_in_range():
    # Kashgar (lon 75.99, lat 39.47): swapped, both numbers are still valid lon/lat.
    extent = (75.8, 39.3, 76.2, 39.6)
    with pytest.raises(CoordinateError) as info:
        check_in_jurisdiction(39.47, 75.99, extent)
    assert info.value.code == "coordinates_swapped"
    assert "经纬度可能颠倒" in str(info.value)


@pytest.mark.django_db
def test_check_in_jurisdiction_reads_the_extent_of_database_boundaries(world):
    from civicgrid.areas import spatial_index

    spatial_index.reset()
    try:
        check_in_jurisdiction(120.2, 30.2)
        with pytest.raises(CoordinateError) as info:
            check_in_jurisdiction(116.4, 39.9)
        assert info.value.code == "out_of_jurisdiction"
    finally:
        spatial_index.reset()


@pytest.mark.django_db
def test_with_no_boundaries_in_the_database_every_point_passes():
    from civicgrid.areas import spatial_index

    spatial_index.reset()
    try:
        check_in_jurisdiction(-70.0, -40.0)
    finally:
        spatial_index.reset()


def test_an_explicit_empty_extent_means_no_check_and_no_database():
    # No django_db mark: touching the database here would fail the test.
    check_in_jurisdiction(-70.0, -40.0, None)
    from civicgrid.areas.locate import locate
    from civicgrid.areas.spatial_index import SpatialIndex

    assert locate(-70.0, -40.0, index=SpatialIndex()).status == "unlocated"
