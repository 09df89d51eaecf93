"""The assessment API: figures per unit or area and period, the drill-down to case numbers, the
schemes (administrators) and the exclusions (ask, decide; audited by the services)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicgrid.accounts.models import Unit
from civicgrid.areas.models import Area, Grid
from civicgrid.core.api import HoldsActionSomewhere, ScopedReadOnlyViewSet
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import path_in_scope
from civicgrid.events.models import Category, Channel

from .. import services
from ..density import event_density
from ..error_codes import AssessmentErrorCode as E
from ..models import AssessmentScheme, Exclusion
from ..queries import COUNTS, VIEW, cases_behind, figures, parse_period
from . import serializers as s

PERIOD = OpenApiParameter(
    "period", OpenApiTypes.STR, required=True, description=_("2026-11、2026-Q4 或 2026")
)
SCHEME = OpenApiParameter(
    "scheme", OpenApiTypes.INT, description=_("考核方案编号；默认为期间开始时生效的方案")
)
LEVEL = OpenApiParameter("level", OpenApiTypes.STR, description=_("区划层级：county、township、village"))
AREA = OpenApiParameter("area", OpenApiTypes.INT, description=_("区划编号"))
CATEGORY = OpenApiParameter("category", OpenApiTypes.STR, description=_("事件分类代码（大类含其小类）"))


def _int_param(request, name):
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ServiceError(E.INVALID, _("请填写整数编号。"), field=name)
    return int(raw)


def _scheme(request, period):
    pk = _int_param(request, "scheme")
    if pk is None:
        return services.scheme_for(period.start.date())
    scheme = AssessmentScheme.objects.filter(pk=pk).first()
    if scheme is None:
        raise ServiceError(E.NO_SCHEME, _("对象“%(pk)s”不存在。") % {"pk": pk}, field="scheme")
    return scheme


def _area(request, user):
    """An area the requester may view figures in; one out of reach reads as missing."""
    pk = _int_param(request, "area")
    if pk is None:
        return None
    area = Area.objects.filter(pk=pk).first()
    if area is None or not path_in_scope(user, VIEW, area.path):
        raise ServiceError("not_found", _("对象“%(pk)s”不存在。") % {"pk": pk}, field="area")
    return area


def _category(request):
    """The category named by `?category=<code>` (a 大类 takes in its 小类), or None."""
    code = request.query_params.get("category", "").strip()
    if not code:
        return None
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ServiceError(E.INVALID, _("未知的事件分类。"), field="category")
    return category


class FiguresViewSet(viewsets.ViewSet):
    """Figures are read by whoever holds `assessment.view_figures` somewhere; the cases behind
    them are restricted to the requester's scope by the queries."""

    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]

    def scope_action(self, action=None):
        return VIEW

    @extend_schema(
        summary=_("考核数据（三率、按期办结率、重办率、积压）"),
        parameters=[
            PERIOD,
            SCHEME,
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=["unit", "area"], description=_("按单位或区划")
            ),
            LEVEL,
            AREA,
            CATEGORY,
        ],
        responses=s.FiguresSerializer,
    )
    def list(self, request):
        period = parse_period(request.query_params.get("period", ""))
        scheme = _scheme(request, period)
        category = _category(request)
        rows = figures(
            scheme,
            period_start=period.start,
            period_end=period.end,
            group_by=request.query_params.get("group_by") or "unit",
            level=request.query_params.get("level") or None,
            area=_area(request, request.user),
            category=category,
            user=request.user,
        )
        data = {
            "scheme": scheme,
            "period": period.label,
            "period_start": period.start,
            "period_end": period.end,
            "rows": rows,
        }
        return Response(s.FiguresSerializer(data).data)

    @extend_schema(
        summary=_("考核数据下钻：某项指标所计的案件"),
        parameters=[
            PERIOD,
            SCHEME,
            OpenApiParameter("figure", OpenApiTypes.STR, required=True, enum=[*COUNTS]),
            OpenApiParameter("unit", OpenApiTypes.INT, description=_("单位编号")),
            AREA,
            LEVEL,
            CATEGORY,
        ],
        responses=s.DrillSerializer,
    )
    @action(detail=False, methods=["get"])
    def drill(self, request):
        period = parse_period(request.query_params.get("period", ""))
        scheme = _scheme(request, period)
        unit_pk = _int_param(request, "unit")
        unit = None
        if unit_pk is not None:
            unit = Unit.objects.filter(pk=unit_pk).first()
            if unit is None:
                raise ServiceError("not_found", _("对象“%(pk)s”不存在。") % {"pk": unit_pk}, field="unit")
        figure = request.query_params.get("figure", "")
        qs = cases_behind(
            scheme,
            figure,
            period_start=period.start,
            period_end=period.end,
            user=request.user,
            unit=unit,
            area=_area(request, request.user),
            level=request.query_params.get("level") or None,
            category=_category(request),
        )
        numbers = list(qs.values_list("number", flat=True))
        return Response(s.DrillSerializer({"figure": figure, "count": len(numbers), "cases": numbers}).data)


class DensityViewSet(viewsets.ViewSet):
    """Events per grid in a period (the dashboard's density map), for whoever holds
    `assessment.view_figures` somewhere; the cases counted are restricted to the requester's scope,
    and an area out of reach is answered like a missing one."""

    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]

    def scope_action(self, action=None):
        return VIEW

    @extend_schema(
        summary=_("网格事件密度：期间内各网格的事件数"),
        parameters=[
            PERIOD,
            AREA,
            CATEGORY,
            OpenApiParameter("channel", OpenApiTypes.STR, enum=[*Channel.values], description=_("来源渠道")),
        ],
        responses=s.DensitySerializer,
    )
    def list(self, request):
        period = parse_period(request.query_params.get("period", ""))
        area = _area(request, request.user)
        category = _category(request)
        channel = request.query_params.get("channel", "").strip()
        if channel and channel not in Channel.values:
            raise ServiceError(E.INVALID_CHANNEL, _("未知的来源渠道。"), field="channel")
        density = event_density(request.user, period, area, category, channels=[channel] if channel else None)
        grids = Grid.objects.filter(pk__in=list(density)).values_list("pk", "code", "name")
        rows = sorted(
            ({"id": pk, "code": code, "name": name, "count": density[pk]} for pk, code, name in grids),
            key=lambda r: (-r["count"], r["code"]),
        )
        data = {
            "period": period.label,
            "period_start": period.start,
            "period_end": period.end,
            "total": sum(density.values()),
            "grids": rows,
        }
        return Response(s.DensitySerializer(data).data)


@extend_schema_view(
    list=extend_schema(summary=_("考核方案列表")),
    retrieve=extend_schema(summary=_("考核方案详情")),
    create=extend_schema(
        summary=_("新建考核方案或其新版本"),
        request=s.SchemeCreateSerializer,
        responses={201: s.SchemeSerializer},
    ),
    partial_update=extend_schema(
        summary=_("修改方案名称、生效日期或启用状态"),
        request=s.SchemeUpdateSerializer,
        responses=s.SchemeSerializer,
    ),
)
class SchemeViewSet(viewsets.ModelViewSet):
    """Schemes are city-wide data: read by whoever may view them anywhere, written by the services
    (which require the permission over the whole city). The formula of a saved version is fixed;
    a change is a new version (POST with the same code). No delete: deactivate instead."""

    queryset = AssessmentScheme.objects.all()
    serializer_class = s.SchemeSerializer
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    http_method_names = ["get", "post", "patch", "head", "options"]
    pagination_class = None

    def scope_action(self, action=None):
        verb = {"create": "add", "partial_update": "change"}.get(action or self.action, "view")
        return f"assessment.{verb}_assessmentscheme"

    def create(self, request, *args, **kwargs):
        serializer = s.SchemeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scheme = services.do_create_scheme(actor=request.user, **serializer.validated_data)
        return Response(s.SchemeSerializer(scheme).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        scheme = self.get_object()
        serializer = s.SchemeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        scheme = services.do_update_scheme(scheme, actor=request.user, **serializer.validated_data)
        return Response(s.SchemeSerializer(scheme).data)


@extend_schema_view(
    list=extend_schema(summary=_("考核剔除列表")),
    retrieve=extend_schema(summary=_("考核剔除详情")),
)
class ExclusionViewSet(ScopedReadOnlyViewSet):
    queryset = Exclusion.objects.select_related("case")
    serializer_class = s.ExclusionSerializer
    verb_for_action = {"list": "view", "retrieve": "view", "create": "add", "decide": "approve"}

    @extend_schema(
        summary=_("申请剔除案件"), request=s.ExclusionCreateSerializer, responses={201: s.ExclusionSerializer}
    )
    def create(self, request):
        serializer = s.ExclusionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exclusion = services.do_request_exclusion(actor=request.user, **serializer.validated_data)
        return Response(s.ExclusionSerializer(exclusion).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("审批剔除申请"), request=s.ExclusionDecisionSerializer, responses=s.ExclusionSerializer
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        serializer = s.ExclusionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not str(pk).isdigit():
            raise ServiceError("not_found", _("对象不存在。"))
        with transaction.atomic():
            exclusion = services.do_decide_exclusion(int(pk), actor=request.user, **serializer.validated_data)
        return Response(s.ExclusionSerializer(exclusion).data)
