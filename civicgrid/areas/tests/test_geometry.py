"""Polygon validation, ring order and conversions (issue 2 §2 "polygon validity")."""

from __future__ import annotations

import math

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from civicgrid.areas.geometry import GeometryError, area_km2, parse_polygon, to_geojson

CCW = [[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]
CW = list(reversed(CCW))
HOLE_CW = [[120.02, 30.02], [120.02, 30.08], [120.08, 30.08], [120.08, 30.02], [120.02, 30.02]]
HOLE_CCW = list(reversed(HOLE_CW))


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def test_a_valid_polygon_round_trips():
    geom = parse_polygon(polygon(CCW))
    assert isinstance(geom, Polygon)
    assert to_geojson(geom) == polygon(CCW)


def test_clockwise_input_is_accepted_and_reoriented_to_rfc7946():
    geom = parse_polygon(polygon(CW, HOLE_CCW))
    assert geom.exterior.is_ccw
    assert not geom.interiors[0].is_ccw
    out = to_geojson(geom)
    assert out["coordinates"][0] == [
        [120.0, 30.0],
        [120.1, 30.0],
        [120.1, 30.1],
        [120.0, 30.1],
        [120.0, 30.0],
    ]
    assert out["coordinates"][1] == HOLE_CW


def test_multipolygon_parts_are_each_reoriented():
    east = [[lon + 0.2, lat] for lon, lat in CW]
    geom = parse_polygon({"type": "MultiPolygon", "coordinates": [[CW], [east]]})
    assert isinstance(geom, MultiPolygon)
    assert [part.exterior.is_ccw for part in geom.geoms] == [True, True]
    assert to_geojson(geom)["coordinates"][0] == [CCW]


def test_altitude_is_ignored():
    geom = parse_polygon(polygon([[*p, 12.5] for p in CCW]))
    assert to_geojson(geom) == polygon(CCW)


@pytest.mark.parametrize(
    ("geojson", "code", "message"),
    [
        ("POLYGON((0 0,1 0,1 1,0 0))", "wrong_type", "边界必须是 GeoJSON 几何对象"),
        (
            {"type": "Point", "coordinates": [120, 30]},
            "wrong_type",
            "边界类型必须是 Polygon 或 MultiPolygon，收到“Point”",
        ),
        (
            {"type": "Feature", "geometry": polygon(CCW)},
            "wrong_type",
            "边界类型必须是 Polygon 或 MultiPolygon，收到“Feature”",
        ),
        ({"type": "Polygon", "coordinates": []}, "invalid_geometry", "多边形至少需要一个外环"),
        ({"type": "Polygon"}, "invalid_geometry", "多边形至少需要一个外环"),
        ({"type": "MultiPolygon", "coordinates": []}, "invalid_geometry", "MultiPolygon 至少需要一个多边形"),
        ({"type": "Polygon", "coordinates": ["ring"]}, "invalid_geometry", "环必须是坐标数组（外环）"),
        (
            polygon([[120, 30], [120.1], [120.1, 30.1], [120, 30]]),
            "invalid_geometry",
            "第 2 个坐标格式错误，应为 [经度, 纬度]（外环）",
        ),
        (
            polygon([[120, 30], ["120.1", 30], [120.1, 30.1], [120, 30]]),
            "not_a_number",
            "第 2 个坐标不是数字（外环）",
        ),
        (
            polygon([[120, 30], [True, 30], [120.1, 30.1], [120, 30]]),
            "not_a_number",
            "第 2 个坐标不是数字（外环）",
        ),
        (
            polygon([[120, 30], [math.nan, 30], [120.1, 30.1], [120, 30]]),
            "not_a_number",
            "第 2 个坐标不是有限的数字（外环）",
        ),
        (
            polygon([[120, 30], [120.1, math.inf], [120.1, 30.1], [120, 30]]),
            "not_a_number",
            "第 2 个坐标不是有限的数字（外环）",
        ),
        (
            polygon([[120, 30], [190, 30], [120.1, 30.1], [120, 30]]),
            "out_of_range",
            "第 2 个坐标 (190, 30) 超出经纬度范围（外环）",
        ),
        (
            polygon([[120, 30], [120.1, 30], [120, 30]]),
            "too_few_points",
            "环至少需要 4 个坐标（首尾相同），实际 3 个（外环）",
        ),
        (
            polygon(CCW[:-1]),
            "ring_not_closed",
            "环未闭合：首坐标 [120.0, 30.0] 与末坐标 [120.0, 30.1] 不同（外环）",
        ),
        (
            polygon(CCW, HOLE_CW[:-1]),
            "ring_not_closed",
            "环未闭合：首坐标 [120.02, 30.02] 与末坐标 [120.08, 30.02] 不同（第 1 个内环）",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[CCW], [[[121, 30], [121.1, 30], [121, 30]]]]},
            "too_few_points",
            "环至少需要 4 个坐标（首尾相同），实际 3 个（第 2 个多边形的外环）",
        ),
        (
            polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]),
            "self_intersection",
            "多边形无效：边界自相交，位置约在 (0.5, 0.5)",
        ),
        (
            polygon(CCW, [[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.0]]),
            "invalid_polygon",
            "多边形无效：内环（洞）位于外环之外，位置约在 (121, 31)",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[CCW], [[[lon + 0.05, lat] for lon, lat in CCW]]]},
            "self_intersection",
            "多边形无效：边界自相交，位置约在 (120.05, 30.1)",
        ),
    ],
)
def test_rejections_name_the_problem_in_chinese(geojson, code, message):
    with pytest.raises(GeometryError) as info:
        parse_polygon(geojson)
    assert info.value.code == code
    assert info.value.field == "boundary"
    assert str(info.value) == message


def test_to_geojson_gives_plain_lists():
    out = to_geojson(shapely.box(120.0, 30.0, 120.1, 30.1))
    assert isinstance(out["coordinates"], list)
    assert isinstance(out["coordinates"][0][0], list)


def test_area_km2_matches_the_spherical_area():
    # A 0.1° × 0.1° cell at 30°N on a sphere of radius 6371.0088 km: R²·Δλ·(sin φ2 − sin φ1).
    r = 6371.0088
    expected = r * r * math.radians(0.1) * (math.sin(math.radians(30.1)) - math.sin(math.radians(30.0)))
    assert area_km2(parse_polygon(polygon(CCW))) == pytest.approx(expected, rel=1e-5)
    assert area_km2(polygon(CCW)) == pytest.approx(107.02, abs=0.01)


@pytest.mark.shared_data
def test_beijing_districts_from_gcj02_validate_and_measure(shared_data):
    """Beijing's 16 districts (DataV export, GCJ-02): 15 are valid; 顺义区's simplified outline
    crosses itself, which the validator must report with its place. The converted outline's area
    is within 0.2% of Beijing's official 16,410 km²."""
    import json

    from civicgrid.areas.coords import transform_geometry

    folder = shared_data / "cn_boundaries_geojson"
    districts = json.loads((folder / "beijing_110000_districts.geojson").read_text(encoding="utf-8"))
    rejected = {}
    accepted = []
    for feature in districts["features"]:
        try:
            accepted.append(parse_polygon(transform_geometry(feature["geometry"], "gcj02")))
        except GeometryError as exc:
            rejected[feature["properties"]["name"]] = exc
    assert len(accepted) == 15
    assert list(rejected) == ["顺义区"]
    assert rejected["顺义区"].code == "self_intersection"
    assert str(rejected["顺义区"]).startswith("多边形无效：边界自相交，位置约在 (116.60")
    assert all(geom.geom_type == "MultiPolygon" for geom in accepted)
    outline = json.loads((folder / "beijing_110000_outline.geojson").read_text(encoding="utf-8"))
    total = area_km2(parse_polygon(transform_geometry(outline["features"][0]["geometry"], "gcj02")))
    assert total == pytest.approx(16_410, rel=0.002)
