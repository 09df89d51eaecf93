"""The inbox's reads at scale keep today's answers: each queue equals the formulation through
`Case.objects.restrict` it replaced (for every user of the world, including access through a unit's
assignment outside the user's area), the six tab counts are one query and equal the lists, the
"all" list equals `restrict(user, "cases.view_case")`, and lists that may hold millions are counted
up to a cap ("2000+") with bounded pages — in the page as well; an unfiltered queue's page reuses
its tab's count."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases import queries, services
from civicgrid.cases.choices import LIVE_ASSIGNMENT_STATUSES, Supervision
from civicgrid.cases.models import Assignment, Case

pytestmark = pytest.mark.django_db

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
USERS = (
    "gridworker",
    "township",
    "county",
    "city",
    "handler",
    "mediator",
    "leader",
    "auditor",
    "admin",
    "county_admin",
    "outsider",
    "nobody",
)


def act(world, case, action, user, **kw):
    case.refresh_from_db()
    return services.do_apply_action(case, action, actor=world.user(user), expected_version=case.version, **kw)


@pytest.fixture
def cases(world, open_case):
    """Cases in Donghu (the township officer's), in Beishan (the outsider's) — one of them assigned
    to Donghu's office, one to Jiangdong's chengguan — and one Beishan case whose Donghu assignment
    is finished ("done") while the case is still open."""
    office, chengguan = world.units["donghu_office"], world.units["chengguan"]
    with time_machine.travel(T0, tick=False):
        made = {
            "reported": open_case(title="待立案"),
            "registered": act(world, open_case(title="待派遣"), "register", "township"),
            "sup": services.do_supervise(
                open_case(title="督办"), "daily", actor=world.user("leader"), expected_version=1
            ),
        }
        dispatched = act(world, open_case(title="已派遣"), "register", "township")
        made["dispatched"] = act(world, dispatched, "dispatch", "county", lead=chengguan.pk)
        far = act(
            world, open_case(grid="338002101201001", actor="outsider", title="外区派东湖"), "register", "city"
        )
        made["far_assigned"] = act(world, far, "dispatch", "city", lead=office.pk)
        made["far"] = open_case(grid="338002101201001", actor="outsider", title="外区")
        far_done = act(
            world, open_case(grid="338002101201001", actor="outsider", title="外区协办完"), "register", "city"
        )
        made["far_done"] = act(world, far_done, "dispatch", "city", lead=chengguan.pk)
        Assignment.objects.create(
            case=made["far_done"], unit=office, role="co", status="done", assigned_at=timezone.now()
        )
        services.sync_case_units(made["far_done"])  # written outside the services
        closed = act(world, open_case(title="已办结"), "reject", "township", note="重复")
        made["closed"] = closed
    return made


def reference(user, name, now):
    """The queues as they were written before (through `restrict`), to compare with."""
    view = Case.objects.restrict(user, "cases.view_case").open()
    if name == "to_register":
        return (
            Case.objects.restrict(user, "cases.register_case")
            .open()
            .filter(queries.statuses_needing("cases.register_case", "register"))
        )
    if name == "to_dispatch":
        return (
            Case.objects.restrict(user, "cases.dispatch_case")
            .open()
            .filter(queries.statuses_needing("cases.dispatch_case", "dispatch"))
        )
    if name == "my_unit":
        if not user.unit_id:
            return Case.objects.none()
        assigned = Assignment.objects.filter(unit_id=user.unit_id, status__in=LIVE_ASSIGNMENT_STATUSES)
        return (
            Case.objects.restrict(user, "cases.handle_case").open().filter(pk__in=assigned.values("case_id"))
        )
    if name == "due_soon":
        return view.filter(warn_at__lte=now, due_at__gt=now)
    if name == "overdue":
        return view.filter(due_at__lte=now)
    return view.exclude(supervision=Supervision.NONE)


def ids(qs):
    return sorted(qs.values_list("pk", flat=True))


@pytest.mark.parametrize("hours", [0, 1.7, 3, 200])
def test_queues_and_counts_equal_the_restrict_formulation(world, cases, hours):
    now = T0 + dt.timedelta(hours=hours)
    with time_machine.travel(now, tick=False):
        for username in USERS:
            user = world.user(username)
            counts = queries.inbox_counts(user)
            for name in queries.QUEUES:
                expected = ids(reference(user, name, timezone.now()))
                assert ids(queries.queue(user, name)) == expected, (username, name)
                assert getattr(counts, name) == len(expected), (username, name)


def test_unit_assignment_widens_the_queues_but_only_for_the_unit(world, cases):
    township, outsider = world.user("township"), world.user("outsider")
    with time_machine.travel(T0 + dt.timedelta(hours=200), tick=False):
        overdue = {c.title for c in queries.queue(township, "overdue")}
        # Donghu's office sees the Beishan case dispatched to it, not Beishan's other cases.
        assert "外区派东湖" in overdue and "外区" not in overdue
        mine = {c.title for c in queries.queue(township, "my_unit")}
        assert mine == {"外区派东湖"}
        assert "外区派东湖" in {c.title for c in queries.all_cases(township)}
        assert "外区协办完" in {c.title for c in queries.all_cases(township)}  # done: still visible
        assert not {"待立案", "督办", "已派遣"} & {c.title for c in queries.all_cases(outsider)}
        assert queries.inbox_counts(world.user("nobody")) == queries.InboxCounts(0, 0, 0, 0, 0, 0)
        assert not queries.all_cases(world.user("nobody")).exists()


def test_tab_counts_are_one_query(world, cases):
    user = world.user("township")
    queries.inbox_counts(user)  # warm the per-request scope cache
    with CaptureQueriesContext(connection) as ctx:
        queries.inbox_counts(user)
    assert len(ctx.captured_queries) == 1


def test_a_queue_page_reuses_its_tab_count(world, cases, client):
    """Unfiltered, the page's total is the tab's count (no second COUNT); filtered, it is counted
    (capped) over the filtered rows."""
    client.force_login(world.user("township"))
    with time_machine.travel(T0 + dt.timedelta(hours=200), tick=False):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/cases/?queue=overdue")
        counts = queries.inbox_counts(world.user("township"))
        page = response.context["page"]
        assert page.paginator.count == counts.overdue == len(page.object_list) > 0
        counting = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
        assert len([sql for sql in counting if "cases_case" in sql]) == 1, counting
        filtered = client.get("/cases/?queue=overdue&q=外区派东湖").context["page"]
        assert [c.title for c in filtered.object_list] == ["外区派东湖"]
        assert filtered.paginator.count == 1


def test_counted_paginator_keeps_the_total_and_bounds_the_pages(world, cases, monkeypatch):
    monkeypatch.setattr(queries, "CAPPED_COUNT", 4)
    qs = Case.objects.order_by("-opened_at", "-id")
    paginator = queries.CountedPaginator(qs, 2, count=7)
    assert paginator.count == 7 and paginator.num_pages == 2
    assert paginator.get_page(99).number == 2 and paginator.get_page("x").number == 1


def test_all_cases_equal_restrict(world, cases):
    for username in USERS:
        user = world.user(username)
        expected = ids(Case.objects.restrict(user, "cases.view_case"))
        assert ids(queries.all_cases(user)) == expected, username
        listed = [c.pk for c in queries.all_cases(user)]
        newest_first = list(
            Case.objects.filter(pk__in=listed).order_by("-opened_at", "-id").values_list("pk", flat=True)
        )
        assert listed == newest_first


def test_capped_paginator(world, cases):
    qs = Case.objects.order_by("-opened_at", "-id")
    total = qs.count()
    assert total > 4
    exact = queries.CappedPaginator(qs, 2, cap=total)
    assert exact.count == total and str(exact.count) == str(total)
    capped = queries.CappedPaginator(qs, 2, cap=3)
    assert capped.count == 3 and str(capped.count) == "3+" and capped.count.capped
    assert capped.num_pages == 2
    # Past the bound: the last page (which ends at the cap-th row), never an error.
    page = capped.get_page(99)
    assert page.number == 2 and len(page) == 1
    assert capped.get_page("x").number == 1


def test_capped_paginator_stops_at_a_subset_over_the_cap(world, cases):
    township = world.user("township")
    rows, subset = queries.all_cases(township), queries.all_cases_in_paths(township)
    in_paths = subset.count()
    assert 2 <= in_paths < rows.count()  # the assignment branch adds Beishan cases
    over = queries.CappedPaginator(rows, 2, cap=in_paths - 1, subset=subset)
    assert over.count.capped and over.count == in_paths - 1
    # A subset within the cap says nothing: the list itself is counted.
    exact = queries.CappedPaginator(rows, 2, cap=100, subset=subset)
    assert exact.count == rows.count()
    assert queries.all_cases_in_paths(world.user("nobody")) is None


def test_inbox_page_shows_a_capped_total(world, cases, client, monkeypatch):
    monkeypatch.setattr(queries, "CAPPED_COUNT", 2)
    client.force_login(world.user("city"))
    response = client.get("/cases/?queue=all")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2+" in html
    assert response.context["page"].paginator.num_pages == 1


def test_inbox_all_list_respects_scope(world, cases, client):
    client.force_login(world.user("township"))
    html = client.get("/cases/?queue=all").content.decode()
    assert "外区派东湖" in html and "外区协办完" in html
    assert ">外区<" not in html and "外区</" not in html
