"""Inbox queues: which cases each user sees in each queue, and a fixed number of queries per page."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.cases import queries, services

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)


def act(world, case, action, user, **kw):
    case.refresh_from_db()
    return services.do_apply_action(case, action, actor=world.user(user), expected_version=case.version, **kw)


@pytest.fixture
def inbox(world, open_case):
    with time_machine.travel(T0, tick=False):
        reported = open_case(title="待立案")
        registered = act(world, open_case(title="待派遣"), "register", "township")
        dispatched = act(world, open_case(title="已派遣"), "register", "township")
        dispatched = act(world, dispatched, "dispatch", "county", lead=world.units["chengguan"].pk)
        far = open_case(grid="338002101201001", actor="outsider", title="外区")
        supervised = services.do_supervise(
            open_case(title="督办"), "daily", actor=world.user("leader"), expected_version=1
        )
    return {
        "reported": reported,
        "registered": registered,
        "dispatched": dispatched,
        "far": far,
        "sup": supervised,
    }


def titles(qs):
    return sorted(c.title for c in qs)


def test_queues_per_user(world, inbox):
    township, county, handler = world.user("township"), world.user("county"), world.user("handler")
    outsider, gridworker = world.user("outsider"), world.user("gridworker")
    assert titles(queries.queue(township, "to_register")) == ["待立案", "督办"]
    assert titles(queries.queue(outsider, "to_register")) == ["外区"]
    assert titles(queries.queue(gridworker, "to_register")) == []  # may not register
    assert titles(queries.queue(county, "to_dispatch")) == ["待派遣"]
    assert titles(queries.queue(handler, "my_unit")) == ["已派遣"]
    assert titles(queries.queue(township, "my_unit")) == []
    assert titles(queries.queue(world.user("leader"), "supervised")) == ["督办"]
    assert titles(queries.queue(outsider, "supervised")) == []


def test_clock_queues(world, inbox):
    county = world.user("county")
    # Response clocks (2 hours from T0) turn yellow at 80 % (10:36) and red at 11:00.
    with time_machine.travel(T0 + dt.timedelta(minutes=100), tick=False):
        assert titles(queries.queue(county, "due_soon")) == ["待立案", "督办"]
        assert titles(queries.queue(county, "overdue")) == []
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        assert titles(queries.queue(county, "due_soon")) == []
        assert titles(queries.queue(county, "overdue")) == ["待立案", "督办"]
    counts = queries.inbox_counts(county)
    assert (counts.to_register, counts.to_dispatch, counts.supervised) == (2, 1, 1)


@pytest.mark.parametrize("name", queries.QUEUES)
def test_page_query_count_does_not_grow(world, open_case, inbox, name):
    user = world.user("handler" if name == "my_unit" else "city")
    user.get_scope_paths("cases.view_case")  # warm the per-request scope cache
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        with CaptureQueriesContext(connection) as small:
            page = queries.inbox_page(user, name)
            [(c.area.name, c.grid and c.grid.name, c.lead_unit and c.lead_unit.name) for c in page]
        for _ in range(5):
            open_case(title="多")
        with CaptureQueriesContext(connection) as large:
            page = queries.inbox_page(user, name)
            [(c.area.name, c.grid and c.grid.name, c.lead_unit and c.lead_unit.name) for c in page]
    # Count, rows (grid and lead unit joined), the page's areas (one query, not one per row).
    assert len(large) == len(small) <= 3


def test_escalated_case_waits_in_the_higher_centres_dispatch_queue(world, inbox):
    """上报: a case escalated above the township leaves the township's "to dispatch" queue (and its
    count) for the county's; village-level cases stay with the township."""
    township, county, city = world.user("township"), world.user("county"), world.user("city")
    assert queries.dispatch_levels(township) == ["village", "township"]
    assert queries.dispatch_levels(county) == ["village", "township", "county"]
    assert queries.dispatch_levels(city) is None
    assert titles(queries.queue(township, "to_dispatch")) == ["待派遣"]
    case = inbox["registered"]
    case.refresh_from_db()
    case = services.do_escalate(case, actor=township, expected_version=case.version)
    assert titles(queries.queue(township, "to_dispatch")) == ["待派遣"]  # now township level: still here
    case = services.do_escalate(case, actor=township, expected_version=case.version)
    assert case.handling_level == "county"
    assert titles(queries.queue(township, "to_dispatch")) == []
    assert queries.inbox_counts(township).to_dispatch == 0
    assert titles(queries.queue(county, "to_dispatch")) == ["待派遣"]
    assert queries.inbox_counts(county).to_dispatch == 1
    assert titles(queries.queue(city, "to_dispatch")) == ["待派遣"]
