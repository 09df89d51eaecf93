"""import_geojson: grids (village containment, overlaps in the file and with the database, dedicated
grids), area boundaries (Beijing's GCJ-02 districts), bad input, all-or-nothing, re-runs."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from civicgrid.areas.coords import wgs84_to_gcj02
from civicgrid.areas.importers.divisions import import_divisions
from civicgrid.areas.importers.geojson import import_area_boundaries, import_grids
from civicgrid.areas.models import Area, Grid
from civicgrid.audit.models import ObjectChange
from tests.world import NAMES

VILLAGE = NAMES.village_a2a  # 柳营村: 120.10–120.15 × 30.00–30.05, one grid covering it all


def box(x1, y1, x2, y2):
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


def feature(code, name, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def write(tmp_path, features, name="grids.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_geojson", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def redraw_village(tmp_path):
    """Grid 001 shrinks to the west half, 002 takes the east half, 003 is a school inside 002."""
    return write(
        tmp_path,
        [
            feature(f"{VILLAGE}001", "柳营一网格", box(120.10, 30.0, 120.125, 30.05)),
            feature(f"{VILLAGE}003", "柳营小学", box(120.13, 30.01, 120.14, 30.02), kind="dedicated"),
            feature(
                f"{VILLAGE}002",
                "柳营二网格",
                box(120.125, 30.0, 120.15, 30.05),
                supervision_phone="0571-8888",
            ),
        ],
    )


def test_grids_created_updated_and_rerun_unchanged(world, tmp_path):
    path = redraw_village(tmp_path)
    out, err = run(path, "--kind", "grid")
    assert "新增 2，更新 1，未变 0，拒绝 0" in out and err == ""
    school = Grid.objects.get(code=f"{VILLAGE}003")
    assert (school.kind, school.parent_grid.code, school.path) == (
        "dedicated",
        f"{VILLAGE}002",
        f"33/3380/338001/338001002/{VILLAGE}/{VILLAGE}003/",
    )
    assert Grid.objects.get(code=f"{VILLAGE}002").supervision_phone == "0571-8888"
    assert Grid.objects.get(code=f"{VILLAGE}001").boundary == box(120.10, 30.0, 120.125, 30.05)
    batches = ObjectChange.objects.filter(object_id__startswith="import:", object_type="areas.grid")
    assert sorted(c["code"] for b in batches for c in b.after["created"]) == [
        f"{VILLAGE}002",
        f"{VILLAGE}003",
    ]
    assert [u["code"] for b in batches for u in b.after["updated"]] == [f"{VILLAGE}001"]
    audit_rows = ObjectChange.objects.count()
    out, _ = run(path, "--kind", "grid")
    assert "新增 0，更新 0，未变 3，拒绝 0" in out
    assert ObjectChange.objects.count() == audit_rows


def test_bad_feature_in_the_middle_commits_nothing_unless_skipped(world, tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[120.125, 30.0], [120.15, 30.05], [120.15, 30.0], [120.125, 30.05], [120.125, 30.0]]
        ],
    }
    path = write(
        tmp_path,
        [
            feature(f"{VILLAGE}001", "柳营一网格", box(120.10, 30.0, 120.125, 30.05)),
            feature(f"{VILLAGE}002", "蝴蝶网格", bowtie),
            feature(f"{VILLAGE}004", "柳营四网格", box(120.125, 30.0, 120.15, 30.05)),
        ],
    )
    before = (
        Grid.objects.count(),
        ObjectChange.objects.count(),
        Grid.objects.get(code=f"{VILLAGE}001").boundary,
    )
    with pytest.raises(CommandError):
        run(path, "--kind", "grid")
    assert (
        Grid.objects.count(),
        ObjectChange.objects.count(),
        Grid.objects.get(code=f"{VILLAGE}001").boundary,
    ) == before
    out, err = run(path, "--kind", "grid", "--skip-bad-rows")
    assert "新增 1，更新 1，未变 0，拒绝 1" in out
    assert err.startswith(f"第 2 个要素（{VILLAGE}002）：多边形无效：边界自相交")
    assert not Grid.objects.filter(code=f"{VILLAGE}002").exists()


def test_overlaps_in_the_file_and_with_the_database(world, tmp_path):
    path = write(
        tmp_path,
        [
            feature(f"{VILLAGE}001", "柳营一网格", box(120.10, 30.0, 120.13, 30.05)),
            feature(f"{VILLAGE}002", "柳营二网格", box(120.125, 30.0, 120.15, 30.05)),  # 500 m into 001
            # inside 南岸社区, whose existing grid covers all of it
            feature(f"{NAMES.village_a1b}002", "南岸二网格", box(120.06, 30.01, 120.07, 30.02)),
        ],
    )
    report = import_grids(path, skip_bad_rows=True)
    assert [(e.row, e.code, e.error_code) for e in report.sorted_errors()] == [
        (2, f"{VILLAGE}002", "grid_overlap"),
        (3, f"{NAMES.village_a1b}002", "grid_overlap"),
    ]
    assert f"第 1 个要素的网格 {VILLAGE}001" in report.sorted_errors()[0].reason
    assert f"数据库中的网格 {NAMES.grid_a1b_1}" in report.sorted_errors()[1].reason


def test_shared_border_within_tolerance_is_not_an_overlap(world, tmp_path):
    half_metre = 0.5 / 111_320
    path = write(
        tmp_path,
        [
            feature(f"{VILLAGE}001", "一", box(120.10, 30.0, 120.125 + half_metre, 30.05)),
            feature(f"{VILLAGE}002", "二", box(120.125, 30.0, 120.15, 30.05)),
        ],
    )
    report = import_grids(path)
    assert (report.created, report.updated, report.rejected) == (1, 1, 0)


@pytest.mark.parametrize(
    ("feat", "error_code", "fragment"),
    [
        (
            feature(f"{VILLAGE}002", "出界", box(120.14, 30.0, 120.17, 30.05)),
            "outside_village",
            "超出所属村/社区",
        ),
        (feature("338009001001001", "无村", box(120.1, 30.0, 120.11, 30.01)), "not_a_village", "不存在"),
        (feature(f"{VILLAGE}02", "短码", box(120.1, 30.0, 120.11, 30.01)), "invalid_grid_code", "15 位"),
        (feature(f"{VILLAGE}002", "", box(120.1, 30.0, 120.11, 30.01)), "empty_name", "名称不能为空"),
        (feature(f"{VILLAGE}002", "颠倒", box(30.0, 120.1, 30.05, 120.15)), "invalid_coordinate", "颠倒"),
        (feature(f"{VILLAGE}002", "无图", None), "invalid_geometry", "没有几何"),
        (feature(f"{VILLAGE}002", "怪类", box(120.1, 30.0, 120.11, 30.01), kind="x"), "invalid_kind", "类型"),
        (
            feature(
                f"{NAMES.village_a1a}003", "飞地学校", box(120.06, 30.01, 120.07, 30.02), kind="dedicated"
            ),
            "outside_village",
            "超出所属村/社区",
        ),
    ],
)
def test_bad_grid_features(world, tmp_path, feat, error_code, fragment):
    report = import_grids(write(tmp_path, [feat]))
    assert [e.error_code for e in report.errors] == [error_code]
    assert fragment in report.errors[0].reason
    assert not report.committed


def test_gcj02_grid_is_stored_in_wgs84(world, tmp_path):
    xs, ys = wgs84_to_gcj02([120.11, 120.12, 120.12, 120.11, 120.11], [30.01, 30.01, 30.02, 30.02, 30.01])
    gcj = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in zip(xs, ys, strict=True)]]}
    path = write(
        tmp_path, [feature(f"{VILLAGE}002", "学校", gcj, kind="dedicated", parent_grid=NAMES.grid_a2a_1)]
    )
    out, _ = run(path, "--kind", "grid", "--crs", "gcj02")
    assert "新增 1" in out
    stored = Grid.objects.get(code=f"{VILLAGE}002").boundary["coordinates"][0]
    assert stored[0] == pytest.approx([120.11, 30.01], abs=1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "文件为空"),
        ('{"type":"FeatureCollection","features":[]}', "没有要素"),
        ('{"type":"FeatureCollection","features":[{"type":', "JSON 格式错误"),
    ],
)
def test_unusable_geojson_files(world, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(CommandError) as info:
        run(path, "--kind", "grid")
    assert message in str(info.value)


@pytest.mark.shared_data
def test_beijing_districts_gcj02(db, shared_data, tmp_path):
    source = shared_data / "cn_admin_divisions"
    for name in ("provinces.csv", "cities.csv", "areas.csv"):
        import_divisions(source / name, vintage=2022)
    districts = shared_data / "cn_boundaries_geojson" / "beijing_110000_districts.geojson"
    # 顺义区's two published parts cross each other: without --repair the whole file is refused
    report = import_area_boundaries(districts, crs="gcj02")
    assert [(e.row, e.code, e.error_code) for e in report.errors] == [(10, "110113", "invalid_geometry")]
    assert not report.committed and Area.objects.filter(boundary__isnull=False).count() == 0
    out = StringIO()
    call_command("import_geojson", str(districts), "--kind", "area", "--crs", "gcj02", "--repair", stdout=out)
    assert (
        "新增 0，更新 16，未变 0，拒绝 0" in out.getvalue() and "已修复无效多边形的要素：10" in out.getvalue()
    )
    assert Area.objects.filter(code__startswith="1101", level="county", boundary__isnull=False).count() == 16
    # stored in WGS-84: 东城区 moved back by the GCJ-02 offset, about 600 m west and 130 m south here
    raw = shape(json.loads(districts.read_text())["features"][0]["geometry"]).centroid
    stored = shape(Area.objects.get(code="110101000000").boundary).centroid
    assert (round(stored.x - raw.x, 3), round(stored.y - raw.y, 3)) == (-0.006, -0.001)
    report = import_area_boundaries(districts, crs="gcj02", repair=True)
    assert (report.updated, report.unchanged, report.rejected) == (0, 16, 0)
