"""The figures over a realistic month (see conftest's table): every count and rate exactly, the
minimum-sample rule, the channel filter, weights of a new scheme version, exclusions, scope,
drill-down equal to the figures, and a query count that does not grow with the units."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.accounts.models import Unit
from civicgrid.assessment.queries import COUNTS, cases_behind, figures
from civicgrid.assessment.services import do_create_scheme, do_decide_exclusion
from civicgrid.cases.models import Case
from tests.world import NAMES

from .conftest import NOVEMBER

pytestmark = pytest.mark.django_db

COUNT_KEYS = (
    "assessed",
    "responded_on_time",
    "called_back",
    "resolved_count",
    "unresolved_count",
    "satisfied_count",
    "basically_count",
    "dissatisfied_count",
    "closed",
    "closed_on_time",
    "reopened",
    "backlog",
)
RATE_KEYS = ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate", "reopen_rate", "score")


def by_code(rows):
    return {r["code"]: r for r in rows}


def counts(row):
    return tuple(row[k] for k in COUNT_KEYS)


def rates(row):
    return tuple(row[k] for k in RATE_KEYS)


def test_every_count_and_rate_per_unit(month):
    rows = figures(month.scheme, group_by="unit", user=month.world.user("leader"), **NOVEMBER)
    assert [r["code"] for r in rows] == ["jiangdong-chengguan", "donghu-office", "beishan-office"]
    cg, dh, bs = rows
    # C1–C4 assessed (C5 excluded, C0 opened in October but open at the end: backlog).
    assert counts(cg) == (4, 3, 3, 2, 1, 1, 2, 0, 3, 1, 1, 2)
    assert (cg["resolved"], cg["satisfied"]) == (D("2.0000"), D("2.6000"))
    assert rates(cg) == (D("0.7500"), D("0.6667"), D("0.8667"), D("0.3333"), D("0.2500"), D("0.7634"))
    assert cg["rank"] == 1
    # D2's callback did not reach the citizen: not in resolution or satisfaction.
    assert counts(dh) == (4, 3, 2, 1, 1, 2, 0, 0, 3, 3, 0, 1)
    assert rates(dh) == (D("0.7500"), D("0.5000"), D("1.0000"), D("1.0000"), D("0.0000"), D("0.7500"))
    assert dh["rank"] == 2
    # Two cases, perfect score, listed last and not ranked: below the minimum sample of 3.
    assert counts(bs) == (2, 2, 2, 2, 0, 2, 0, 0, 2, 1, 0, 0)
    assert rates(bs) == (D("1.0000"), D("1.0000"), D("1.0000"), D("0.5000"), D("0.0000"), D("1.0000"))
    assert bs["rank"] is None
    assert (cg["name"], cg["id"], cg["group_by"]) == (
        "江东区城市管理局",
        month.world.units["chengguan"].pk,
        "unit",
    )


def test_minimum_sample_decides_who_is_ranked(month):
    scheme = do_create_scheme(
        actor=month.world.user("admin"),
        code="city",
        name="临江市三率考核",
        effective_from=dt.date(2026, 1, 1),
        min_sample=2,
    )
    rows = by_code(figures(scheme, user=month.world.user("leader"), **NOVEMBER))
    assert {c: r["rank"] for c, r in rows.items()} == {
        "beishan-office": 1,
        "jiangdong-chengguan": 2,
        "donghu-office": 3,
    }
    scheme5 = do_create_scheme(
        actor=month.world.user("admin"),
        code="city",
        name="临江市三率考核",
        effective_from=dt.date(2026, 1, 1),
        min_sample=5,
    )
    assert [r["rank"] for r in figures(scheme5, user=month.world.user("leader"), **NOVEMBER)] == [None] * 3


def test_channel_filter(month):
    scheme = do_create_scheme(
        actor=month.world.user("admin"),
        code="hotline",
        name="12345 与网站考核",
        effective_from=dt.date(2026, 1, 1),
        channels=["hotline_12345", "web"],
        min_sample=3,
    )
    rows = by_code(figures(scheme, user=month.world.user("leader"), **NOVEMBER))
    # C4 and D3 came from grid patrol.
    assert counts(rows["jiangdong-chengguan"]) == (3, 2, 3, 2, 1, 1, 2, 0, 3, 1, 1, 1)
    assert counts(rows["donghu-office"]) == (3, 2, 1, 1, 0, 1, 0, 0, 2, 2, 0, 1)
    assert rates(rows["donghu-office"]) == (
        D("0.6667"),
        D("1.0000"),
        D("1.0000"),
        D("1.0000"),
        D("0.0000"),
        D("0.9333"),
    )


def test_weights_of_a_new_version_change_the_numbers(month):
    v2 = do_create_scheme(
        actor=month.world.user("admin"),
        code="city",
        name="临江市三率考核（修订）",
        effective_from=dt.date(2026, 11, 1),
        basically_weight="0.5",
        unresolved_weight="0.5",
        response_share=0,
        resolution_share=50,
        satisfaction_share=50,
    )
    assert (v2.version, v2.min_sample, v2.satisfied_weight) == (2, 3, D("1"))
    cg = by_code(figures(v2, user=month.world.user("leader"), **NOVEMBER))["jiangdong-chengguan"]
    assert (cg["resolved"], cg["satisfied"]) == (D("2.5000"), D("2.0000"))
    assert rates(cg) == (D("0.7500"), D("0.8333"), D("0.6667"), D("0.3333"), D("0.2500"), D("0.7500"))
    # Version 1 still gives its own numbers.
    old = by_code(figures(month.scheme, user=month.world.user("leader"), **NOVEMBER))["jiangdong-chengguan"]
    assert old["satisfaction_rate"] == D("0.8667")


def test_exclusion_counts_only_when_approved_and_honoured(month):
    leader = month.world.user("leader")
    honours_none = do_create_scheme(
        actor=month.world.user("admin"),
        code="strict",
        name="不剔除",
        effective_from=dt.date(2026, 1, 1),
        excluded_reasons=[],
    )
    cg = by_code(figures(honours_none, user=leader, **NOVEMBER))["jiangdong-chengguan"]
    assert (cg["assessed"], cg["satisfied_count"]) == (5, 2)
    assert month.exclusion.status == "approved"
    assert month.exclusion.approved_by == month.world.user("county")
    with pytest.raises(Exception) as exc:
        do_decide_exclusion(month.exclusion, actor=month.world.user("leader"), approve=False)
    assert exc.value.code == "not_pending"
    assert by_code(figures(month.scheme, user=leader, **NOVEMBER))["jiangdong-chengguan"]["assessed"] == 4


def test_area_rows_at_township_level(month):
    rows = figures(
        month.scheme, group_by="area", level="township", user=month.world.user("leader"), **NOVEMBER
    )
    assert [(r["code"], r["assessed"], r["backlog"], r["rank"]) for r in rows] == [
        (NAMES.township_a1, 7, 2, 1),
        (NAMES.township_b1, 2, 0, None),
        (NAMES.township_a2, 1, 1, None),
    ]
    a1 = rows[0]
    assert counts(a1) == (7, 5, 5, 3, 2, 3, 2, 0, 6, 4, 1, 2)
    assert rates(a1)[:3] == (D("0.7143"), D("0.6000"), D("0.9200"))
    # Within one county, by village.
    rows = figures(
        month.scheme,
        group_by="area",
        level="village",
        area=month.world.area(NAMES.county_a),
        user=month.world.user("leader"),
        **NOVEMBER,
    )
    assert [(r["code"], r["assessed"]) for r in rows] == [(NAMES.village_a1a, 7), (NAMES.village_a2a, 1)]


def test_scope(month):
    w = month.world
    township = by_code(figures(month.scheme, user=w.user("township"), **NOVEMBER))
    # The township officer of 东湖 sees only the cases in 东湖: C4 (西湖) and Beishan are out of reach.
    assert {c: r["assessed"] for c, r in township.items()} == {"jiangdong-chengguan": 3, "donghu-office": 4}
    assert township["jiangdong-chengguan"]["backlog"] == 1
    outsider = figures(month.scheme, user=w.user("outsider"), **NOVEMBER)
    assert [(r["code"], r["assessed"]) for r in outsider] == [("beishan-office", 2)]
    for name in ("nobody", "gridworker", "handler", "admin"):
        assert figures(month.scheme, user=w.user(name), **NOVEMBER) == []
    assert len(figures(month.scheme, user=w.user("auditor"), **NOVEMBER)) == 3


@pytest.mark.parametrize("user", ["leader", "township"])
def test_drill_down_equals_every_figure(month, user):
    actor = month.world.user(user)
    for row in figures(month.scheme, user=actor, **NOVEMBER):
        unit = Unit.objects.get(pk=row["id"])
        for figure in COUNTS:
            behind = cases_behind(month.scheme, figure, unit=unit, user=actor, **NOVEMBER)
            assert behind.count() == row[figure], (row["code"], figure)
    for row in figures(month.scheme, group_by="area", level="township", user=actor, **NOVEMBER):
        area = month.world.area(row["code"])
        for figure in COUNTS:
            behind = cases_behind(month.scheme, figure, area=area, level="township", user=actor, **NOVEMBER)
            assert behind.count() == row[figure], (row["code"], figure)


def test_drill_down_names_the_cases(month):
    c = month.cases
    cg = month.world.units["chengguan"]
    leader = month.world.user("leader")

    def numbers(figure):
        return set(
            cases_behind(month.scheme, figure, unit=cg, user=leader, **NOVEMBER).values_list(
                "number", flat=True
            )
        )

    assert numbers("basically_count") == {c["C2"].number, c["C3"].number}
    assert numbers("backlog") == {c["C0"].number, c["C4"].number}
    assert numbers("reopened") == {c["C3"].number}
    assert numbers("closed_on_time") == {c["C1"].number}
    assert numbers("responded_on_time") == {c["C1"].number, c["C2"].number, c["C4"].number}
    # The outsider drills into nothing outside their township.
    assert not cases_behind(
        month.scheme, "assessed", unit=cg, user=month.world.user("outsider"), **NOVEMBER
    ).exists()


def test_query_count_is_constant_in_the_number_of_units(month):
    leader = month.world.user("leader")

    def run():
        with CaptureQueriesContext(connection) as ctx:
            rows = figures(month.scheme, user=leader, **NOVEMBER)
        return len(rows), len(ctx.captured_queries)

    run()  # warm the user's permission cache, as any request after the first does
    rows_before, queries_before = run()
    area = month.world.area(NAMES.county_a)
    template = Case.objects.get(pk=month.cases["C1"].pk)
    # Three more units, each leading a copy of C1 (rows written directly: the figures only read).
    for i in range(3):
        unit = Unit.objects.create(code=f"extra-{i}", name=f"单位{i}", kind="department", area=area)
        copy = Case.objects.get(pk=template.pk)
        copy.pk = None
        copy.number = f"{template.number}-{i}"
        copy.lead_unit = unit
        copy.save()
        details = template.event
        details.pk = copy.pk
        details.case = copy
        details.save(force_insert=True)
    rows_after, queries_after = run()
    assert (rows_before, rows_after) == (3, 6)
    # The dirty days, the rollup rows, the live days' aggregate and the names (the scope is cached
    # on the user): four queries for 3 or 6 units; counted live, two.
    assert queries_after == queries_before == 4

    def run_live():
        with CaptureQueriesContext(connection) as ctx:
            figures(month.scheme, user=leader, source="live", **NOVEMBER)
        return len(ctx.captured_queries)

    assert run_live() == 2
