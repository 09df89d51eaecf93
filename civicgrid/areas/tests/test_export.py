"""export_geojson and exporters: properties, scoping by --under, and a round trip through import."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.areas import exporters, services
from civicgrid.areas.importers.geojson import import_grids
from civicgrid.areas.models import Grid
from tests.world import NAMES


def test_export_areas_under_a_township(world):
    collection = exporters.export_areas(under=NAMES.township_a1)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in collection["features"]] == [
        NAMES.township_a1,
        NAMES.village_a1a,
        NAMES.village_a1b,
    ]
    village = collection["features"][1]
    assert village["properties"] == {
        "code": NAMES.village_a1a,
        "name": "东湖社区",
        "level": "village",
        "parent": NAMES.township_a1,
        "urban_rural": "",
        "vintage": 2024,
    }
    assert village["geometry"]["type"] == "Polygon"


def test_export_grids_carries_village_and_parent_codes(world):
    base = world.grids[NAMES.grid_a1b_1]
    services.do_create_grid(
        actor=None,
        village=world.area(NAMES.village_a1b),
        code="338001001002002",
        name="南岸小学",
        kind="dedicated",
        parent_grid=base,
        boundary={
            "type": "Polygon",
            "coordinates": [
                [[120.06, 30.01], [120.07, 30.01], [120.07, 30.02], [120.06, 30.02], [120.06, 30.01]]
            ],
        },
    )
    features = exporters.export_grids(under="338001001")["features"]  # short code form
    assert [
        (
            f["properties"]["code"],
            f["properties"]["kind"],
            f["properties"]["village"],
            f["properties"]["parent_grid"],
        )
        for f in features
    ] == [
        (NAMES.grid_a1a_1, "base", NAMES.village_a1a, None),
        (NAMES.grid_a1a_2, "base", NAMES.village_a1a, None),
        (NAMES.grid_a1b_1, "base", NAMES.village_a1b, None),
        ("338001001002002", "dedicated", NAMES.village_a1b, NAMES.grid_a1b_1),
    ]
    assert "workers" not in features[0]["properties"]


def test_export_command_round_trips_through_import(world, tmp_path):
    out_file = tmp_path / "grids.geojson"
    err = StringIO()
    call_command("export_geojson", "--kind", "grid", "--out", str(out_file), stderr=err)
    assert "已导出 5 个要素" in err.getvalue()
    report = import_grids(out_file)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 5, 0)
    # a changed name in the file is an update of exactly that grid
    data = json.loads(out_file.read_text(encoding="utf-8"))
    data["features"][0]["properties"]["name"] = "改名网格"
    out_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = import_grids(out_file)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    assert Grid.objects.get(code=NAMES.grid_a1a_1).name == "改名网格"


def test_export_command_to_stdout_is_valid_geojson(world):
    out = StringIO()
    call_command("export_geojson", "--kind", "area", "--under", NAMES.county_b, stdout=out)
    data = json.loads(out.getvalue())
    assert [f["properties"]["code"] for f in data["features"]] == [
        NAMES.county_b,
        NAMES.township_b1,
        NAMES.village_b1a,
    ]


def test_export_unknown_area_is_an_error(world):
    with pytest.raises(CommandError) as info:
        call_command("export_geojson", "--kind", "grid", "--under", "339999", stdout=StringIO())
    assert "不存在" in str(info.value)
