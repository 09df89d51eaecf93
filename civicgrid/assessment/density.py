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

from django.db.models import Count, Q

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case
from civicgrid.events.models import Category
from civicgrid.events.workflow import EventStatus

from .queries import VIEW, Period

NOT_COUNTED_STATUSES = (EventStatus.REJECTED, EventStatus.MERGED)


def category_family(category: Category):
    """The category and, for a 大类, its 小类 (one level, as the taxonomy has: "01" → "0101"), as a
    subquery of ids."""
    return Category.objects.filter(Q(pk=category.pk) | Q(parent=category)).values("pk")


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
) -> dict[int, int]:
    """{grid id: number of events} for the grids with at least one event in `period` within the
    user's scope (and `area`, `category`, `channels` when given). Exactly one query: a
    `GROUP BY grid_id` over the scoped cases; grids without events are absent (the caller draws
    every grid it shows and reads a missing id as 0)."""
    qs = density_cases(user, period, area, category, channels)
    rows = qs.order_by().values_list("grid_id").annotate(n=Count("pk"))
    return dict(rows)
