"""The leaders' dashboard page and its drill-down over the realistic month (conftest's table):
who may see it (403 for those without `assessment.view_figures`), what a township officer sees
(its township only), the minimum-sample rule in the table, links equal to `cases_behind`, the map's
counts, the supervised list, the filters and their errors, escaping, and a query count that does
not grow with the data."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.areas.models import Grid
from civicgrid.assessment.queries import cases_behind
from civicgrid.cases.models import Case
from tests.world import NAMES

from .conftest import NOVEMBER

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"
DRILL = "/dashboard/cases/"
NOV = {"kind": "month", "month": "2026-11"}


def client_for(world, username):
    client = Client()
    client.force_login(world.user(username))
    return client


def features(response) -> list[dict]:
    html = response.content.decode()
    text = re.search(r'<script type="application/json" id="density-features">(.*?)</script>', html, re.S)[1]
    return json.loads(text)["features"]


def table_rows(response) -> list[tuple[str, str]]:
    """(unit code, rank cell text) of each row of the figures table, in order."""
    html = response.content.decode()
    rows = re.findall(r'<tr data-unit="([^"]+)" data-ranked="(\d)"', html)
    return rows


def drill_numbers(response) -> list[str]:
    return re.findall(r'<tr data-number="([^"]+)"', response.content.decode())


# --- access ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(month):
    response = Client().get(DASHBOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get(DRILL, {"period": "2026-11"}).status_code == 302


@pytest.mark.parametrize("name", ["nobody", "gridworker", "handler"])
def test_users_without_figures_get_403(month, name):
    client = client_for(month.world, name)
    assert client.get(DASHBOARD).status_code == 403
    unit = month.world.units["chengguan"].pk
    assert client.get(DRILL, {"period": "2026-11", "figure": "assessed", "unit": unit}).status_code == 403


def test_nav_link_only_for_those_who_may_see(month):
    assert 'href="/dashboard/"' in client_for(month.world, "leader").get("/cases/").content.decode()
    assert 'href="/dashboard/"' in client_for(month.world, "township").get("/cases/").content.decode()
    assert 'href="/dashboard/"' not in client_for(month.world, "gridworker").get("/cases/").content.decode()


def test_only_get(month):
    assert client_for(month.world, "leader").post(DASHBOARD, NOV).status_code == 405


# --- what the leader sees ----------------------------------------------------------------------


def test_leader_sees_every_unit_and_the_small_one_is_not_on_top(month):
    response = client_for(month.world, "leader").get(DASHBOARD, NOV)
    assert response.status_code == 200
    # Beishan has two perfect cases (satisfaction 100 %) but fewer than the minimum sample of 3:
    # listed last, not ranked.
    assert table_rows(response) == [
        ("jiangdong-chengguan", "1"),
        ("donghu-office", "1"),
        ("beishan-office", "0"),
    ]
    chart = response.context["chart_data"]
    assert chart["units"] == ["江东区城市管理局", "东湖街道办事处", "北山镇人民政府"]
    assert chart["ranked"] == [True, True, False]
    assert chart["rates"]["satisfaction_rate"] == [86.67, 100.0, 100.0]
    assert chart["backlog"] == [2, 1, 0]
    assert chart["min_sample"] == 3
    # Echarts comes only with this page.
    assert "vendor/echarts/echarts.common.min.js" in response.content.decode()
    assert "vendor/echarts" not in client_for(month.world, "leader").get("/cases/").content.decode()


def test_every_link_of_a_row_lists_exactly_the_cases_behind_it(month):
    client = client_for(month.world, "leader")
    response = client.get(DASHBOARD, NOV)
    row = response.context["rows"][0]
    unit = month.world.units["chengguan"]
    for figure, url in row["links"].items():
        expected = list(
            cases_behind(
                month.scheme, figure, unit=unit, user=month.world.user("leader"), **NOVEMBER
            ).values_list("number", flat=True)
        )
        drilled = client.get(unescape(url))
        assert drilled.status_code == 200, (figure, drilled.content[:300])
        assert drill_numbers(drilled) == expected, figure
        assert row["counts"][figure] == len(expected)


def test_map_has_every_grid_with_its_count(month):
    response = client_for(month.world, "leader").get(DASHBOARD, NOV)
    counts = {f["properties"]["code"]: f["properties"]["count"] for f in features(response)}
    a1 = month.cases["C1"].grid.code
    assert counts == {
        NAMES.grid_a1a_1: 0,
        NAMES.grid_a1a_2: 0,
        NAMES.grid_a1b_1: 0,
        NAMES.grid_a2a_1: 1,
        NAMES.grid_b1a_1: 2,
    } | {a1: 8}
    assert response.context["map"]["events"] == 11
    assert response.context["map"]["max"] == 8


def test_a_grid_of_the_map_drills_to_its_events(month):
    client = client_for(month.world, "leader")
    response = client.get(DASHBOARD, NOV)
    feature = next(f for f in features(response) if f["properties"]["code"] == NAMES.grid_b1a_1)
    drilled = client.get(feature["properties"]["url"])
    assert drill_numbers(drilled) == [month.cases["B1"].number, month.cases["B2"].number]


def test_supervised_cases_are_listed(month):
    Case.objects.filter(pk=month.cases["C4"].pk).update(supervision="listed")
    Case.objects.filter(pk=month.cases["B1"].pk).update(supervision="supervised")  # closed: not listed
    response = client_for(month.world, "leader").get(DASHBOARD, NOV)
    assert [c.number for c in response.context["supervised"]] == [month.cases["C4"].number]
    assert response.context["supervised_total"] == 1
    # The township officer of 东湖 does not see 西湖's supervised case.
    response = client_for(month.world, "township").get(DASHBOARD, NOV)
    assert response.context["supervised_total"] == 0


# --- the township officer ----------------------------------------------------------------------


def test_township_officer_sees_only_its_township(month):
    client = client_for(month.world, "township")
    response = client.get(DASHBOARD, NOV)
    assert response.status_code == 200
    # C1–C3 of chengguan lie in 东湖 (C4 in 西湖, C5 excluded); beishan's cases are another county's.
    rows = {r["code"]: r["counts"]["assessed"] for r in response.context["rows"]}
    assert rows == {"jiangdong-chengguan": 3, "donghu-office": 4}
    codes = {f["properties"]["code"] for f in features(response)}
    assert codes == {NAMES.grid_a1a_1, NAMES.grid_a1a_2, NAMES.grid_a1b_1}
    areas = [a.code for a in response.context["form"].fields["area"].queryset]
    assert areas == [NAMES.township_a1]
    assert "北山" not in response.content.decode()


def test_an_area_out_of_reach_is_refused_like_an_unknown_one(month):
    client = client_for(month.world, "township")
    other = month.world.area(NAMES.township_b1).pk
    response = client.get(DASHBOARD, {**NOV, "area": other})
    unknown = client.get(DASHBOARD, {**NOV, "area": 999999})
    assert response.status_code == unknown.status_code == 200
    assert response.context["form"].errors["area"] == unknown.context["form"].errors["area"]
    assert "rows" not in response.context
    # Drill-down: another area, another unit's cases, another grid — 404 or nothing.
    assert (
        client.get(DRILL, {"period": "2026-11", "figure": "assessed", "area": other, "unit": 1}).status_code
        == 404
    )
    beishan = month.world.units["beishan_office"].pk
    drilled = client.get(DRILL, {"period": "2026-11", "figure": "assessed", "unit": beishan})
    assert drill_numbers(drilled) == []
    grid = Grid.objects.get(code=NAMES.grid_b1a_1).pk
    assert client.get(DRILL, {"period": "2026-11", "figure": "density", "grid": grid}).status_code == 404
    assert client.get(DRILL, {"period": "2026-11", "figure": "density", "grid": 999999}).status_code == 404


# --- filters -----------------------------------------------------------------------------------


def test_area_filter(month):
    area = month.world.area(NAMES.township_a2)
    response = client_for(month.world, "leader").get(DASHBOARD, {**NOV, "area": area.pk})
    assert [(r["code"], r["counts"]["assessed"]) for r in response.context["rows"]] == [
        ("jiangdong-chengguan", 1)
    ]
    assert [f["properties"]["code"] for f in features(response)] == [NAMES.grid_a2a_1]


def test_channel_filter_narrows_figures_map_and_drill(month):
    client = client_for(month.world, "leader")
    response = client.get(DASHBOARD, {**NOV, "channel": "web"})
    # Web: C2 (chengguan) and D2 (donghu).
    assert [(r["code"], r["counts"]["assessed"]) for r in response.context["rows"]] == [
        ("donghu-office", 1),
        ("jiangdong-chengguan", 1),
    ]
    assert response.context["map"]["events"] == 2
    url = unescape(response.context["rows"][1]["links"]["assessed"])
    assert "channel=web" in url
    assert drill_numbers(client.get(url)) == [month.cases["C2"].number]


def test_a_channel_the_scheme_does_not_assess(month):
    month.scheme.channels = ["hotline_12345"]
    month.scheme.save(update_fields=["channels"])
    response = client_for(month.world, "leader").get(DASHBOARD, {**NOV, "channel": "web"})
    assert response.context["rows"] == []
    assert 'id="channel-not-assessed"' in response.content.decode()
    assert response.context["map"]["events"] == 2  # where events arose is not a matter of the scheme


def test_category_filter_narrows_the_figures_the_map_and_the_drill_downs(month):
    client = client_for(month.world, "leader")
    response = client.get(DASHBOARD, {**NOV, "category": "0201"})  # no event of that category
    assert response.context["map"]["events"] == 0
    assert response.context["rows"] == []
    assert 'id="category-note"' in response.content.decode()
    everything = client.get(DASHBOARD, NOV).context["rows"]
    for code in ("01", "0101"):  # the 大类 takes in its 小类; every event of the month is 0101
        response = client.get(DASHBOARD, {**NOV, "category": code})
        assert response.context["map"]["events"] == 11
        rows = response.context["rows"]
        assert [r["counts"] for r in rows] == [r["counts"] for r in everything]
        url = unescape(rows[0]["links"]["assessed"])
        assert f"category={code}" in url
        assert len(drill_numbers(client.get(url))) == rows[0]["counts"]["assessed"]
    # The drill-down of a figure honours the category too.
    url = unescape(everything[0]["links"]["assessed"]) + "&category=0201"
    assert drill_numbers(client.get(url)) == []
    assert client.get(unescape(everything[0]["links"]["assessed"]) + "&category=zz").status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "month", "month": "2026-13"}, "month"),
        ({"kind": "month", "month": "<script>"}, "month"),
        ({"kind": "quarter", "quarter": "2026-Q5"}, "quarter"),
        ({"kind": "year", "year": "99999"}, "year"),
        ({"kind": "custom", "start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"kind": "custom", "end": "2026-11-01"}, "start"),
        ({"kind": "custom", "start": "2026-11-01", "end": "tomorrow"}, "end"),
        ({"kind": "week"}, "kind"),
        ({**NOV, "category": "nope"}, "category"),
        ({**NOV, "channel": "fax"}, "channel"),
        ({**NOV, "area": "abc"}, "area"),
    ],
)
def test_bad_filters_name_the_field(month, params, field):
    response = client_for(month.world, "leader").get(DASHBOARD, params)
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert "<script>" not in response.content.decode().split("<main", 1)[1].split("</main>")[0]


def test_periods(month):
    client = client_for(month.world, "leader")
    quarter = client.get(DASHBOARD, {"kind": "quarter", "quarter": "2026-Q4"}).context
    year = client.get(DASHBOARD, {"kind": "year", "year": "2026"}).context
    custom = client.get(DASHBOARD, {"kind": "custom", "start": "2026-10-01", "end": "2026-12-31"}).context
    for context in (quarter, year, custom):
        assert sum(r["counts"]["assessed"] for r in context["rows"]) == 11  # C0 + ten in November
        assert context["map"]["events"] == 12
    link = unescape(custom["rows"][0]["links"]["assessed"])
    assert "start=2026-10-01" in link and "end=2026-12-31" in link
    drilled = client.get(link)
    assert len(drill_numbers(drilled)) == 5  # C0–C4 of chengguan
    # The way back keeps the period.
    assert drilled.context["back_url"] == "/dashboard/?kind=custom&start=2026-10-01&end=2026-12-31"
    link = unescape(quarter["rows"][0]["links"]["backlog"])
    assert client.get(link).context["back_url"] == "/dashboard/?kind=quarter&quarter=2026-Q4"


def test_default_period_is_the_current_month(month):
    response = client_for(month.world, "leader").get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["period"].label == response.context["period_start_day"].strftime("%Y-%m")


def test_no_scheme_yet_uses_the_defaults(month):
    from civicgrid.assessment.models import AssessmentScheme

    AssessmentScheme.objects.all().delete()
    response = client_for(month.world, "leader").get(DASHBOARD, NOV)
    assert response.status_code == 200
    assert response.context["scheme"].min_sample == 10
    # Nobody reaches the default minimum sample: everyone listed, nobody ranked.
    assert [r["rank"] for r in response.context["rows"]] == [None, None, None]
    url = unescape(response.context["rows"][0]["links"]["assessed"])
    assert "scheme=" not in url
    assert client_for(month.world, "leader").get(url).status_code == 200


# --- drill-down input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"period": "2026-11", "figure": "nope", "unit": "1"}, 400),
        ({"period": "nope", "figure": "assessed", "unit": "1"}, 400),
        ({"start": "2026-11-30", "end": "2026-11-01", "figure": "assessed", "unit": "1"}, 400),
        ({"start": "x", "end": "2026-11-01", "figure": "assessed", "unit": "1"}, 400),
        ({"period": "2026-11", "figure": "assessed", "unit": "abc"}, 404),
        ({"period": "2026-11", "figure": "assessed", "unit": "999999"}, 404),
        ({"period": "2026-11", "figure": "assessed"}, 404),
        ({"period": "2026-11", "figure": "assessed", "unit": "1", "scheme": "999999"}, 404),
        ({"period": "2026-11", "figure": "density", "grid": "x"}, 404),
        ({"period": "2026-11", "figure": "assessed", "unit": "1", "channel": "fax"}, 400),
    ],
)
def test_bad_drill_input(month, params, status):
    if params.get("unit") == "1":
        params = {**params, "unit": str(month.world.units["chengguan"].pk)}
    response = client_for(month.world, "leader").get(DRILL, params)
    assert response.status_code == status


# --- escaping and queries ----------------------------------------------------------------------


def test_names_from_imported_files_are_escaped(month):
    evil = "</script><script>alert(1)</script>"
    Grid.objects.filter(code=NAMES.grid_b1a_1).update(name=evil)
    month.world.units["beishan_office"].__class__.objects.filter(
        pk=month.world.units["beishan_office"].pk
    ).update(name=evil)
    response = client_for(month.world, "leader").get(DASHBOARD, NOV)
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert any(f["properties"]["name"] == evil for f in features(response))


def test_query_count_does_not_grow_with_the_data(month):
    client = client_for(month.world, "leader")
    client.get(DASHBOARD, NOV)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as november:
        client.get(DASHBOARD, NOV)
    with CaptureQueriesContext(connection) as october:
        client.get(DASHBOARD, {"kind": "month", "month": "2026-10"})
    assert len(november) == len(october)
    # The figures and the map each read the dirty days, their rollup rows and the live days.
    assert len(november) <= 18, [q["sql"][:120] for q in november]
