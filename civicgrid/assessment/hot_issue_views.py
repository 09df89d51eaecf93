"""The hot-issue board of the leaders' dashboard (热点问题, issue 5 §4): the clusters of the reader's
events in a period ranked by heat (`hot_issue_queries.board`), each drilling down to its events.

Scope as the dashboard: `assessment.view_figures` somewhere or 403; the area filter lists only areas
in reach; a cluster key that is not on the reader's own board (another township's cluster, a key
made up, a board of another period) is a 404 like a missing one; the drill-down lists only the
events the reader can see, the reporter's name masked.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from civicgrid.core.personal_data import mask_name

from .hot_issue_queries import board, cluster_cases, find_cluster
from .queries import parse_period
from .views import PERIOD_KINDS, DashboardFilterForm, _require_view

PAGE_SIZE = 50
FILTERS = ("kind", "month", "quarter", "year", "start", "end", "area", "category")


def _filters(request, user):
    """(form, period, area, category); period None when the filters are invalid."""
    today = timezone.localdate()
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("channel", None)  # the board is over every channel
    form = DashboardFilterForm(params or None, user=user, today=today)
    if not params:
        return form, parse_period(f"{today:%Y-%m}"), None, None
    if not form.is_valid():
        return form, None, None, None
    data = form.cleaned_data
    return form, data["period"], data.get("area"), data.get("category")


def _query(request) -> str:
    return urlencode([(k, v) for k in FILTERS for v in request.GET.getlist(k) if v])


def _period_days(period) -> tuple[dt.date, dt.date]:
    return timezone.localtime(period.start).date(), timezone.localtime(period.end).date() - dt.timedelta(
        days=1
    )


@login_required
@require_GET
def hot_issue_board(request):
    """/dashboard/hot-issues/: the ranked clusters of the period (and area, category)."""
    user = request.user
    _require_view(user)
    form, period, area, category = _filters(request, user)
    context = {"form": form, "period_kinds": PERIOD_KINDS, "period": period}
    if period is None:
        return render(request, "assessment/hot_issues.html", context)
    query = _query(request)
    clusters = []
    for found in board(user, period, area, category):
        clusters.append({**found, "url": f"{reverse('assessment:hot_issue', args=[found['key']])}?{query}"})
    start, end = _period_days(period)
    context.update(
        {
            "clusters": clusters,
            "area": area,
            "category": category,
            "period_start_day": start,
            "period_end_day": end,
            "dashboard_url": f"{reverse('assessment:dashboard')}?{query}",
        }
    )
    return render(request, "assessment/hot_issues.html", context)


@login_required
@require_GET
def hot_issue_detail(request, key: str):
    """/dashboard/hot-issues/<key>/: the events of one cluster of the reader's board."""
    user = request.user
    _require_view(user)
    _form, period, area, category = _filters(request, user)
    if period is None:
        raise Http404  # filters out of reach or malformed: no such board, no such cluster
    cluster = find_cluster(user, period, key, area, category)
    if cluster is None:
        raise Http404
    page = Paginator(cluster_cases(user, cluster), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "case": case,
            "reporter": mask_name(getattr(getattr(case, "event", None), "reporter_name", "")) or "—",
        }
        for case in page.object_list
    ]
    query = _query(request)
    start, end = _period_days(period)
    return render(
        request,
        "assessment/hot_issue_detail.html",
        {
            "cluster": cluster,
            "page": page,
            "rows": rows,
            "query": query,
            "period_start_day": start,
            "period_end_day": end,
            "board_url": f"{reverse('assessment:hot_issues')}?{query}",
        },
    )
