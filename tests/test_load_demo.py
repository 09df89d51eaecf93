"""`manage.py load_demo`: the demo city with one login per built-in role, idempotent, nothing half-written."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.accounts.models import RoleAssignment, Unit, User
from civicgrid.accounts.roles import SYSTEM_ROLES
from civicgrid.areas.demo import DEMO_LOGINS
from civicgrid.areas.models import Area, Grid, GridLayer, LayerCell
from civicgrid.audit.models import ObjectChange
from civicgrid.web.management.commands.load_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def table():
    return (
        Area.objects.count(),
        Grid.objects.count(),
        GridLayer.objects.count(),
        LayerCell.objects.count(),
        Unit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        ObjectChange.objects.count(),
    )


def test_load_demo_creates_the_city_units_and_one_login_per_role():
    output = run()
    assert "已加载演示城市“临江市”" in output
    assert Area.objects.count() == 74
    assert Grid.objects.count() == 400
    assert Unit.objects.count() == 41
    logins = User.objects.exclude(password__startswith="!")  # grid-worker staff records have no login
    assert logins.count() == 11
    assert (
        User.objects.count() == 11 + 399 + 1
    )  # every other grid's worker is a staff record; the demo Open311 client
    assert sorted(
        RoleAssignment.objects.filter(user__in=logins).values_list("role__code", flat=True)
    ) == sorted(set(SYSTEM_ROLES) - {"open311_client"})
    # The demo Open311 client's service account holds that role and cannot log in.
    assert "api_key" in output
    assert (
        RoleAssignment.objects.filter(role__code="open311_client", user__password__startswith="!").count()
        == 1
    )
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    for username in DEMO_LOGINS:
        assert username in output
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert "网格员" in output and "初始密码" in output


def test_each_demo_login_has_the_right_scope():
    run()
    grants = {
        a.user.username: a
        for a in RoleAssignment.objects.select_related("user", "role", "area", "grid", "user__unit").exclude(
            user__password__startswith="!"
        )
    }
    assert {name: grants[name].role.code for name in grants} == DEMO_LOGINS
    expected_level = {
        "township": "township",
        "county": "county",
        "city": "city",
        "handler": "county",
        "mediator": "township",
        "leader": "city",
        "auditor": "city",
        "admin": "city",
    }
    for username, level in expected_level.items():
        grant = grants[username]
        assert grant.grid is None
        assert grant.area.level == level, username
        assert grant.scope_path == grant.area.path
        assert grant.user.area == grant.area
    assert grants["county"].area.code == "338002000000" and grants["county"].area.name.endswith("区")
    assert grants["handler"].user.unit.code == "c338002-chengguan"
    assert grants["handler"].user.unit.name.endswith("城市管理局")
    assert grants["township"].area.code == "338002001000"
    assert grants["city"].area.code == "338000000000"

    worker = grants["gridworker"]
    grid = worker.grid
    assert grid.code == "338002001001001"
    assert worker.scope_path == grid.path and worker.area == grid.village
    assert list(grid.workers.all()) == [worker.user]
    assert list(grid.workers.all()) == [worker.user] and grid.notice.startswith("网格员负责")
    # Scope in practice: the grid worker sees its grid only, the township officer its township.
    assert list(Grid.objects.restrict(worker.user, "areas.view_grid").values_list("code", flat=True)) == [
        grid.code
    ]
    township_grids = Grid.objects.filter(path__startswith=grants["township"].area.path).count()
    assert township_grids > 1
    assert Grid.objects.restrict(grants["township"].user, "areas.view_grid").count() == township_grids
    assert Grid.objects.restrict(grants["admin"].user, "areas.view_grid").count() == 400


def test_second_run_creates_nothing_and_prints_the_logins_again():
    run()
    before = table()
    output = run()
    assert table() == before
    assert "已存在，未做任何修改" in output
    for username in DEMO_LOGINS:
        assert username in output
    assert output.count(DEMO_PASSWORD) == len(DEMO_LOGINS)


def test_seed_grids_and_password_options():
    run("--seed", "5", "--grids", "60", "--password", "Another-Demo-Pass-77")
    assert Grid.objects.count() == 60
    assert User.objects.get(username="admin").check_password("Another-Demo-Pass-77")


def test_a_password_the_validators_refuse_writes_nothing():
    with pytest.raises(CommandError, match="密码"):
        run("--password", "12345")
    assert table() == (0, 0, 0, 0, 0, 0, 0, 0)


def test_an_impossible_size_is_refused():
    with pytest.raises(CommandError, match="网格数"):
        run("--grids", "2")
    assert Area.objects.count() == 0


def test_refuses_a_city_with_the_demo_code_that_it_did_not_load(world):
    before = table()
    with pytest.raises(CommandError, match="不是由演示数据加载的"):
        run()
    assert table() == before


def test_refuses_a_database_holding_another_city():
    Area.objects.create(code="110000000000", vintage=2024, level="province", name="北京市", path="11/")
    Area.objects.create(
        code="110100000000",
        vintage=2024,
        level="city",
        name="市辖区",
        path="11/1101/",
        parent=Area.objects.get(code="110000000000"),
    )
    before = table()
    with pytest.raises(CommandError, match="已有其他区划"):
        run()
    assert table() == before


def test_every_demo_grid_lists_a_worker_without_a_login():
    run()
    grids = Grid.objects.filter(code__startswith="3380").prefetch_related("workers")
    assert grids.count() > 0
    assert all(g.workers.count() >= 1 for g in grids)
    staff = User.objects.get(username=f"gw{grids.exclude(workers__username='gridworker').first().code}")
    assert not staff.has_usable_password()
    assert list(staff.assignments.values_list("role__code", "scope_path")) == [
        ("grid_worker", grids.get(code=staff.username[2:]).path)
    ]


def test_demo_has_a_dispatch_catalogue_and_events_in_every_stage():
    from collections import Counter

    from civicgrid.cases.models import Case
    from civicgrid.events.models import DispatchRule

    output = run()
    assert "40 件演示事件" in output
    assert DispatchRule.objects.count() == 45  # 15 大类 × 3 counties
    assert Counter(Case.objects.filter(kind="event").values_list("status", flat=True)) == {
        "reported": 8,
        "registered": 8,
        "dispatched": 8,
        "handled": 8,
        "done": 8,
    }
    assert "已加载 5 件演示矛盾纠纷和 10 件演示信访事项。" in output
    assert Counter(Case.objects.values_list("kind", flat=True)) == {"event": 40, "dispute": 5, "petition": 10}
    run()  # idempotent: a second run adds no cases
    assert Counter(Case.objects.values_list("kind", flat=True)) == {"event": 40, "dispute": 5, "petition": 10}


def test_demo_has_an_assessment_scheme_that_ranks_small_units(db):
    from civicgrid.assessment.models import AssessmentScheme
    from civicgrid.web.management.demo_events import load_scheme

    assert load_scheme() is True
    assert load_scheme() is False  # once
    scheme = AssessmentScheme.objects.get()
    assert (scheme.code, scheme.min_sample, scheme.version) == ("linjiang", 3, 1)
