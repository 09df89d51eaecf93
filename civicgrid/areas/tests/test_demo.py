"""The demo city generator: determinism, exact counts, valid codes, exact tiling, scaling, files and
the bulk load."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from civicgrid.areas import demo
from civicgrid.areas.codes import area_path, level_of, parent_code, validate_grid_code, validate_structure
from civicgrid.areas.demo import DEMO_CITY_CODE, generate_city, load_city, write_files


@pytest.fixture(scope="module")
def city():
    return generate_city()


# --- determinism ---------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_city(tmp_path):
    first, second = generate_city(seed=7, grids=120), generate_city(seed=7, grids=120)
    assert first == second
    a = write_files(first, tmp_path / "a")
    b = write_files(second, tmp_path / "b")
    for key in ("divisions", "areas", "grids"):
        assert a[key].read_bytes() == b[key].read_bytes()


def test_different_seed_gives_a_different_city_of_the_same_size():
    first, second = generate_city(seed=1), generate_city(seed=2)
    assert first.counts() == second.counts()
    assert [a.code for a in first.areas] == [a.code for a in second.areas]
    assert [a.name for a in first.areas[1:]] != [a.name for a in second.areas[1:]]
    assert first.areas[0].boundary != second.areas[0].boundary
    assert [g.code for g in first.grids] != [g.code for g in second.grids]  # grids per village vary


# --- counts and codes -----------------------------------------------------------------------------------


def test_default_size_counts(city):
    assert city.counts() == {
        "city": 1,
        "county": 3,
        "township": 10,
        "village": 60,
        "base_grids": 384,
        "dedicated_grids": 16,
        "grids": 400,
        "units": 41,  # 1 city centre + 3 × (centre + 9 departments) + 10 township offices
        "people": 11,
    }
    assert city.city_code == DEMO_CITY_CODE == "338000000000"
    assert city.areas[0].name == "临江市"
    counties = [a for a in city.areas if a.level == "county"]
    assert [a.code for a in counties] == ["338002000000", "338003000000", "338021000000"]
    assert [a.name[-1] for a in counties] == ["区", "区", "县"]
    townships = [a for a in city.areas if a.level == "township"]
    assert [t.code[6:9] for t in townships] == [
        "001",
        "002",
        "003",
        "101",
        "001",
        "002",
        "003",
        "101",
        "102",
        "201",
    ]
    assert Counter(t.name[-1] for t in townships) == {"道": 6, "镇": 3, "乡": 1}
    villages = [a for a in city.areas if a.level == "village"]
    assert Counter(v.urban_rural for v in villages) == {
        "111": 24,
        "112": 14,
        "121": 2,
        "122": 2,
        "210": 1,
        "220": 17,
    }
    assert {a.urban_rural for a in city.areas if a.level != "village"} == {""}


def test_every_code_is_structurally_valid_and_consistent(city, settings):
    settings.CIVICGRID = {**settings.CIVICGRID, "GRID_SERIAL_WIDTH": 3}
    codes = [a.code for a in city.areas] + [g.code for g in city.grids]
    assert len(codes) == len(set(codes))
    for area in city.areas:
        validate_structure(area.code)
        assert level_of(area.code) == area.level
        if area.level != "city":
            assert parent_code(area.code) == area.parent_code
        if area.level == "township":
            part = int(area.code[6:9])
            expected = {"道": range(1, 100), "镇": range(100, 200), "乡": range(200, 400)}[area.name[-1]]
            assert part in expected, area
        if area.level == "village":
            part = int(area.code[9:])
            assert part in (range(1, 200) if area.name.endswith("社区") else range(200, 400)), area
            county = area.code[4:6]
            district_codes = {"111", "112"} if area.name.endswith("社区") else {"112", "220"}
            if county < "21":  # districts: streets are 111/112, their towns' villages 220
                assert area.urban_rural in district_codes
            else:  # the county: town centres 121, fringes 122, 乡 centre 210, villages 220
                assert area.urban_rural in {"121", "122", "210", "220"}
    villages = {a.code for a in city.areas if a.level == "village"}
    for grid in city.grids:
        assert grid.village_code in villages
        assert grid.code.startswith(grid.village_code)
        validate_grid_code(grid.code, grid.village_code)
        assert grid.supervision_phone.startswith("139") and len(grid.supervision_phone) == 11
        assert grid.worker_phone.startswith("138") and len(grid.worker_phone) == 11
        assert grid.worker_name and grid.worker_phone.startswith("138") and grid.notice


def test_names_are_chinese_and_unique_among_siblings(city):
    seen = Counter((a.parent_code, a.name) for a in city.areas)
    assert max(seen.values()) == 1
    first = city.grids[0]
    assert (
        first.name
        == city.areas[next(i for i, a in enumerate(city.areas) if a.code == first.village_code)].name
        + "第1网格"
    )
    dedicated = [g for g in city.grids if g.kind == "dedicated"]
    assert all(
        g.name.endswith("专属网格") and g.institution in {"school", "hospital", "market"} for g in dedicated
    )


# --- geometry ------------------------------------------------------------------------------------------


def _children(city):
    parents = {a.code: shape(a.boundary) for a in city.areas}
    children: dict[str, list] = {}
    for area in city.areas:
        if area.parent_code:
            children.setdefault(area.parent_code, []).append(shape(area.boundary))
    for grid in city.grids:
        if grid.kind == "base":
            children.setdefault(grid.village_code, []).append(shape(grid.boundary))
    return parents, children


def _assert_tiles(parent, parts, label):
    union = shapely.union_all(parts)
    assert abs(union.area - parent.area) <= 1e-9 * parent.area, label
    assert union.symmetric_difference(parent).area <= 1e-9 * parent.area, label
    assert abs(sum(p.area for p in parts) - parent.area) <= 1e-9 * parent.area, label
    tree = shapely.STRtree(parts)
    left, right = tree.query(parts, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(
        shapely.intersection([parts[i] for i in left[pairs]], [parts[j] for j in right[pairs]])
    )
    assert overlaps.size == 0 or float(overlaps.max()) == 0.0, label


@pytest.mark.parametrize(("seed", "grids"), [(2026, 400), (11, 2000), (5, 7)])
def test_children_tile_their_parent_at_every_level(seed, grids):
    city = generate_city(seed=seed, grids=grids)
    parents, children = _children(city)
    assert set(children) == {a.code for a in city.areas}  # every area, down to villages, is cut up
    for code, parts in children.items():
        _assert_tiles(parents[code], parts, code)
    every = [*parents.values(), *(shape(g.boundary) for g in city.grids)]
    assert all(g.is_valid for g in every)
    # Exterior rings run counter-clockwise (RFC 7946).
    assert all(shapely.is_ccw(g.exterior) for g in every)


def test_dedicated_grids_lie_inside_their_base_grid_and_apart(city):
    by_code = {g.code: g for g in city.grids}
    dedicated = [g for g in city.grids if g.kind == "dedicated"]
    assert len(dedicated) == 16
    shapes = []
    for grid in dedicated:
        host = by_code[grid.parent_grid_code]
        assert host.kind == "base" and host.village_code == grid.village_code
        assert shape(host.boundary).contains(shape(grid.boundary))
        shapes.append(shape(grid.boundary))
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    assert list(left) == list(right)  # each only touches itself
    # Serials of dedicated grids follow the base grids of their village.
    for grid in dedicated:
        bases = [g for g in city.grids if g.village_code == grid.village_code and g.kind == "base"]
        assert int(grid.code[12:]) > len(bases)


def test_location_is_in_eastern_china(city):
    lon0, lat0, lon1, lat1 = shape(city.areas[0].boundary).bounds
    assert 119.8 < lon0 < lon1 < 120.4 and 30.0 < lat0 < lat1 < 30.4


# --- scaling -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grids", [3, 4, 26, 101, 999])
def test_size_parameter_gives_exactly_that_many_grids(grids):
    assert len(generate_city(seed=grids, grids=grids).grids) == grids


def test_fifty_thousand_grids():
    city = generate_city(grids=50_000)
    counts = city.counts()
    assert counts["grids"] == 50_000
    assert (counts["county"], counts["township"], counts["village"]) == (15, 112, 7500)
    assert (counts["base_grids"], counts["dedicated_grids"]) == (48_000, 2000)
    for area in city.areas:
        validate_structure(area.code)
    assert max(int(a.code[6:9]) for a in city.areas if a.level == "township") < 400
    assert max(int(a.code[9:]) for a in city.areas if a.level == "village") < 400
    assert max(int(g.code[12:]) for g in city.grids) < 1000


@pytest.mark.parametrize("grids", [0, 2, -5, 1_000_001, "400", True])
def test_out_of_range_sizes_are_refused(grids):
    with pytest.raises(ValueError, match="网格数"):
        generate_city(grids=grids)


# --- files ---------------------------------------------------------------------------------------------


def test_write_files(city, tmp_path):
    paths = write_files(city, tmp_path / "out")
    with paths["divisions"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["code", "name", "parent_code", "urban_rural"]
    assert rows[1] == ["338000000000", "临江市", "", ""]
    assert len(rows) == 1 + 74
    village = next(a for a in city.areas if a.level == "village")
    assert [village.code, village.name, village.parent_code, village.urban_rural] in rows
    areas = json.loads(paths["areas"].read_text(encoding="utf-8"))
    assert areas["type"] == "FeatureCollection" and len(areas["features"]) == 74
    assert areas["features"][0]["properties"] == {"code": "338000000000", "name": "临江市", "level": "city"}
    assert areas["features"][0]["geometry"] == json.loads(json.dumps(city.areas[0].boundary))
    grids = json.loads(paths["grids"].read_text(encoding="utf-8"))
    assert len(grids["features"]) == 400
    kinds = Counter(f["properties"]["kind"] for f in grids["features"])
    assert kinds == {"base": 384, "dedicated": 16}
    first = grids["features"][0]["properties"]
    assert first == {
        "code": city.grids[0].code,
        "name": city.grids[0].name,
        "village_code": city.grids[0].village_code,
        "kind": "base",
        "parent_grid_code": None,
    }


# --- loading -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_city_bulk_loads_areas_grids_layers_and_one_audit_row(city, django_capture_on_commit_callbacks):
    from civicgrid.areas.models import Area, Grid, GridLayer, LayerCell, SpatialIndexVersion
    from civicgrid.audit.models import ObjectChange

    with django_capture_on_commit_callbacks(execute=True):
        summary = load_city(city)
    assert Area.objects.count() == 74
    assert Counter(Area.objects.values_list("level", flat=True)) == {
        "city": 1,
        "county": 3,
        "township": 10,
        "village": 60,
    }
    assert Grid.objects.count() == 400
    assert Grid.objects.filter(kind="dedicated", parent_grid__isnull=False).count() == 16
    spec = city.grids[0]
    grid = Grid.objects.select_related("village__parent").get(code=spec.code)
    assert grid.path == f"{area_path(spec.village_code)}{spec.code}/"
    assert (
        grid.village.code == spec.village_code and grid.village.parent.code == spec.village_code[:9] + "000"
    )
    assert (grid.supervision_phone, grid.notice) == (spec.supervision_phone, spec.notice)
    assert grid.boundary == json.loads(json.dumps(spec.boundary))
    assert Area.objects.get(code="338000000000").parent is None
    assert list(GridLayer.objects.values_list("code", "is_master")) == [
        ("comprehensive", True),
        ("chengguan", False),
    ]
    assert LayerCell.objects.count() == 60
    assert LayerCell.master_grids.through.objects.count() == 384
    cell = LayerCell.objects.get(code=f"CG{spec.village_code}")
    assert set(cell.master_grids.values_list("code", flat=True)) == {
        g.code for g in city.grids if g.village_code == spec.village_code and g.kind == "base"
    }
    changes = list(ObjectChange.objects.all())
    assert len(changes) == 1
    assert (changes[0].object_type, changes[0].action, changes[0].actor_username) == (
        "areas.area",
        "create",
        "system",
    )
    assert changes[0].after == summary
    assert summary["grids"] == {"base": 384, "dedicated": 16}
    assert summary["areas"] == {"city": 1, "county": 3, "township": 10, "village": 60}
    assert SpatialIndexVersion.objects.get(name="locate").version == 1


@pytest.mark.django_db
def test_load_city_twice_is_refused_and_writes_nothing(city):
    from civicgrid.areas.models import Area, Grid
    from civicgrid.audit.models import ObjectChange
    from civicgrid.core.errors import ServiceError

    load_city(city)
    before = (Area.objects.count(), Grid.objects.count(), ObjectChange.objects.count())
    with pytest.raises(ServiceError) as caught:
        load_city(generate_city(seed=99, grids=50))
    assert caught.value.field == "code" and "3380" in str(caught.value.message)
    assert (Area.objects.count(), Grid.objects.count(), ObjectChange.objects.count()) == before


@pytest.mark.django_db
def test_load_city_refuses_a_serial_width_other_than_the_settings(settings):
    from civicgrid.areas.models import Area
    from civicgrid.core.errors import ServiceError

    settings.CIVICGRID = {**settings.CIVICGRID, "GRID_SERIAL_WIDTH": 4}
    with pytest.raises(ServiceError) as caught:
        load_city(generate_city(grids=10))
    assert caught.value.field == "grids"
    assert Area.objects.count() == 0
    assert len(generate_city(grids=10, serial_width=4).grids[0].code) == 16
    assert demo.DEFAULT_GRIDS == 400
