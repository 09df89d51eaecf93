"""The leaders' dashboard (领导驾驶舱): the figures of `queries.figures` by unit as charts and a
sortable table, each figure linking to the cases behind it; a grid map of event density
(`density.event_density`); the supervised (督办/挂牌) cases; filters by period, area, category and
channel. Reads only.

Scope: everything goes through `assessment.view_figures` — a township officer sees its township,
a leader the city. A user who holds the permission nowhere gets 403 (the answer reveals nothing);
an area, unit or grid out of reach is answered like a missing one.

Filters: the category (a 大类 takes in its 小类) narrows the figures, the map and the supervised
list alike, and the drill-down links carry it; a channel narrows the scheme's own channel list (an
in-memory copy of the scheme, never saved), so the figures and their drill-downs agree.
"""

from __future__ import annotations

import copy
import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from civicgrid.accounts.models import Unit
from civicgrid.areas.choices import AreaLevel
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.choices import Supervision
from civicgrid.cases.models import Case
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import path_in_scope, scope_paths
from civicgrid.events.models import Category, Channel

from . import services
from .density import category_family, density_cases, event_density
from .models import AssessmentScheme
from .queries import COUNTS, VIEW, Period, cases_behind, figures, make_period, parse_period

# Grids drawn on the map at most (the area browser's limit); a city past it picks an area.
MAP_GRID_LIMIT = 5000
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
SUPERVISED_LIMIT = 20
DRILL_PAGE_SIZE = 50
# Levels offered in the area filter: a city has thousands of villages, too many for a dropdown.
FILTER_LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)

PERIOD_KINDS = (
    ("month", gettext_lazy("月度")),
    ("quarter", gettext_lazy("季度")),
    ("year", gettext_lazy("年度")),
    ("custom", gettext_lazy("自定义")),
)
# Each rate of a row, the count its drill-down lists (the numerator) and the denominator.
RATES = (
    ("response_rate", gettext_lazy("响应率"), "responded_on_time", "assessed"),
    ("resolution_rate", gettext_lazy("解决率"), "resolved_count", "called_back"),
    ("satisfaction_rate", gettext_lazy("满意率"), "satisfied_count", "called_back"),
    ("on_time_rate", gettext_lazy("按期办结率"), "closed_on_time", "closed"),
    ("reopen_rate", gettext_lazy("重办率"), "reopened", "assessed"),
)
# Their numerators are weighted sums (基本满意 at 0.8 …), not a count of cases: the table shows
# only their denominator beside the rate, and the rate links to the plain count's cases.
WEIGHTED_RATES = ("resolution_rate", "satisfaction_rate")
COUNT_LABELS = {
    "assessed": gettext_lazy("考核件数"),
    "responded_on_time": gettext_lazy("按时响应"),
    "called_back": gettext_lazy("回访联系上"),
    "resolved_count": gettext_lazy("已解决"),
    "unresolved_count": gettext_lazy("未解决"),
    "satisfied_count": gettext_lazy("满意"),
    "basically_count": gettext_lazy("基本满意"),
    "dissatisfied_count": gettext_lazy("不满意"),
    "closed": gettext_lazy("已办结"),
    "closed_on_time": gettext_lazy("按期办结"),
    "reopened": gettext_lazy("重办"),
    "backlog": gettext_lazy("积压"),
    "density": gettext_lazy("网格事件"),
}


def _require_view(user) -> None:
    if not scope_paths(user, VIEW):
        raise PermissionDenied  # holds the permission nowhere: the answer reveals nothing


def filter_areas(user):
    return Area.objects.restrict(user, VIEW).filter(is_active=True, level__in=FILTER_LEVELS).order_by("path")


class DashboardFilterForm(forms.Form):
    """The period (a month, a quarter, a year or custom dates, end day included), the area within
    the reader's scope, the category and the channel. Shape only; `filters()` builds the Period."""

    kind = forms.ChoiceField(label=gettext_lazy("统计周期"), choices=PERIOD_KINDS, required=False)
    month = forms.CharField(
        label=gettext_lazy("月份"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    quarter = forms.CharField(
        label=gettext_lazy("季度"), required=False, widget=forms.TextInput(attrs={"placeholder": "2026-Q4"})
    )
    year = forms.IntegerField(label=gettext_lazy("年份"), required=False, min_value=2000, max_value=2100)
    start = forms.DateField(
        label=gettext_lazy("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    area = forms.ModelChoiceField(
        label=gettext_lazy("区划"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("事件分类"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    channel = forms.ChoiceField(label=gettext_lazy("来源渠道"), required=False)

    def __init__(self, *args, user, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # An area out of reach is not in the list: it is answered like an unknown one.
        self.fields["area"].queryset = filter_areas(user)
        self.fields["category"].queryset = Category.objects.order_by("code")
        self.fields["channel"].choices = [("", _("全部")), *Channel.choices]
        self.fields["kind"].initial = "month"
        self.fields["month"].initial = today.strftime("%Y-%m")

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or "month"
        data["kind"] = kind
        try:
            data["period"] = self._period(kind, data)
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def _period(self, kind: str, data) -> Period | None:
        today = self.today
        if kind == "month":
            text = (data.get("month") or "").strip() or today.strftime("%Y-%m")
            return _period_or_error(text, "month")
        if kind == "quarter":
            text = (data.get("quarter") or "").strip() or f"{today.year}-Q{(today.month - 1) // 3 + 1}"
            return _period_or_error(text, "quarter")
        if kind == "year":
            return parse_period(str(data.get("year") or today.year))
        start, end = data.get("start"), data.get("end")
        if start is None:
            raise ServiceError("invalid_period", _("请填写开始日期。"), field="start")
        if end is None:
            raise ServiceError("invalid_period", _("请填写结束日期。"), field="end")
        if end < start:
            raise ServiceError("invalid_period", _("结束日期不能早于开始日期。"), field="end")
        label = f"{start:%Y-%m-%d}~{end:%Y-%m-%d}"
        return make_period(start, end + dt.timedelta(days=1), label)


def _period_or_error(text: str, field: str) -> Period:
    try:
        return parse_period(text)
    except ServiceError as exc:
        raise ServiceError(exc.code, exc.message, field=field) from exc


def effective_scheme(period: Period, channel: str) -> tuple[AssessmentScheme, bool]:
    """The scheme in force for the period (or, where an office has saved none yet, the model's
    defaults, unsaved) narrowed to `channel`; the flag says whether the channel is assessed at all
    (when it is not, no figure counts anything)."""
    try:
        scheme = services.scheme_for(period.start.date())
    except ServiceError:
        scheme = AssessmentScheme(code="default", name=_("默认考核参数"), version=0)
    if not channel:
        return scheme, True
    if scheme.channels and channel not in scheme.channels:
        return scheme, False
    narrowed = copy.copy(scheme)  # never saved: only the channel list differs
    narrowed.channels = [channel]
    return narrowed, True


def _period_params(period: Period) -> dict[str, str]:
    """The period as drill-down URL parameters (custom periods as explicit dates)."""
    if period.label and "~" not in period.label:
        return {"period": period.label}
    end = timezone.localtime(period.end).date() - dt.timedelta(days=1)
    return {"start": timezone.localtime(period.start).date().isoformat(), "end": end.isoformat()}


def _percent(value) -> float | None:
    return None if value is None else round(float(value * 100), 2)


def _rows_for_page(rows, base: dict[str, str]) -> list[dict]:
    drill = reverse("assessment:drill")
    out = []
    for row in rows:
        links = {name: f"{drill}?{urlencode({**base, 'figure': name, 'unit': row['id']})}" for name in COUNTS}
        out.append(
            {
                "id": row["id"],
                "code": row["code"],
                "name": row["name"],
                "rank": row["rank"],
                "score": _percent(row["score"]),
                "counts": {name: row[name] for name in COUNTS},
                "links": links,
                "rates": [
                    {
                        "key": key,
                        "label": str(label),
                        "value": _percent(row[key]),
                        "numerator": None if key in WEIGHTED_RATES else row[num],
                        "denominator": row[den],
                        "link": links[num],
                        "denominator_link": links[den],
                    }
                    for key, label, num, den in RATES
                ],
            }
        )
    return out


def _map_features(user, area: Area | None, density: dict[int, int], base: dict[str, str]) -> dict:
    """The grids in reach (under `area`) as a FeatureCollection with each grid's event count and the
    link to its cases; boundaries go out as stored text, never decoded (thousands of polygons)."""
    grids = Grid.objects.restrict(user, VIEW).filter(is_active=True)
    if area is not None:
        grids = grids.filter(path__startswith=area.path)
    total = grids.count()
    rows = (
        grids.order_by("code")
        .annotate(boundary_json=Cast("boundary", TextField()))
        .values_list("pk", "code", "name", "boundary_json")[:MAP_GRID_LIMIT]
    )
    drill = reverse("assessment:drill")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = []
    for pk, code, name, boundary in rows:
        count = density.get(pk, 0)
        properties = {
            "id": pk,
            "code": code,
            "name": name,
            "count": count,
            "url": f"{drill}?{urlencode({**base, 'figure': 'density', 'grid': pk})}",
        }
        geometry = boundary if boundary and boundary != "null" else "null"
        parts.append(
            f'{{"type":"Feature","id":{dumps(code)},"geometry":{geometry},"properties":{dumps(properties)}}}'
        )
    text = f'{{"type":"FeatureCollection","features":[{",".join(parts)}]}}'
    return {
        # Safe inside <script type="application/json">: no "<", ">" or "&" left to close the element
        # (grid names come from imported files), exactly as Django's json_script escapes.
        "json": mark_safe(text.translate(JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped on the line above
        "total": total,
        "truncated": total > MAP_GRID_LIMIT,
        "events": sum(density.values()),
        "max": max(density.values(), default=0),
    }


def supervised_cases(user, area: Area | None, category: Category | None, channel: str):
    """Open cases under supervision (督办/挂牌) in reach, most recent first."""
    qs = (
        Case.objects.restrict(user, VIEW)
        .filter(closed_at__isnull=True)
        .exclude(supervision=Supervision.NONE)
        .select_related("area", "grid", "lead_unit")
        .order_by("-opened_at", "-id")
    )
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    if category is not None:
        qs = qs.filter(event__category__in=category_family(category))
    if channel:
        qs = qs.filter(event__channel=channel)
    return qs


@login_required
@require_GET
def dashboard(request):
    """/dashboard/: the figures by unit, the density map and the supervised cases, filtered."""
    user = request.user
    _require_view(user)
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, user=user, today=today)
    context = {"form": form, "period_kinds": PERIOD_KINDS}
    if request.GET and not form.is_valid():
        return render(request, "assessment/dashboard.html", context)
    data = form.cleaned_data if request.GET else {"kind": "month", "period": parse_period(f"{today:%Y-%m}")}
    period: Period = data["period"]
    area, category, channel = data.get("area"), data.get("category"), data.get("channel") or ""
    scheme, channel_assessed = effective_scheme(period, channel)
    base = {**_period_params(period)}
    if area is not None:
        base["area"] = str(area.pk)
    if channel:
        base["channel"] = channel
    if category is not None:
        base["category"] = category.code
    rows = []
    if channel_assessed:
        rows = figures(
            scheme,
            period_start=period.start,
            period_end=period.end,
            group_by="unit",
            area=area,
            category=category,
            user=user,
        )
    base_figures = {**base, "scheme": str(scheme.pk)} if scheme.pk else base
    density_base = base
    density = event_density(user, period, area, category, channels=[channel] if channel else None)
    page_rows = _rows_for_page(rows, base_figures)
    supervised = supervised_cases(user, area, category, channel)
    context.update(
        {
            "period": period,
            "period_end_day": timezone.localtime(period.end).date() - dt.timedelta(days=1),
            "period_start_day": timezone.localtime(period.start).date(),
            "scheme": scheme,
            "channel_assessed": channel_assessed,
            "area": area,
            "category": category,
            "rows": page_rows,
            "ranked_count": sum(1 for r in page_rows if r["rank"] is not None),
            "rate_labels": [str(label) for _key, label, _n, _d in RATES],
            "chart_data": {
                "units": [r["name"] for r in page_rows],
                "ranked": [r["rank"] is not None for r in page_rows],
                "rates": {r_key: [_rate_of(r, r_key) for r in page_rows] for r_key, *_ in RATES},
                "backlog": [r["counts"]["backlog"] for r in page_rows],
                "links": {
                    **{r_key: [_rate_link(r, r_key) for r in page_rows] for r_key, *_ in RATES},
                    "backlog": [r["links"]["backlog"] for r in page_rows],
                },
                "labels": {
                    **{key: str(label) for key, label, _n, _d in RATES},
                    "backlog": str(COUNT_LABELS["backlog"]),
                    "unranked": _("样本不足，不参与排名"),
                    "backlog_axis": _("积压（件）"),
                    "count_unit": _("件"),
                },
                "min_sample": scheme.min_sample,
            },
            "map": _map_features(user, area, density, density_base),
            "supervised": supervised[:SUPERVISED_LIMIT],
            "supervised_total": supervised.count(),
            "inbox_supervised_url": f"{reverse('cases:inbox')}?queue=supervised",
        }
    )
    return render(request, "assessment/dashboard.html", context)


def _rate_of(row: dict, key: str) -> float | None:
    return next(r["value"] for r in row["rates"] if r["key"] == key)


def _rate_link(row: dict, key: str) -> str:
    return next(r["link"] for r in row["rates"] if r["key"] == key)


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


def _drill_period(request) -> Period:
    if request.GET.get("start") or request.GET.get("end"):
        try:
            start = dt.date.fromisoformat(request.GET.get("start", ""))
            end = dt.date.fromisoformat(request.GET.get("end", ""))
        except ValueError as exc:
            raise ServiceError("invalid_period", _("日期格式应为 2026-11-01。"), field="start") from exc
        if end < start:
            raise ServiceError("invalid_period", _("结束日期不能早于开始日期。"), field="end")
        return make_period(start, end + dt.timedelta(days=1), f"{start}~{end}")
    return parse_period(request.GET.get("period", ""))


@login_required
@require_GET
def drill(request):
    """/dashboard/cases/: exactly the cases a figure counts — `figure` one of COUNTS with `unit`
    (the row of the figures table), or `figure=density` with `grid` (a polygon of the map).
    An area, unit or grid out of reach is a 404 like a missing one."""
    user = request.user
    _require_view(user)
    try:
        period = _drill_period(request)
        qs, subject = _drill_queryset(request, user, period)
    except ServiceError as exc:
        return render(
            request,
            "assessment/drill.html",
            {"error": exc.message, "back_url": reverse("assessment:dashboard")},
            status=400,
        )
    figure = request.GET.get("figure", "")
    paginator = Paginator(qs.select_related("area", "grid", "lead_unit"), DRILL_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    back = f"{reverse('assessment:dashboard')}?{urlencode(_dashboard_params(request, period))}"
    return render(
        request,
        "assessment/drill.html",
        {
            "figure": figure,
            "figure_label": COUNT_LABELS.get(figure, figure),
            "subject": subject,
            "period": period,
            "period_start_day": timezone.localtime(period.start).date(),
            "period_end_day": timezone.localtime(period.end).date() - dt.timedelta(days=1),
            "page": page,
            "query": query.urlencode(),
            "back_url": back,
        },
    )


def _dashboard_params(request, period: Period) -> dict[str, str]:
    """The dashboard's filters that lead back from a drill-down to the page it came from."""
    label = period.label
    if "~" in label:
        params = {"kind": "custom", **_period_params(period)}
    elif "-Q" in label.upper():
        params = {"kind": "quarter", "quarter": label}
    elif "-" in label:
        params = {"kind": "month", "month": label}
    else:
        params = {"kind": "year", "year": label}
    for name in ("area", "category", "channel"):
        if value := request.GET.get(name, ""):
            params[name] = value
    return params


def _drill_area(request, user) -> Area | None:
    pk = _int_param(request, "area")
    if pk is None:
        return None
    area = Area.objects.filter(pk=pk).first()
    if area is None or not path_in_scope(user, VIEW, area.path):
        raise Http404
    return area


def _drill_category(request) -> Category | None:
    code = request.GET.get("category", "")
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ServiceError("invalid", _("未知的事件分类。"), field="category")
    return category


def _drill_queryset(request, user, period: Period):
    figure = request.GET.get("figure", "")
    area = _drill_area(request, user)
    channel = request.GET.get("channel", "")
    if channel and channel not in Channel.values:
        raise ServiceError("invalid", _("未知的来源渠道。"), field="channel")
    category = _drill_category(request)
    if figure == "density":
        grid_pk = _int_param(request, "grid")
        grid = Grid.objects.restrict(user, VIEW).filter(pk=grid_pk).first() if grid_pk else None
        if grid is None:
            raise Http404
        qs = density_cases(user, period, area, category, [channel] if channel else None).filter(grid=grid)
        return qs.order_by("opened_at", "id"), grid.name
    unit_pk = _int_param(request, "unit")
    unit = Unit.objects.filter(pk=unit_pk).first() if unit_pk else None
    if unit is None:
        raise Http404
    scheme_pk = _int_param(request, "scheme")
    if scheme_pk is not None:
        scheme = AssessmentScheme.objects.filter(pk=scheme_pk).first()
        if scheme is None:
            raise Http404
        if channel:
            if scheme.channels and channel not in scheme.channels:
                return Case.objects.none(), unit.name
            scheme = copy.copy(scheme)
            scheme.channels = [channel]
    else:
        scheme, assessed = effective_scheme(period, channel)
        if not assessed:
            return Case.objects.none(), unit.name
    qs = cases_behind(
        scheme,
        figure,
        period_start=period.start,
        period_end=period.end,
        user=user,
        unit=unit,
        category=category,
    )
    if area is not None:
        qs = qs.filter(path__startswith=area.path)
    return qs, unit.name
