"""The figures' two-part aggregate (cases opened in the period, plus the backlog of earlier ones)
against the drill-down, which still reads every case opened before the period end in one queryset:
for every row and every count, the figure equals the number of cases behind it — in the period the
cases were built in, in the months before and after it, over a year, by unit and by area, for a
city-wide reader and for a township officer."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.accounts.models import Unit
from civicgrid.areas.models import Area
from civicgrid.assessment.queries import COUNTS, cases_behind, figures
from civicgrid.assessment.rollups import mark_days_dirty
from civicgrid.cases.models import Case

pytestmark = pytest.mark.django_db

PERIODS = {
    "october": (dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
    "november": (dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
    "december": (dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
    "year": (dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
}


def check_against_drill(month, user, start, end, group_by):
    rows = figures(month.scheme, period_start=start, period_end=end, group_by=group_by, user=user)
    for row in rows:
        target = (
            {"unit": Unit.objects.get(pk=row["id"])}
            if group_by == "unit"
            else {"area": Area.objects.get(pk=row["id"]), "level": "township"}
        )
        for figure in COUNTS:
            behind = cases_behind(
                month.scheme, figure, period_start=start, period_end=end, user=user, **target
            )
            assert behind.count() == row[figure], (row["code"], figure)
    return rows


@pytest.mark.parametrize("period", sorted(PERIODS))
@pytest.mark.parametrize("group_by", ["unit", "area"])
@pytest.mark.parametrize("reader", ["leader", "township"])
def test_every_figure_equals_its_drill_down(month, period, group_by, reader):
    start, end = PERIODS[period]
    check_against_drill(month, month.world.user(reader), start, end, group_by)


def test_earlier_backlog_alone_makes_a_row(month):
    """December: nothing is opened, but C0, C4 (chengguan) and D4 (donghu) are still open at its
    end; Beishan closed everything in November and has nothing to report for December."""
    start, end = PERIODS["december"]
    rows = check_against_drill(month, month.world.user("leader"), start, end, "unit")
    by_code = {r["code"]: r for r in rows}
    assert set(by_code) == {"jiangdong-chengguan", "donghu-office"}
    cg = by_code["jiangdong-chengguan"]
    assert cg["backlog"] == 2 and cg["assessed"] == 0 and cg["rank"] is None
    assert by_code["donghu-office"]["backlog"] == 1
    assert all(r["response_rate"] is None and r["score"] is None for r in rows)


def test_a_case_closed_after_the_period_end_is_in_its_backlog(month):
    """October: C0 was opened in October and is still open; a case opened before October and closed
    in November would be backlog too — move C1's opening back to September to make one."""
    c1 = Case.objects.get(pk=month.cases["C1"].pk)
    Case.objects.filter(pk=c1.pk).update(opened_at=c1.opened_at - dt.timedelta(days=60))
    # A write past the services and their signals marks the day it touched (rollups contract).
    mark_days_dirty([c1.opened_at - dt.timedelta(days=60)])
    start, end = PERIODS["october"]
    rows = check_against_drill(month, month.world.user("leader"), start, end, "unit")
    cg = {r["code"]: r for r in rows}["jiangdong-chengguan"]
    assert (cg["assessed"], cg["backlog"]) == (1, 2)  # C0 assessed and open; C1 open at the end


def test_outsider_sees_only_their_township(month):
    start, end = PERIODS["december"]
    rows = figures(
        month.scheme, period_start=start, period_end=end, user=month.world.user("outsider"), group_by="unit"
    )
    assert rows == []  # Beishan's cases are all closed; nothing of the other townships shows
