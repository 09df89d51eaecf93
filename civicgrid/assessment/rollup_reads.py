"""Reading the figures and the density map from the per-day rollups (see `rollups` and
docs/scaling.md, "Figures from rollups"): the clean days before today from the rollup rows, the
dirty days and today (and later) live, with the same conditions, merged per group.

The rollup answers a request when:
* no category filter is given (the rows are not keyed by category: that would multiply them by
  the number of categories; a category is counted live);
* the period starts at a local midnight and, for the figures, ends on the first of a month (the
  rows know the month a case closed in, which decides `closed`, `closed_on_time` and `backlog`;
  months, quarters and years always do, custom ranges ending mid-month are counted live);
* the reader's scope, the area filter and the grouping level are at township level or above
  (the rows keep the path down to the township).
Otherwise the caller counts everything live. Either way the numbers are the same.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import IntegerField, Q, Sum, Value
from django.db.models.functions import Length, Substr
from django.utils import timezone

from civicgrid.core.scope import ALL, scope_paths

from .models import DensityMonthRollup, DensityRollup, FigureMonthRollup, FigureRollup, ResponseSource
from .rollups import area_length, day_start, dirty_days, local_today, month_start, next_month, opened_in


def pieces(lo: dt.date | None, hi: dt.date, today: dt.date, dirty: list[dt.date]):
    """How to read the clean days of [lo, hi) (lo None: from the beginning): (a Q over the month
    table's `month` or None, a Q over the day table's `day` or None). Whole months before today's
    month with no dirty day come from the month rows; the other days (a partial first or last
    month, the months with a dirty day) from the day rows, as positive ranges the indexes serve.
    Days at or after today and dirty days are left to the live count."""
    hi = min(hi, today)
    if lo is not None and lo >= hi:
        return None, None
    m_lo = None if lo is None else (lo if lo.day == 1 else next_month(lo))
    m_hi = month_start(hi)
    ranges: list[tuple[dt.date | None, dt.date]] = []
    month_q = None
    if m_lo is None or m_lo < m_hi:
        dirty_months = sorted({month_start(d) for d in dirty if (m_lo is None or d >= m_lo) and d < m_hi})
        month_q = Q(month__lt=m_hi)
        if m_lo is not None:
            month_q &= Q(month__gte=m_lo)
        if dirty_months:
            month_q &= ~Q(month__in=dirty_months)
        if lo is not None and lo < m_lo:
            ranges.append((lo, m_lo))
        ranges += [(m, next_month(m)) for m in dirty_months]
        if m_hi < hi:
            ranges.append((m_hi, hi))
    else:
        ranges.append((lo, hi))
    day_q = None
    for a, b in ranges:
        q = Q(day__lt=b) if a is None else Q(day__gte=a, day__lt=b)
        day_q = q if day_q is None else day_q | q
    if day_q is not None and (skip := [d for d in dirty if (lo is None or d >= lo) and d < hi]):
        day_q &= ~Q(day__in=skip)
    return month_q, day_q


def _local_midnight(moment: dt.datetime) -> dt.date | None:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    return local.date()


def _scope_q(user, field: str, max_length: int | None):
    """Q over the rollup's path column for the user's scope; None when the rollup cannot decide
    (a scope finer than the rows' paths); Q(pk__in=[]) for no scope."""
    paths = scope_paths(user, "assessment.view_figures")
    if paths is ALL:
        return Q()
    if not paths:
        return Q(pk__in=[])
    if max_length is not None and any(len(p) > max_length for p in paths):
        return None
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def live_days_q(dirty: list[dt.date], today: dt.date, before: dt.date | None = None) -> Q | None:
    """The cases the rollup does not hold as current — opened on a dirty day, today or later —
    among those opened before `before`; None when there are none (no live query is needed)."""
    days = [d for d in dirty if before is None or d < before]
    q = opened_in(days) if days else None
    if before is None or today < before:
        today_q = Q(opened_at__gte=day_start(today))
        q = today_q if q is None else q | today_q
    return q


def figure_plan(period, user, area, group_by: str, level: str | None, category) -> dict | None:
    """What the rollup read needs, or None when the request must be counted live."""
    if category is not None:
        return None
    start_day, end_day = _local_midnight(period.start), _local_midnight(period.end)
    if start_day is None or end_day is None or end_day.day != 1:
        return None
    length = area_length()
    scope = _scope_q(user, "area", length)
    if scope is None or (area is not None and len(area.path) > length):
        return None
    if group_by == "area":
        from .queries import path_length

        if path_length(level or "township") > length:
            return None
    today = local_today()
    return {"start": start_day, "end": end_day, "scope": scope, "today": today, "dirty": dirty_days()}


def figure_rows(scheme, plan: dict, area, group_by: str, level: str | None) -> list[dict]:
    """Per group (`unit_key` or `area_key`) the COUNTS summed over the clean rollup days of the
    period (and, for the backlog, of everything before it)."""
    from .queries import path_length

    start, end, today, dirty = plan["start"], plan["end"], plan["today"], plan["dirty"]

    def narrowed(qs):
        qs = qs.filter(plan["scope"])
        if area is not None:
            qs = qs.filter(area__startswith=area.path)
        if scheme.channels:
            qs = qs.filter(channel__in=list(scheme.channels))
        if scheme.excluded_reasons:
            qs = qs.exclude(excluded__in=list(scheme.excluded_reasons))
        return qs

    if group_by == "unit":
        key, expr, length = "unit_key", None, None
    else:
        key, length = "area_key", path_length(level or "township")
        expr = Substr("area", 1, length)
    responded = (
        "responded_any" if scheme.response_source == ResponseSource.ANY_RESPONSE else "responded_clock"
    )
    still_open = Q(closed_month__isnull=True) | Q(closed_month__gte=end)
    closed = Q(closed_month__lt=end)
    sums = {
        "assessed": Sum("n"),
        "responded_on_time": Sum(responded),
        "called_back": Sum("called_back"),
        "resolved_count": Sum("resolved"),
        "unresolved_count": Sum("unresolved"),
        "satisfied_count": Sum("satisfied"),
        "basically_count": Sum("basically"),
        "dissatisfied_count": Sum("dissatisfied"),
        "closed": Sum("n", filter=closed),
        "closed_on_time": Sum("not_missed", filter=closed),
        "reopened": Sum("reopened"),
        "backlog": Sum("n", filter=still_open),
    }
    zero = Value(0, output_field=IntegerField())
    backlog_only = {name: (Sum("n") if name == "backlog" else zero) for name in sums}
    # The group key: lead_unit_id as is, or the area path cut at the level.
    field = "lead_unit_id" if expr is None else key
    members = []
    for lo, hi, aggregates, extra in ((start, end, sums, Q()), (None, start, backlog_only, still_open)):
        for model, q in zip((FigureMonthRollup, FigureRollup), pieces(lo, hi, today, dirty), strict=True):
            if q is None:
                continue
            part = narrowed(model.objects.filter(q, extra))
            if expr is not None:
                part = part.annotate(area_len=Length("area")).filter(area_len__gte=length)
                part = part.annotate(**{key: expr})
            members.append(part.order_by().values(field).annotate(**aggregates))
    out: dict = {}
    if not members:
        return []
    # One statement: the period's rows and the earlier rows still open at its end.
    for data in members[0].union(*members[1:], all=True):
        row = out.setdefault(data[field], {key: data[field], **dict.fromkeys(sums, 0)})
        for name in sums:
            row[name] += data[name] or 0
    return list(out.values())


def density_plan(period) -> dict | None:
    start_day, end_day = _local_midnight(period.start), _local_midnight(period.end)
    if start_day is None or end_day is None:
        return None
    return {"start": start_day, "end": end_day, "today": local_today(), "dirty": dirty_days()}


def density_rows(user, plan: dict, area) -> dict[int, int]:
    """{grid id: events} over the clean rollup days of the period."""
    scope = _scope_q(user, "path", None)
    members = []
    pairs = zip(
        (DensityMonthRollup, DensityRollup),
        pieces(plan["start"], plan["end"], plan["today"], plan["dirty"]),
        strict=True,
    )
    for model, q in pairs:
        if q is None:
            continue
        qs = model.objects.filter(scope, q)
        if area is not None:
            qs = qs.filter(path__startswith=area.path)
        members.append(qs.order_by().values_list("grid_id").annotate(total=Sum("n")))
    out: dict[int, int] = {}
    if members:
        for grid, n in members[0].union(*members[1:], all=True):
            if n:
                out[grid] = out.get(grid, 0) + n
    return out
