"""Event density per grid (网格事件密度) for the leaders' dashboard map: how many events were
reported in each grid during a period, in ONE `GROUP BY grid` query whatever the number of grids
or events. Reads only; scoped through `Case.objects.restrict(user, "assessment.view_figures")`.

Which events count (a picture of where problems arise, not an assessment of units):
* cases of kind "event" located in a grid (an event with no grid has no place on the grid map);
* opened in [period.start, period.end);
* not rejected (不予立案: not a real problem) and not merged into another event (a duplicate is the
  same problem; it counts once, on the original). Transferred emergencies do count: they happened
  there;
* optionally under an area (its subtree), of a category (a 大类 takes in its 小类) and from given
  channels.
"""

from __future__ import annotations

from django.db.models import Count

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case
from civicgrid.events.models import Category
from civicgrid.events.workflow import EventStatus

from .queries import VIEW, Period, category_family

NOT_COUNTED_STATUSES = (EventStatus.REJECTED, EventStatus.MERGED)
__all__ = ["NOT_COUNTED_STATUSES", "category_family", "density_cases", "event_density"]


def density_cases(
    user,
    period: Period,
    area: Area | None = None,
    category: Category | None = None,
    channels: list[str] | tuple[str, ...] | None = None,
):
    """The cases `event_density` counts, before grouping (the drill-down of a grid filters this by
    `grid`): the same conditions serve the map and the list behind a polygon."""
    qs = Case.objects.restrict(user, VIEW).filter(
        kind="event",
        grid__isnull=False,
        opened_at__gte=period.start,
        opened_at__lt=period.end,
    )
    qs = qs.exclude(status__in=NOT_COUNTED_STATUSES)
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if category is not None:
        # A 大类 covers its 小类: one level of children, as the taxonomy has (code "01" → "0101").
        qs = qs.filter(event__category__in=category_family(category))
    if channels:
        qs = qs.filter(event__channel__in=list(channels))
    return qs


def event_density(
    user,
    period: Period,
    area: Area | None = None,
    category: Category | None = None,
    *,
    channels: list[str] | tuple[str, ...] | None = None,
    source: str = "auto",
) -> dict[int, int]:
    """{grid id: number of events} for the grids with at least one event in `period` within the
    user's scope (and `area`, `category`, `channels` when given). Exactly one query: a
    `GROUP BY grid_id` over the scoped cases; grids without events are absent (the caller draws
    every grid it shows and reads a missing id as 0).

    Without a category or channel filter (and for a period of whole days) the clean days before
    today come from the per-day rollup and the others are counted live (`rollup_reads`);
    `source="live"` counts everything from the cases."""
    from . import rollup_reads

    qs = density_cases(user, period, area, category, channels)
    plan = None
    if source != "live" and category is None and not channels:
        plan = rollup_reads.density_plan(period)
    if plan is None:
        return dict(qs.order_by().values_list("grid_id").annotate(n=Count("pk")))
    out = rollup_reads.density_rows(user, plan, area)
    live_q = rollup_reads.live_days_q(plan["dirty"], plan["today"], before=plan["end"])
    if live_q is not None:
        for grid, n in qs.filter(live_q).order_by().values_list("grid_id").annotate(n=Count("pk")):
            out[grid] = out.get(grid, 0) + n
    return out
