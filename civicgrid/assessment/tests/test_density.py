"""Event density per grid over the realistic month (conftest's table): exact counts per grid,
scope (a township officer sees its township only; no permission → nothing), the area, category and
channel filters, the period bounds, and exactly one query however many grids have events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.assessment.density import density_cases, event_density
from civicgrid.assessment.queries import make_period, parse_period
from civicgrid.cases.models import Case
from civicgrid.events.models import Category
from tests.world import NAMES

pytestmark = pytest.mark.django_db

NOVEMBER = parse_period("2026-11")


def grid_of(month, name):
    return month.cases[name].grid_id


def test_counts_per_grid_for_the_city(month):
    density = event_density(month.world.user("leader"), NOVEMBER)
    a1, a2, b1 = grid_of(month, "C1"), grid_of(month, "C4"), grid_of(month, "B1")
    assert len({a1, a2, b1}) == 3
    # C1 C2 C3 C5 D1 D2 D3 D4 in 东湖 A1; C4 in 西湖 A2; B1 B2 in 北山. C0 is October's.
    # C5's approved exclusion concerns the assessment of the unit, not where the problem arose.
    assert density == {a1: 8, a2: 1, b1: 2}


def test_township_officer_sees_only_its_township(month):
    assert event_density(month.world.user("township"), NOVEMBER) == {grid_of(month, "C1"): 8}
    assert event_density(month.world.user("outsider"), NOVEMBER) == {grid_of(month, "B1"): 2}


@pytest.mark.parametrize("name", ["nobody", "gridworker", "handler"])
def test_users_without_the_permission_see_nothing(month, name):
    # The grid worker and the department handler may see cases, but not the figures.
    assert event_density(month.world.user(name), NOVEMBER) == {}


def test_anonymous_sees_nothing(month):
    from django.contrib.auth.models import AnonymousUser

    assert event_density(AnonymousUser(), NOVEMBER) == {}


def test_area_filter_takes_the_subtree(month):
    leader = month.world.user("leader")
    county_a = month.world.area(NAMES.county_a)
    assert event_density(leader, NOVEMBER, area=county_a) == {
        grid_of(month, "C1"): 8,
        grid_of(month, "C4"): 1,
    }
    township_a2 = month.world.area(NAMES.township_a2)
    assert event_density(leader, NOVEMBER, area=township_a2) == {grid_of(month, "C4"): 1}


def test_an_area_outside_the_scope_adds_nothing(month):
    # The township officer asking for another county's area still sees only its own cases.
    outside = month.world.area(NAMES.county_b)
    assert event_density(month.world.user("township"), NOVEMBER, area=outside) == {}


def test_category_filter_takes_the_major_class_with_its_minor_ones(month):
    leader = month.world.user("leader")
    minor = Category.objects.get(code="0101")
    major = minor.parent
    expected = {grid_of(month, "C1"): 8, grid_of(month, "C4"): 1, grid_of(month, "B1"): 2}
    assert event_density(leader, NOVEMBER, category=minor) == expected
    assert event_density(leader, NOVEMBER, category=major) == expected
    other = Category.objects.exclude(pk__in=[minor.pk, major.pk]).exclude(parent=major).first()
    assert event_density(leader, NOVEMBER, category=other) == {}


def test_channel_filter(month):
    leader = month.world.user("leader")
    hotline = event_density(leader, NOVEMBER, channels=["hotline_12345"])
    # Hotline: C1 C3 C5 D1 D4 in A1, B1 B2 in 北山.
    assert hotline == {grid_of(month, "C1"): 5, grid_of(month, "B1"): 2}
    grid = event_density(leader, NOVEMBER, channels=["grid_patrol"])
    assert grid == {grid_of(month, "C4"): 1, grid_of(month, "D3"): 1}


def test_period_is_half_open(month):
    leader = month.world.user("leader")
    assert event_density(leader, parse_period("2026-10")) == {grid_of(month, "C0"): 1}
    assert event_density(leader, parse_period("2026-12")) == {}
    # All of C1–C5 were opened at 09:00 on 2 November: a period ending then leaves them out.
    tz = dt.timezone(dt.timedelta(hours=8))
    period = make_period(dt.datetime(2026, 11, 1, tzinfo=tz), dt.datetime(2026, 11, 2, 9, tzinfo=tz))
    assert event_density(leader, period) == {}


def test_rejected_and_merged_events_do_not_count(month):
    leader = month.world.user("leader")
    Case.objects.filter(pk=month.cases["D4"].pk).update(status="rejected")
    Case.objects.filter(pk=month.cases["B2"].pk).update(status="merged")
    Case.objects.filter(pk=month.cases["D3"].pk).update(status="transferred")
    assert event_density(leader, NOVEMBER) == {
        grid_of(month, "C1"): 7,
        grid_of(month, "C4"): 1,
        grid_of(month, "B1"): 1,
    }


def test_density_cases_are_the_cases_counted(month):
    leader = month.world.user("leader")
    numbers = set(
        density_cases(leader, NOVEMBER).filter(grid_id=grid_of(month, "B1")).values_list("number", flat=True)
    )
    assert numbers == {month.cases["B1"].number, month.cases["B2"].number}


def test_one_query_whatever_the_filters(month):
    leader = month.world.user("leader")
    major = Category.objects.get(code="0101").parent
    area = month.world.area(NAMES.city)
    event_density(leader, NOVEMBER)  # the user's grants are read once per request and cached
    # Counted live (a category or channel filter, or source="live"): one GROUP BY.
    for kwargs in (
        {"source": "live"},
        {"area": area, "category": major, "channels": ["web", "hotline_12345"]},
    ):
        with CaptureQueriesContext(connection) as queries:
            event_density(leader, NOVEMBER, **kwargs)
        assert len(queries) == 1, [q["sql"] for q in queries]
        assert "GROUP BY" in queries[0]["sql"]
    # From the rollups: the dirty days, the rollup rows and the live days, whatever the data.
    with CaptureQueriesContext(connection) as queries:
        event_density(leader, NOVEMBER, area=area)
    assert len(queries) <= 3, [q["sql"] for q in queries]
