"""The dispatch catalogue: resolution by specificity (exact units), rule services with scope and
validation (denials change nothing), and the units a township may summon."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import Unit
from civicgrid.audit.models import ObjectChange
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.events.catalogue import ancestor_paths, resolve_dispatch, summon_candidates
from civicgrid.events.models import Category, DispatchRule
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import (
    do_create_dispatch_rule,
    do_delete_dispatch_rule,
    do_load_taxonomy,
    do_update_dispatch_rule,
)
from tests.world import NAMES

pytestmark = pytest.mark.django_db


@pytest.fixture
def cat(world):
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def units(world):
    extra = {
        "city_cg": ("city-chengguan", "临江市城市管理局", NAMES.city),
        "jd_env": ("jiangdong-env", "江东区生态环境分局", NAMES.county_a),
        "donghu_police": ("donghu-police", "东湖派出所", NAMES.township_a1),
        "jx_cg": ("jiangxi-chengguan", "江西区城市管理局", NAMES.county_b),
    }
    made = dict(world.units)
    for key, (code, name, area) in extra.items():
        made[key] = Unit.objects.create(code=code, name=name, kind="department", area=world.area(area))
    return made


def rule(world, cat, units, code, area, lead, co=()):
    return do_create_dispatch_rule(
        actor=None,
        category=cat[code],
        area=world.area(area),
        lead_unit=units[lead],
        co_handlers=[units[u] for u in co],
    )


@pytest.fixture
def catalogue(world, cat, units):
    return {
        "city_major": rule(world, cat, units, "01", NAMES.city, "city_cg"),
        "county_minor": rule(world, cat, units, "0101", NAMES.county_a, "chengguan", ["jd_env"]),
        "township_major": rule(world, cat, units, "01", NAMES.township_a1, "donghu_office"),
        "township_minor": rule(world, cat, units, "0103", NAMES.township_a1, "chengguan", ["donghu_office"]),
    }


def test_ancestor_paths():
    assert ancestor_paths("33/3380/338001/") == ["33/", "33/3380/", "33/3380/338001/"]


@pytest.mark.parametrize(
    ("code", "place", "lead", "co", "rule_key"),
    [
        # deeper area beats shallower, even a 大类 rule against a 小类 rule above it
        ("0101", NAMES.village_a1a, "东湖街道办事处", [], "township_major"),
        ("0101", NAMES.grid_a1a_1, "东湖街道办事处", [], "township_major"),
        ("0101", NAMES.village_a2a, "江东区城市管理局", ["江东区生态环境分局"], "county_minor"),
        ("0101", NAMES.county_a, "江东区城市管理局", ["江东区生态环境分局"], "county_minor"),
        # same area: the 小类 rule beats the 大类 rule
        ("0103", NAMES.village_a1b, "江东区城市管理局", ["东湖街道办事处"], "township_minor"),
        # only the city-wide 大类 rule applies
        ("0102", NAMES.village_a2a, "临江市城市管理局", [], "city_major"),
        ("0101", NAMES.village_b1a, "临江市城市管理局", [], "city_major"),
        ("01", NAMES.township_a2, "临江市城市管理局", [], "city_major"),
    ],
)
def test_most_specific_rule_wins(world, cat, catalogue, code, place, lead, co, rule_key):
    area = world.grids[place] if place in world.grids else world.area(place)
    decision = resolve_dispatch(cat[code], area)
    assert decision.lead.name == lead
    assert [u.name for u in decision.co_handlers] == co
    assert decision.rule == catalogue[rule_key]


def test_no_rule_means_no_decision(world, cat, catalogue):
    assert resolve_dispatch(cat["0901"], world.area(NAMES.village_a1a)) is None
    assert resolve_dispatch(cat["0101"], "34/3401/") is None


def test_inactive_rules_and_units_fall_through(world, cat, units, catalogue):
    do_update_dispatch_rule(catalogue["township_major"], actor=None, is_active=False)
    assert resolve_dispatch(cat["0101"], world.area(NAMES.village_a1a)).rule == catalogue["county_minor"]
    # A lead unit deactivated after the rule was made: the next rule decides.
    Unit.objects.filter(pk=units["chengguan"].pk).update(is_active=False)
    assert resolve_dispatch(cat["0101"], world.area(NAMES.village_a1a)).rule == catalogue["city_major"]
    # A deactivated co-handler is left out.
    Unit.objects.filter(pk=units["chengguan"].pk).update(is_active=True)
    Unit.objects.filter(pk=units["jd_env"].pk).update(is_active=False)
    assert resolve_dispatch(cat["0101"], world.area(NAMES.village_a2a)).co_handlers == ()


def test_create_rule_writes_audit(world, cat, units):
    created = do_create_dispatch_rule(
        actor=world.user("county"),
        category=cat["0501"],
        area=world.area(NAMES.township_a1),
        lead_unit=units["chengguan"],
        co_handlers=[units["donghu_police"], units["donghu_office"]],
        note="占道经营由区城管主办",
    )
    row = ObjectChange.objects.get(object_type="events.dispatchrule")
    assert (row.action, row.actor_username) == ("create", "county")
    assert row.after["co_handlers"] == sorted([units["donghu_police"].pk, units["donghu_office"].pk])
    assert row.after["lead_unit_id"] == units["chengguan"].pk
    assert created.note == "占道经营由区城管主办"


@pytest.mark.parametrize(
    ("area", "username"),
    [
        (NAMES.township_b1, "county"),  # another county
        (NAMES.city, "county"),  # above the grant
        (NAMES.township_a1, "township"),  # may only view rules
        (NAMES.township_a1, "handler"),
        (NAMES.township_a1, "nobody"),
        (NAMES.township_a1, "outsider"),
    ],
)
def test_create_out_of_scope_changes_nothing(world, cat, units, area, username):
    with pytest.raises(NotPermitted):
        do_create_dispatch_rule(
            actor=world.user(username),
            category=cat["0501"],
            area=world.area(area),
            lead_unit=units["city_cg"],
        )
    assert DispatchRule.objects.count() == 0
    assert ObjectChange.objects.filter(object_type="events.dispatchrule").count() == 0


def test_update_and_delete_out_of_scope_change_nothing(world, cat, units, catalogue):
    county = world.user("county")
    target = catalogue["county_minor"]
    count = ObjectChange.objects.count()
    with pytest.raises(NotPermitted):  # moving a rule out of one's own reach
        do_update_dispatch_rule(target, actor=county, area=world.area(NAMES.county_b))
    with pytest.raises(NotPermitted):  # a rule above the grant
        do_update_dispatch_rule(catalogue["city_major"], actor=county, note="改")
    with pytest.raises(NotPermitted):
        do_delete_dispatch_rule(catalogue["city_major"], actor=county)
    with pytest.raises(NotPermitted):
        do_update_dispatch_rule(target, actor=world.user("outsider"), note="改")
    target.refresh_from_db()
    assert (target.area.code, target.note) == (NAMES.county_a, "")
    assert DispatchRule.objects.count() == 4
    assert ObjectChange.objects.count() == count


def test_update_and_delete_in_scope(world, cat, units, catalogue):
    county = world.user("county")
    target = catalogue["township_minor"]
    do_update_dispatch_rule(
        target, actor=county, lead_unit=units["donghu_office"], co_handlers=[units["chengguan"]]
    )
    target.refresh_from_db()
    assert target.lead_unit == units["donghu_office"]
    assert list(target.co_handlers.all()) == [units["chengguan"]]
    row = ObjectChange.objects.filter(object_type="events.dispatchrule", action="update").get()
    assert row.before == {"lead_unit_id": units["chengguan"].pk, "co_handlers": [units["donghu_office"].pk]}
    do_delete_dispatch_rule(target, actor=county)
    assert not DispatchRule.objects.filter(pk=target.pk).exists()
    assert ObjectChange.objects.filter(object_type="events.dispatchrule", action="delete").count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"lead_unit": "beishan_office"}, "lead_unit", "unit_out_of_area"),
        ({"co_handlers": ["jx_cg"]}, "co_handlers", "unit_out_of_area"),
        ({"co_handlers": ["chengguan"]}, "co_handlers", "lead_is_co_handler"),
        ({"lead_unit": "inactive"}, "lead_unit", "unit_inactive"),
        ({"co_handlers": ["inactive"]}, "co_handlers", "unit_inactive"),
        ({"category": "0101", "area": NAMES.county_a}, "category", "duplicate_rule"),
        ({"category": "inactive"}, "category", "inactive_target"),
        ({"path": "x"}, "path", "unknown_field"),
    ],
)
def test_rule_validation(world, cat, units, catalogue, changes, field, code):
    inactive_unit = Unit.objects.create(
        code="old-unit", name="撤并单位", area=world.area(NAMES.county_a), is_active=False
    )
    units = {**units, "inactive": inactive_unit}
    inactive_cat = Category.objects.create(code="9901", name="旧分类", parent=cat["06"], is_active=False)
    resolved = {}
    for key, value in changes.items():
        if key in ("lead_unit",):
            resolved[key] = units[value]
        elif key == "co_handlers":
            resolved[key] = [units[v] for v in value]
        elif key == "category":
            resolved[key] = inactive_cat if value == "inactive" else cat[value]
        elif key == "area":
            resolved[key] = world.area(value)
        else:
            resolved[key] = value
    target = catalogue["township_minor"]
    count = ObjectChange.objects.count()
    with pytest.raises(ServiceError) as exc:
        do_update_dispatch_rule(target, actor=world.user("county"), **resolved)
    assert (exc.value.field, exc.value.code) == (field, code)
    target.refresh_from_db()
    assert (target.category.code, target.area.code, target.lead_unit) == (
        "0103",
        NAMES.township_a1,
        units["chengguan"],
    )
    assert list(target.co_handlers.all()) == [units["donghu_office"]]
    assert ObjectChange.objects.count() == count


def test_duplicate_active_rule_is_refused_but_an_inactive_one_may_coexist(world, cat, units, catalogue):
    with pytest.raises(ServiceError) as exc:
        rule(world, cat, units, "01", NAMES.city, "centre")
    assert exc.value.code == "duplicate_rule"
    do_update_dispatch_rule(catalogue["city_major"], actor=None, is_active=False)
    replacement = rule(world, cat, units, "01", NAMES.city, "centre")
    assert resolve_dispatch(cat["0102"], world.area(NAMES.village_a2a)).rule == replacement
    with pytest.raises(ServiceError) as exc:  # reactivating the old one would make two
        do_update_dispatch_rule(catalogue["city_major"], actor=None, is_active=True)
    assert exc.value.code == "duplicate_rule"


def test_summon_candidates(world, units):
    names = [u.name for u in summon_candidates(world.area(NAMES.township_a1))]
    assert names == ["江东区信访局", "江东区城市管理局", "江东区生态环境分局", "东湖派出所"]
    assert [u.name for u in summon_candidates(world.grids[NAMES.grid_a1a_1])] == names
    assert [u.name for u in summon_candidates(world.area(NAMES.township_b1))] == ["江西区城市管理局"]
    assert summon_candidates(world.area(NAMES.county_a)) == []
    Unit.objects.filter(pk=units["jd_env"].pk).update(is_active=False)
    assert [u.name for u in summon_candidates(world.area(NAMES.village_a1a))] == [
        "江东区信访局",
        "江东区城市管理局",
        "东湖派出所",
    ]
