"""Reads of the petition pages and API: the scoped list with its drill-down filters, and the
figures (on-time transfer, acceptance and handling rates, repeat-petition rate) by handling organ
or by county/township, each row linking to its cases.

Rates (no statute fixes the formulas; the usual reading of 按期率):
* on-time X rate = X clocks stopped in time / X clocks that are decided (stopped, or still running
  past their deadline). Running clocks within their limit are not counted yet. Clocks are the
  kernel's CaseDeadline rows ("transfer", "acceptance", "handling"); a cancelled one is not counted.
* repeat rate = petitions registered as a repeat of an earlier one (重复信访) / petitions.
Petitions are counted by the time they were received, within the reader's scope for
`petitions.view_petition_figures` (confidential 检举控告 only for the discipline-inspection role).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.core.deadlines import LOCAL_TZ

from .choices import COLLECTIVE_SIZE

FIGURES = "petitions.view_petition_figures"
VIEW = "cases.view_case"
CLOCKS = ("transfer", "acceptance", "handling")
METRICS = ("repeat", "collective", *(f"{c}_late" for c in CLOCKS))
NONE_KEY = "none"
AREA_LEVELS = {"area": 3, "township": 4}  # group by county or by township: the path segment


def petitions(user, action: str = VIEW) -> QuerySet:
    return (
        Case.objects.restrict(user, action)
        .filter(kind="petition")
        .select_related("petition", "petition__organ", "area", "lead_unit")
    )


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ)


def in_period(qs: QuerySet, since: dt.date | None, until: dt.date | None) -> QuerySet:
    if since:
        qs = qs.filter(petition__received_at__gte=_start(since))
    if until:
        qs = qs.filter(petition__received_at__lt=_start(until + dt.timedelta(days=1)))
    return qs


def _late_q(clock: str, now) -> Q:
    late = CaseDeadline.objects.filter(name=clock).filter(
        Q(state="missed") | Q(state__in=("running", "paused"), due_at__lte=now)
    )
    return Q(pk__in=late.values("case_id"))


def _area_code(path: str, by_level: int = 3) -> str:
    """The code of the case's county (3) or township (4) from its path: "33/3380/338001/…" → 338001."""
    parts = path.strip("/").split("/")
    return parts[by_level - 1] if len(parts) >= by_level else parts[-1]


def drill(qs: QuerySet, *, group: str = "", metric: str = "", now=None) -> QuerySet:
    """The cases behind one figure: `group` "unit:<id>", "unit:none" or "area:<code prefix>";
    `metric` one of METRICS (empty: all petitions of the group)."""
    now = now or timezone.now()
    if group.startswith("unit:"):
        key = group.removeprefix("unit:")
        qs = qs.filter(petition__organ__isnull=True) if key == NONE_KEY else qs.filter(petition__organ_id=key)
    elif group.startswith("area:"):
        code = group.removeprefix("area:")
        qs = qs.filter(Q(path__contains=f"/{code}/") | Q(path__startswith=f"{code}/"))
    if metric == "repeat":
        qs = qs.filter(petition__repeat_of__isnull=False)
    elif metric == "collective":
        qs = qs.filter(petition__people_count__gte=COLLECTIVE_SIZE)
    elif metric.endswith("_late") and metric.removesuffix("_late") in CLOCKS:
        qs = qs.filter(_late_q(metric.removesuffix("_late"), now))
    return qs


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(user, *, since=None, until=None, by: str = "unit", now=None) -> dict:
    """Rows of figures grouped by handling organ (`by="unit"`), county (`by="area"`) or township
    (`by="township"`), and a total."""
    now = now or timezone.now()
    cases = in_period(petitions(user, FIGURES), since, until)
    rows: dict[str, dict] = {}
    names: dict[str, str] = {}
    case_group: dict[int, str] = {}
    fields = ("pk", "path", "petition__organ_id", "petition__organ__name", "petition__repeat_of_id")
    for pk, path, organ_id, organ_name, repeat_of, people in cases.order_by().values_list(
        *fields, "petition__people_count"
    ):
        if by in AREA_LEVELS:
            key = f"area:{_area_code(path, AREA_LEVELS[by])}"
        else:
            key = f"unit:{organ_id or NONE_KEY}"
            names[key] = organ_name or ""
        case_group[pk] = key
        row = rows.setdefault(key, defaultdict(int))
        row["total"] += 1
        row["repeat"] += 1 if repeat_of else 0
        row["collective"] += 1 if people >= COLLECTIVE_SIZE else 0
    # A subquery, not a list of ids: a city's year of petitions is more than SQLite's variable limit.
    deadlines = CaseDeadline.objects.filter(
        case_id__in=cases.order_by().values("pk"), name__in=CLOCKS
    ).exclude(state="cancelled")
    for case_id, name, state, due_at in deadlines.values_list(
        "case_id", "name", "state", "due_at"
    ).iterator():
        row = rows[case_group[case_id]]
        late = state == "missed" or (state in ("running", "paused") and due_at <= now)
        decided = late or state == "met"
        row[f"{name}_decided"] += 1 if decided else 0
        row[f"{name}_on_time"] += 1 if state == "met" else 0
        row[f"{name}_late"] += 1 if late else 0
    if by in AREA_LEVELS:
        wanted = {k.removeprefix("area:").ljust(12, "0"): k for k in rows}
        for area in Area.objects.filter(code__in=list(wanted)):
            names[wanted[area.code]] = area.name
    out = []
    total: dict = defaultdict(int)
    for key, row in sorted(rows.items(), key=lambda kv: -kv[1]["total"]):
        for k, v in row.items():
            total[k] += v
        out.append(_row(key, names.get(key, ""), row))
    return {"rows": out, "total": _row("", "", total), "by": by}


def _row(key: str, name: str, row: dict) -> dict:
    result = {
        "group": key,
        "name": name,
        "total": row.get("total", 0),
        "repeat": row.get("repeat", 0),
        "collective": row.get("collective", 0),
        "repeat_rate": _rate(row.get("repeat", 0), row.get("total", 0)),
    }
    for clock in CLOCKS:
        decided = row.get(f"{clock}_decided", 0)
        result[f"{clock}_decided"] = decided
        result[f"{clock}_late"] = row.get(f"{clock}_late", 0)
        result[f"{clock}_rate"] = _rate(row.get(f"{clock}_on_time", 0), decided)
    return result
