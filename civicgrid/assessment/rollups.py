"""Per-day rollups of the figures and of the density map (see docs/scaling.md, "Figures from
rollups"): the writing side — which days are dirty, rebuilding them, rebuilding everything — and
the signal handlers that mark a day dirty in the same transaction as the change.

A case counts in ONE day: the local day it was opened. Every count of the figures is a count of
cases by their opening day, except `closed` / `closed_on_time` (closed before the period end) and
`backlog` (open at the period end), which the rollup answers for a period ending on the first of
a month by keying each row also by the month the case was closed in. So any change to a case —
its status, lead unit, place, clocks, event details (callback, reopen, satisfaction), exclusion —
changes only the rows of its opening day, and marks that day dirty.

Correctness never depends on the worker: the readers (`rollup_reads`) take the rollup only for days
before today that are not dirty, and count the others live with the same conditions.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, DateField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr, TruncDate, TruncMonth
from django.utils import timezone

from civicgrid.areas.choices import AreaLevel
from civicgrid.cases.choices import ClockState
from civicgrid.cases.models import Case
from civicgrid.events.models import Satisfaction

from .models import (
    DensityMonthRollup,
    DensityRollup,
    Exclusion,
    ExclusionStatus,
    FigureMonthRollup,
    FigureRollup,
    RollupDirtyDay,
)

logger = logging.getLogger(__name__)

# The rows keep the area path down to the township: grouping by area at township level or above,
# and a scope or area filter at township level or above, read the rollup; finer ones count live.
AREA_LEVEL = AreaLevel.TOWNSHIP
# Days rebuilt per transaction by the worker.
CHUNK_DAYS = 31


def area_length() -> int:
    from .queries import path_length

    return path_length(AREA_LEVEL)


# --- days ----------------------------------------------------------------------------------------


def day_of(moment: dt.datetime) -> dt.date:
    """The local day (CIVICGRID_TIME_ZONE, whatever zone a request activated) a moment falls on:
    the day a case opened at `moment` counts in."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def local_today() -> dt.date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive days merged into half-open [start, end) ranges of local time."""
    out: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if out and out[-1][1] == day:
            out[-1][1] = day + dt.timedelta(days=1)
        else:
            out.append([day, day + dt.timedelta(days=1)])
    return [(day_start(a), day_start(b)) for a, b in out]


def opened_in(days: Iterable[dt.date], field: str = "opened_at") -> Q:
    """A Q selecting cases opened on one of `days` (never matches when there are none)."""
    q = Q(pk__in=[])
    for start, end in day_ranges(days):
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


# --- marking -------------------------------------------------------------------------------------


def mark_days_dirty(days: Iterable[dt.date | dt.datetime]) -> int:
    """Mark `days` (dates, or moments whose local day is meant) dirty, in the caller's
    transaction: the readers count them live until the worker rebuilt them. The function to call
    after writing cases by any path that bypasses the models' signals (the bulk import): with the
    opening moments (or days) of the cases written. Returns the number of days marked."""
    wanted = {day_of(d) if isinstance(d, dt.datetime) else d for d in days if d is not None}
    if not wanted:
        return 0
    # Every case change marks its day (intake included): one plain upsert, the same SQL on both
    # databases, without the ORM's per-call compilation.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(connection.ops.adapt_datefield_value(d), uuid.uuid4().hex, now) for d in sorted(wanted)]
    with connection.cursor() as cursor:
        cursor.executemany(_mark_sql(), rows)
    return len(wanted)


def _mark_sql() -> str:
    meta, quote = RollupDirtyDay._meta, connection.ops.quote_name
    day, token, marked = (quote(meta.get_field(f).column) for f in ("day", "token", "marked_at"))
    return (
        f"INSERT INTO {quote(meta.db_table)} ({day}, {token}, {marked}) VALUES (%s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({day}) DO UPDATE SET {token} = excluded.{token}, {marked} = excluded.{marked}"
    )


def mark_case_dirty(case_id: int | None, case: Case | None = None) -> None:
    """Mark the opening day of a case; `case` when the caller holds it already (no query)."""
    if case is not None and "opened_at" in case.__dict__:
        mark_days_dirty([case.opened_at])
        return
    if case_id is None:
        return
    opened = Case.objects.filter(pk=case_id).values_list("opened_at", flat=True).first()
    if opened is not None:
        mark_days_dirty([opened])


def dirty_days(before: dt.date | None = None) -> list[dt.date]:
    qs = RollupDirtyDay.objects.order_by("day")
    if before is not None:
        qs = qs.filter(day__lt=before)
    return list(qs.values_list("day", flat=True))


# --- building ------------------------------------------------------------------------------------


def figure_source(where: Q):
    """The rows of FigureRollup for the cases matching `where`, as a grouped queryset whose
    columns are the model's fields (the same conditions as `queries.conditions`)."""
    from .queries import NOT_ASSESSED_STATUSES, _with_clocks

    excluded = Exclusion.objects.filter(case=OuterRef("pk"), status=ExclusionStatus.APPROVED).values(
        "reason"
    )[:1]
    qs = _with_clocks(
        Case.objects.filter(where, kind="event", lead_unit__isnull=False).exclude(
            status__in=NOT_ASSESSED_STATUSES
        )
    )
    qs = qs.annotate(
        r_day=TruncDate("opened_at", tzinfo=timezone.get_default_timezone()),
        r_unit=F("lead_unit_id"),
        r_area=Substr("path", 1, area_length()),
        r_channel=Coalesce(F("event__channel"), Value("")),
        r_excluded=Coalesce(Subquery(excluded), Value("")),
        r_closed=TruncMonth("closed_at", output_field=DateField(), tzinfo=timezone.get_default_timezone()),
    )
    responded_clock = Q(last_response_state=ClockState.MET) | Q(
        last_response_state__isnull=True, event__first_response_at__isnull=False
    )
    called_back = Q(event__callback_at__isnull=False, event__callback_contacted=True)
    counts = {
        "c_n": Count("pk"),
        "c_responded_clock": Count("pk", filter=responded_clock),
        "c_responded_any": Count("pk", filter=Q(event__first_response_at__isnull=False)),
        "c_called_back": Count("pk", filter=called_back),
        "c_resolved": Count("pk", filter=called_back & Q(event__callback_resolved=True)),
        "c_unresolved": Count("pk", filter=called_back & ~Q(event__callback_resolved=True)),
        "c_satisfied": Count("pk", filter=called_back & Q(event__satisfaction=Satisfaction.SATISFIED)),
        "c_basically": Count("pk", filter=called_back & Q(event__satisfaction=Satisfaction.BASICALLY)),
        "c_dissatisfied": Count("pk", filter=called_back & Q(event__satisfaction=Satisfaction.DISSATISFIED)),
        "c_not_missed": Count("pk", filter=Q(handling_missed=False)),
        "c_reopened": Count("pk", filter=Q(event__reopened_count__gt=0)),
    }
    keys = ("r_day", "r_unit", "r_area", "r_channel", "r_excluded", "r_closed")
    return qs.order_by().values(*keys).annotate(**counts).order_by("r_day")


def density_source(where: Q):
    from .density import NOT_COUNTED_STATUSES

    qs = Case.objects.filter(where, kind="event", grid__isnull=False).exclude(status__in=NOT_COUNTED_STATUSES)
    qs = qs.annotate(
        r_day=TruncDate("opened_at", tzinfo=timezone.get_default_timezone()),
        r_grid=F("grid_id"),
        r_path=F("path"),
    )
    return qs.order_by().values("r_day", "r_grid", "r_path").annotate(c_n=Count("pk")).order_by("r_day")


FIGURE_COUNTS = (
    "n",
    "responded_clock",
    "responded_any",
    "called_back",
    "resolved",
    "unresolved",
    "satisfied",
    "basically",
    "dissatisfied",
    "not_missed",
    "reopened",
)


def _rebuild_months(months: list[dt.date] | None) -> None:
    """Recompute the month rows of `months` (None: all) from the day rows."""
    figures, density = FigureRollup.objects.all(), DensityRollup.objects.all()
    if months is not None:
        if not months:
            return
        q = Q(pk__in=[])
        for m in months:
            q |= Q(day__gte=m, day__lt=next_month(m))
        figures, density = figures.filter(q), density.filter(q)
        FigureMonthRollup.objects.filter(month__in=months).delete()
        DensityMonthRollup.objects.filter(month__in=months).delete()
    else:
        FigureMonthRollup.objects.all().delete()
        DensityMonthRollup.objects.all().delete()
    month = TruncMonth("day", output_field=DateField())
    figures = (
        figures.annotate(
            r_month=month,
            r_unit=F("lead_unit_id"),
            r_area=F("area"),
            r_channel=F("channel"),
            r_excluded=F("excluded"),
            r_closed=F("closed_month"),
        )
        .order_by()
        .values("r_month", "r_unit", "r_area", "r_channel", "r_excluded", "r_closed")
        .annotate(**{f"c_{name}": Sum(name) for name in FIGURE_COUNTS})
    )
    _insert_select(FigureMonthRollup, figures)
    density = (
        density.annotate(r_month=month, r_grid=F("grid_id"), r_path=F("path"))
        .order_by()
        .values("r_month", "r_grid", "r_path")
        .annotate(c_n=Sum("n"))
    )
    _insert_select(DensityMonthRollup, density)


def _insert_select(model, qs) -> int:
    """INSERT INTO model's table (…) SELECT … — the grouped queryset's columns are named r_<field>
    / c_<field>; one statement, no rows through Python."""
    compiler = qs.query.get_compiler(using=qs.db)
    sql, params = compiler.as_sql()
    aliases = [alias for _expr, _sql, alias in compiler.select]
    renamed = {"unit": "lead_unit_id", "grid": "grid_id", "closed": "closed_month"}
    columns = [model._meta.get_field(renamed.get(a[2:], a[2:])).column for a in aliases]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({names}) {sql}", params)
        return cur.rowcount


def rebuild_days(days: Iterable[dt.date], *, today: dt.date | None = None) -> int:
    """Rebuild the rows of `days` (only days before today: today stays live) and clear their dirty
    marks, in one transaction; a mark renewed meanwhile (another change) stays. A crash rolls
    everything back and leaves the days dirty. Idempotent. Returns the number of days rebuilt."""
    today = today or local_today()
    wanted = sorted({d for d in days if d < today})
    if not wanted:
        return 0
    with transaction.atomic():
        tokens = dict(RollupDirtyDay.objects.filter(day__in=wanted).values_list("day", "token"))
        FigureRollup.objects.filter(day__in=wanted).delete()
        DensityRollup.objects.filter(day__in=wanted).delete()
        where = opened_in(wanted)
        _insert_select(FigureRollup, figure_source(where))
        _insert_select(DensityRollup, density_source(where))
        _rebuild_months(sorted({month_start(d) for d in wanted}))
        _clear_marks(tokens)
    return len(wanted)


def _clear_marks(tokens: dict) -> None:
    for day, token in tokens.items():
        RollupDirtyDay.objects.filter(day=day, token=token).delete()


def rebuild_dirty(*, today: dt.date | None = None, limit: int | None = None) -> int:
    """Rebuild the dirty days before today, CHUNK_DAYS per transaction (the periodic job).
    Returns the number of days rebuilt."""
    today = today or local_today()
    days = dirty_days(before=today)
    if limit is not None:
        days = days[:limit]
    done = 0
    for i in range(0, len(days), CHUNK_DAYS):
        done += rebuild_days(days[i : i + CHUNK_DAYS], today=today)
    return done


def rebuild_all(*, today: dt.date | None = None) -> dict[str, int]:
    """Rebuild every row from the cases (an upgrade, a bulk import, a change of time zone): one
    transaction, one INSERT … SELECT per table over the whole history before today. Marks read
    at the start are cleared at the end; later ones stay."""
    today = today or local_today()
    with transaction.atomic():
        tokens = dict(RollupDirtyDay.objects.filter(day__lt=today).values_list("day", "token"))
        FigureRollup.objects.all().delete()
        DensityRollup.objects.all().delete()
        where = Q(opened_at__lt=day_start(today))
        figures = _insert_select(FigureRollup, figure_source(where))
        density = _insert_select(DensityRollup, density_source(where))
        _rebuild_months(None)
        _clear_marks(tokens)
    return {"figure_rows": figures, "density_rows": density}
