"""The figures of the assessment (考核): per unit or per area and per period, each count and rate
computed in one aggregate SQL query (conditional COUNTs), and the drill-down to exactly the cases a
count counts. Reads only; scoped through `Case.objects.restrict(user, "assessment.view_figures")`.

Which cases are assessed (see docs/assessment.md for the reasoning):
* events (kind "event") with a lead unit — the unit of the last dispatch, or the grid worker's unit
  for an event handled on the spot — that were not rejected, transferred or merged;
* opened in [period_start, period_end); the backlog counts every case opened before the end;
* from a channel the scheme assesses (all channels when its list is empty);
* without an approved exclusion whose reason the scheme honours.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import Unit
from civicgrid.areas.choices import LEVEL_DIGITS, LEVEL_ORDER, AreaLevel
from civicgrid.areas.models import Area
from civicgrid.cases.choices import ClockState
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.core.errors import ServiceError
from civicgrid.events.models import Category, Satisfaction
from civicgrid.events.workflow import EventStatus

from .error_codes import AssessmentErrorCode as E
from .models import AssessmentScheme, Exclusion, ExclusionStatus, ResponseSource

VIEW = "assessment.view_figures"
FOUR_PLACES = Decimal("0.0001")
# Never handled by a unit: not the units' work, so not assessed.
NOT_ASSESSED_STATUSES = (EventStatus.REJECTED, EventStatus.TRANSFERRED, EventStatus.MERGED)

# Plain counts, in the order rows list them; each can be drilled into.
COUNTS = (
    "assessed",  # cases opened in the period (the denominator of response and reopen rates)
    "responded_on_time",
    "called_back",  # callbacks that reached the citizen (denominator of resolution and satisfaction)
    "resolved_count",
    "unresolved_count",
    "satisfied_count",
    "basically_count",
    "dissatisfied_count",
    "closed",  # closed before the period end (denominator of the on-time closure rate)
    "closed_on_time",
    "reopened",
    "backlog",  # open at the period end, whenever opened
)
GROUPS = ("unit", "area")


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    label: str = ""


def _aware(day) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if timezone.is_aware(day) else timezone.make_aware(day)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def make_period(start, end, label: str = "") -> Period:
    """A half-open period [start, end); dates mean local midnight."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise ServiceError(E.INVALID_PERIOD, _("期间的结束应晚于开始。"), field="period")
    return Period(start, end, label)


def parse_period(text: str) -> Period:
    """ "2026-11" (a month), "2026-Q4" (a quarter) or "2026" (a year), in local time."""
    text = (text or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            last = calendar.monthrange(year, month)[1]
            return make_period(
                dt.date(year, month, 1), dt.date(year, month, last) + dt.timedelta(days=1), text
            )
    elif m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        start = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
        return make_period(start, end, text)
    elif m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return make_period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), text)
    raise ServiceError(
        E.INVALID_PERIOD, _("期间格式应为 2026-11（月）、2026-Q4（季度）或 2026（年）。"), field="period"
    )


def path_length(level: str) -> int:
    """Length of an area path down to `level`: "33/3380/338001/338001001/" is 25 for a township."""
    if level not in LEVEL_DIGITS:
        raise ServiceError(E.INVALID, _("未知的区划层级。"), field="level")
    length = 0
    for lvl in LEVEL_ORDER:
        length += LEVEL_DIGITS[lvl] + 1
        if lvl == level:
            return length
    return length  # pragma: no cover


def category_family(category: Category):
    """The category and, for a 大类, its 小类 (one level, as the taxonomy has: "01" → "0101"), as a
    subquery of ids."""
    return Category.objects.filter(Q(pk=category.pk) | Q(parent=category)).values("pk")


def _candidates(
    scheme: AssessmentScheme,
    period: Period,
    user,
    area: Area | None = None,
    category: Category | None = None,
    only: Q | None = None,
):
    """Every case any figure of `period` may count (opened before its end), without the clock
    annotations; `category` (a 大类 takes in its 小类) and `only` narrow it further."""
    qs = (
        Case.objects.restrict(user, VIEW)
        .filter(kind="event", lead_unit__isnull=False, opened_at__lt=period.end)
        .exclude(status__in=NOT_ASSESSED_STATUSES)
    )
    if scheme.channels:
        qs = qs.filter(event__channel__in=scheme.channels)
    if scheme.excluded_reasons:
        excluded = Exclusion.objects.filter(
            case=OuterRef("pk"), status=ExclusionStatus.APPROVED, reason__in=scheme.excluded_reasons
        )
        qs = qs.filter(~Exists(excluded))
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if category is not None:
        qs = qs.filter(event__category__in=category_family(category))
    if only is not None:
        qs = qs.filter(only)
    return qs


def _with_clocks(qs):
    """The two annotations the conditions need: the state of the last response clock and whether a
    handling clock was missed (index-backed: deadline_case_name_start, deadline_missed_handling)."""
    last_response = (
        CaseDeadline.objects.filter(case=OuterRef("pk"), name="response")
        .order_by("-started_at", "-id")
        .values("state")[:1]
    )
    missed_handling = CaseDeadline.objects.filter(
        case=OuterRef("pk"), name="handling", state=ClockState.MISSED
    )
    return qs.annotate(last_response_state=Subquery(last_response), handling_missed=Exists(missed_handling))


def assessed_cases(
    scheme: AssessmentScheme, period: Period, user, area: Area | None = None, category: Category | None = None
):
    """Every case any figure of `period` may count (opened before its end), with the two
    annotations the conditions need: the state of the last response clock and whether a handling
    clock was missed. One queryset; the figures are conditional counts over it."""
    return _with_clocks(_candidates(scheme, period, user, area, category))


def conditions(scheme: AssessmentScheme, period: Period) -> dict[str, Q]:
    """Each count's condition over `assessed_cases` (the same Q serves the figure and its drill)."""
    in_period = Q(opened_at__gte=period.start)
    if scheme.response_source == ResponseSource.ANY_RESPONSE:
        responded = Q(event__first_response_at__isnull=False)
    else:
        # An event handled on the spot has no response clock: the grid worker was there.
        responded = Q(last_response_state=ClockState.MET) | Q(
            last_response_state__isnull=True, event__first_response_at__isnull=False
        )
    called_back = in_period & Q(event__callback_at__isnull=False, event__callback_contacted=True)
    closed = in_period & Q(closed_at__isnull=False, closed_at__lt=period.end)
    return {
        "assessed": in_period,
        "responded_on_time": in_period & responded,
        "called_back": called_back,
        "resolved_count": called_back & Q(event__callback_resolved=True),
        "unresolved_count": called_back & ~Q(event__callback_resolved=True),
        "satisfied_count": called_back & Q(event__satisfaction=Satisfaction.SATISFIED),
        "basically_count": called_back & Q(event__satisfaction=Satisfaction.BASICALLY),
        "dissatisfied_count": called_back & Q(event__satisfaction=Satisfaction.DISSATISFIED),
        "closed": closed,
        "closed_on_time": closed & Q(handling_missed=False),
        "reopened": in_period & Q(event__reopened_count__gt=0),
        "backlog": Q(closed_at__isnull=True) | Q(closed_at__gte=period.end),
    }


def _grouped(qs, group_by: str, level: str | None):
    if group_by == "unit":
        # Grouped by an expression, not the bare column: SQLite would otherwise walk the whole
        # lead-unit index for a GROUP BY without a sort rather than the period's index range.
        return qs.annotate(unit_key=F("lead_unit_id") + 0), "unit_key"
    if group_by == "area":
        length = path_length(level or AreaLevel.TOWNSHIP)
        # Cases filed above the level (at a county's own area) belong to no area of the level.
        qs = qs.annotate(path_len=Length("path"), area_key=Substr("path", 1, length)).filter(
            path_len__gte=length
        )
        return qs, "area_key"
    raise ServiceError(E.INVALID, _("分组方式应为 unit 或 area。"), field="group_by")


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _row(scheme: AssessmentScheme, counts: dict) -> dict:
    """Weighted numerators and the rates of one row, exact in Decimal."""
    resolved = (
        counts["resolved_count"] * scheme.resolved_weight
        + counts["unresolved_count"] * scheme.unresolved_weight
    )
    satisfied = (
        counts["satisfied_count"] * scheme.satisfied_weight
        + counts["basically_count"] * scheme.basically_weight
        + counts["dissatisfied_count"] * scheme.dissatisfied_weight
    )
    row = dict(counts)
    row["resolved"] = resolved.quantize(FOUR_PLACES)
    row["satisfied"] = satisfied.quantize(FOUR_PLACES)
    row["response_rate"] = _rate(counts["responded_on_time"], counts["assessed"])
    row["resolution_rate"] = _rate(resolved, counts["called_back"])
    row["satisfaction_rate"] = _rate(satisfied, counts["called_back"])
    row["on_time_rate"] = _rate(counts["closed_on_time"], counts["closed"])
    row["reopen_rate"] = _rate(counts["reopened"], counts["assessed"])
    parts = [
        (row["response_rate"], scheme.response_share),
        (row["resolution_rate"], scheme.resolution_share),
        (row["satisfaction_rate"], scheme.satisfaction_share),
    ]
    # A rate with no denominator (no callback yet) is left out and the others re-weighted, rather
    # than counted as zero: a unit is not blamed for calls the centre has not made.
    parts = [(rate, share) for rate, share in parts if rate is not None and share]
    total = sum((share for _rate_, share in parts), Decimal(0))
    row["score"] = (
        (sum((rate * share for rate, share in parts), Decimal(0)) / total).quantize(
            FOUR_PLACES, ROUND_HALF_UP
        )
        if total
        else None
    )
    row["ranked"] = counts["assessed"] >= scheme.min_sample and row["score"] is not None
    return row


def _aggregate(
    scheme: AssessmentScheme, period: Period, user, area, group_by: str, level, category=None, only=None
) -> list[dict]:
    """The counts per group in ONE statement, a UNION ALL of aggregates so that none reads
    more than it must (at millions of cases, "every case opened before the end" is the whole table):

    * the cases opened in the period, with the clock annotations: every count;
    * the cases opened before the period that were still open at its end — open now, or closed at
      or after the end, two index ranges on `closed_at`: their backlog only.

    Merged per group here. A group appears when it has a case opened in the period or a backlog;
    one whose cases all lie in earlier periods and were closed before this one's end has nothing
    to report for the period and is left out."""
    conds = conditions(scheme, period)
    current, key = _grouped(
        _with_clocks(
            _candidates(scheme, period, user, area, category, only).filter(opened_at__gte=period.start)
        ),
        group_by,
        level,
    )
    current = current.order_by().values(key).annotate(**{n: Count("pk", filter=c) for n, c in conds.items()})
    zero = Value(0, output_field=IntegerField())
    earlier = []
    # Two members rather than one OR, so that each reads its own index range (case_closed_opened):
    # open now, or closed at or after the period end.
    for still_open in (Q(closed_at__isnull=True), Q(closed_at__gte=period.end)):
        part, _key = _grouped(
            _candidates(scheme, period, user, area, category, only).filter(
                still_open, opened_at__lt=period.start
            ),
            group_by,
            level,
        )
        earlier.append(
            part.order_by()
            .values(key)
            .annotate(**{n: (Count("pk") if n == "backlog" else zero) for n in conds})
        )
    return list(_add_up(current.union(*earlier, all=True), key, conds).values())


def _add_up(rows, key: str, names, merged: dict | None = None) -> dict:
    """Rows of counts summed per `key` (into `merged` when given): {key value: row}."""
    merged = {} if merged is None else merged
    for data in rows:
        row = merged.get(data[key])
        if row is None:
            merged[data[key]] = dict(data)
        else:
            for name in names:
                row[name] += data[name]
    return merged


def figures(
    scheme: AssessmentScheme,
    *,
    period_start,
    period_end,
    group_by: str = "unit",
    area: Area | None = None,
    level: str | None = None,
    category: Category | None = None,
    user,
    source: str = "auto",
) -> list[dict]:
    """One row per unit (the case's lead unit) or per area (the case's area at `level`, township by
    default) that has a case opened in the period or a backlog at its end, with every count of
    COUNTS, the weighted `resolved` and `satisfied`, the five rates as Decimals to 4 places (None
    without a denominator), the composite `score` and the `rank` (competition ranking by score;
    None for a row with fewer assessed cases than the scheme's minimum sample). Two queries
    whatever the number of units: the aggregate (see `_aggregate`) and the names. Rows are
    ordered by rank, then unranked rows by assessed count, then by code.

    `category` (a 大类 takes in its 小类) narrows every count to the cases of that category.
    `source`: "auto" reads the per-day rollups where they can answer (see `rollup_reads`) and
    counts the rest live; "live" counts everything from the cases (the reference the tests compare
    the rollup with)."""
    period = make_period(period_start, period_end)
    if group_by not in GROUPS:
        raise ServiceError(E.INVALID, _("分组方式应为 unit 或 area。"), field="group_by")
    if group_by == "area":
        path_length(level or AreaLevel.TOWNSHIP)  # an unknown level is refused either way
    raw = _counts(scheme, period, user, area, group_by, level, category, source)
    key = "unit_key" if group_by == "unit" else "area_key"
    if group_by == "unit":
        names = {u.pk: u for u in Unit.objects.filter(pk__in=[r[key] for r in raw])}
    else:
        names = {a.path: a for a in Area.objects.filter(path__in=[r[key] for r in raw])}
    rows = []
    for data in raw:
        target = names.get(data[key])
        if target is None:  # a path with no area row (should not happen); nothing to name it by
            continue
        row = _row(scheme, {name: data[name] for name in COUNTS})
        row.update({"group_by": group_by, "id": target.pk, "code": target.code, "name": target.name})
        rows.append(row)
    ranked = sorted((r for r in rows if r["ranked"]), key=lambda r: (-r["score"], r["code"]))
    previous, position = None, 0
    for index, row in enumerate(ranked, start=1):
        if row["score"] != previous:
            position, previous = index, row["score"]
        row["rank"] = position
    unranked = sorted((r for r in rows if not r["ranked"]), key=lambda r: (-r["assessed"], r["code"]))
    for row in unranked:
        row["rank"] = None
    for row in rows:
        del row["ranked"]
    return ranked + unranked


def _counts(scheme, period: Period, user, area, group_by: str, level, category, source: str) -> list[dict]:
    """The raw counts per group: from the rollups plus the live days, or all live."""
    from . import rollup_reads

    plan = (
        None if source == "live" else rollup_reads.figure_plan(period, user, area, group_by, level, category)
    )
    if plan is None:
        return _aggregate(scheme, period, user, area, group_by, level, category)
    key = "unit_key" if group_by == "unit" else "area_key"
    merged = {row[key]: row for row in rollup_reads.figure_rows(scheme, plan, area, group_by, level)}
    live_q = rollup_reads.live_days_q(plan["dirty"], plan["today"], before=plan["end"])
    live = [] if live_q is None else _aggregate(scheme, period, user, area, group_by, level, None, live_q)
    _add_up(live, key, COUNTS, merged)
    # A group whose counts are all zero has nothing to report (the live query never yields one).
    return [row for row in merged.values() if any(row[name] for name in COUNTS)]


def cases_behind(
    scheme: AssessmentScheme,
    figure: str,
    *,
    period_start,
    period_end,
    user,
    unit: Unit | None = None,
    area: Area | None = None,
    level: str | None = None,
    category: Category | None = None,
):
    """Exactly the cases that `figure` (one of COUNTS) counts for `unit`, or for `area` — the row of
    `figures(..., group_by="area", level=...)` whose area it is (its whole subtree when no level
    is given). The count of this queryset equals the figure."""
    if figure not in COUNTS:
        raise ServiceError(E.INVALID_FIGURE, _("未知的考核指标。"), field="figure")
    period = make_period(period_start, period_end)
    qs = assessed_cases(scheme, period, user, category=category)
    if unit is not None:
        qs = qs.filter(lead_unit=unit)
    elif area is not None:
        if level:
            qs, _key = _grouped(qs, "area", level)
        qs = qs.filter(path__startswith=area.path)
    else:
        raise ServiceError(E.INVALID, _("请指定单位或区划。"), field="unit")
    return qs.filter(conditions(scheme, period)[figure]).order_by("opened_at", "id")
