"""The disputes API under /api/v1/: disputes (register, list, detail with masked parties, workflow
actions with `expected_version`, sessions, visits, grading, parties and their logged reveal, the
agreement as PDF/DOCX, conversion from an event, the red list, the mediation figures), mediation
organisations and the risk schemes.

Every read goes through `restrict`: a dispute out of reach is a 404 exactly like a missing one;
writes go through the services (ServiceError → 400 naming the field, NotPermitted → 404)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from civicgrid.areas.models import Area, Grid
from civicgrid.cases.models import Case
from civicgrid.cases.parties import do_reveal_party
from civicgrid.core.api import HoldsActionSomewhere, ScopedModelViewSet
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import path_in_scope

from .. import organisations, queries, risk, services, steps
from ..choices import DisputeSource, DisputeType
from ..documents import do_download_agreement
from ..error_codes import DisputeErrorCode
from ..models import MediationOrganisation, RiskScheme
from ..workflow import DisputeStatus
from . import serializers as s

VIEW = "cases.view_case"
REPORT = "disputes.report_dispute"


class DisputeFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices)
    dispute_type = django_filters.ChoiceFilter(
        field_name="dispute__dispute_type", choices=DisputeType.choices
    )
    source = django_filters.ChoiceFilter(field_name="dispute__source", choices=DisputeSource.choices)
    risk_level = django_filters.CharFilter(field_name="dispute__risk_level")
    area = django_filters.CharFilter(method="in_area", label=_("区划代码（含下级）"))
    organisation = django_filters.NumberFilter(field_name="dispute__organisation")
    mine = django_filters.BooleanFilter(method="mediated_by_me", label=_("我调解的"))

    class Meta:
        model = Case
        fields = ["status", "dispute_type", "source", "risk_level", "area", "organisation", "mine"]

    def mediated_by_me(self, qs, name, value):
        return qs.filter(dispute__mediators=self.request.user) if value else qs

    def in_area(self, qs, name, value):
        area = Area.objects.filter(code=value).first()
        return qs.filter(path__startswith=area.path) if area else qs.none()


def _period(params) -> tuple[dt.datetime | None, dt.datetime | None]:
    bounds = []
    for key in ("start", "end"):
        raw = (params.get(key) or "").strip()
        if not raw:
            bounds.append(None)
            continue
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise ServiceError(
                DisputeErrorCode.INVALID_DATE, _("日期格式应为 YYYY-MM-DD"), field=key
            ) from None
        moment = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ)
        bounds.append(moment + dt.timedelta(days=1) if key == "end" else moment)
    return bounds[0], bounds[1]


GROUP_PARAM = OpenApiParameter("group", OpenApiTypes.STR, enum=list(queries.GROUPS))
PERIOD_PARAMS = [OpenApiParameter("start", OpenApiTypes.DATE), OpenApiParameter("end", OpenApiTypes.DATE)]


@extend_schema_view(
    list=extend_schema(summary=_("矛盾纠纷列表（按权限范围）")),
    retrieve=extend_schema(summary=_("矛盾纠纷详情（当事人脱敏、调解记录、回访、时限、时间线与可执行操作）")),
)
class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Case.objects.filter(kind="dispute").select_related(
        "area", "grid", "dispute", "dispute__source_case"
    )
    serializer_class = s.DisputeSerializer
    filterset_class = DisputeFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    lookup_value_regex = r"\d+"

    def scope_action(self, action=None):
        name = action or self.action
        if name in ("create", "convert"):
            return REPORT
        if name in ("figures", "figure_cases"):
            return queries.FIGURES
        return VIEW

    def get_queryset(self):
        qs = self.queryset.all().restrict(self.request.user, VIEW).order_by("-opened_at", "-pk")
        if self.action != "list":
            qs = qs.prefetch_related(
                "timeline", "deadlines", "sessions", "follow_up_visits", "dispute__mediators"
            )
        return qs

    def get_serializer_class(self):
        return s.DisputeSerializer if self.action in ("list", "red") else s.DisputeDetailSerializer

    def _detail(self, case, code=status.HTTP_200_OK):
        fresh = self.queryset.prefetch_related(
            "timeline", "deadlines", "sessions", "follow_up_visits", "dispute__mediators"
        ).get(pk=case.pk)
        return Response(
            s.DisputeDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        summary=_("登记矛盾纠纷（含当事人）"),
        request=s.DisputeCreateSerializer,
        responses={201: s.DisputeDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = s.DisputeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        grid_code, area_code = data.pop("grid"), data.pop("area")
        grid = Grid.objects.filter(code=grid_code).select_related("village").first() if grid_code else None
        if grid_code and (grid is None or not path_in_scope(request.user, REPORT, grid.path)):
            raise ServiceError(DisputeErrorCode.INVALID_SOURCE, _("网格不存在"), field="grid")
        area = (
            grid.village
            if grid is not None
            else Area.objects.filter(code=area_code).first()
            if area_code
            else None
        )
        if area is None or not path_in_scope(request.user, REPORT, area.path):
            raise ServiceError(DisputeErrorCode.INVALID_SOURCE, _("区划不存在"), field="area")
        case = services.do_register_dispute(actor=request.user, area=area, grid=grid, **data)
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("事件转为矛盾纠纷"),
        request=s.DisputeConvertSerializer,
        responses={201: s.DisputeDetailSerializer},
    )
    @action(detail=False, methods=["post"])
    def convert(self, request):
        body = s.DisputeConvertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        event = Case.objects.restrict(request.user, VIEW).filter(pk=data.pop("event"), kind="event").first()
        if event is None:
            raise NotFound()
        case = services.do_convert_event_to_dispute(event, actor=request.user, **data)
        return self._detail(case, status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("对纠纷执行流程操作（受理、开始调解、达成协议、调解不成、司法确认、分流、结案、撤回…）"),
        request=s.DisputeActionRequestSerializer,
        responses={200: s.DisputeDetailSerializer, 400: OpenApiResponse(description=_("输入有误或版本冲突"))},
        parameters=[OpenApiParameter("action_name", OpenApiTypes.STR, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[a-z_]+)")
    def take_action(self, request, pk=None, action_name=None):
        case = self.get_object()
        body = s.DisputeActionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payload = dict(body.validated_data)
        case = services.do_dispute_action(
            case,
            action_name,
            actor=request.user,
            expected_version=payload.pop("expected_version"),
            note=payload.pop("note", ""),
            **payload,
        )
        return self._detail(case)

    @extend_schema(
        summary=_("记录调解"),
        request=s.MediationSessionInputSerializer,
        responses={201: s.MediationSessionSerializer},
    )
    @action(detail=True, methods=["post"])
    def sessions(self, request, pk=None):
        case = self.get_object()
        body = s.MediationSessionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = steps.do_record_session(case, actor=request.user, **body.validated_data)
        return Response(s.MediationSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("记录履行回访"),
        request=s.FollowUpVisitInputSerializer,
        responses={201: s.FollowUpVisitSerializer},
    )
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None):
        case = self.get_object()
        body = s.FollowUpVisitInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = steps.do_record_visit(case, actor=request.user, **body.validated_data)
        return Response(s.FollowUpVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("风险研判与包案领导"),
        request=s.DisputeGradeInputSerializer,
        responses=s.DisputeDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def risk(self, request, pk=None):
        case = self.get_object()
        body = s.DisputeGradeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._detail(steps.do_grade_risk(case, actor=request.user, **body.validated_data))

    @extend_schema(
        summary=_("添加当事人"),
        request=s.DisputePartyAddSerializer,
        responses={201: s.DisputePartySerializer},
    )
    @action(detail=True, methods=["post"])
    def parties(self, request, pk=None):
        from civicgrid.cases.parties import party_row

        case = self.get_object()
        body = s.DisputePartyAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        party = steps.do_add_dispute_party(case, actor=request.user, **body.validated_data)
        return Response(party_row(party), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("删除误登记的当事人（调解开始前，须说明原因）"),
        request=s.DisputePartyRemoveSerializer,
        responses=s.DisputeDetailSerializer,
        parameters=[OpenApiParameter("party_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"parties/(?P<party_id>\d+)/remove")
    def remove_party(self, request, pk=None, party_id=None):
        case = self.get_object()
        party = case.parties.filter(pk=int(party_id)).first()
        if party is None:
            raise NotFound()
        body = s.DisputePartyRemoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        steps.do_remove_dispute_party(party, actor=request.user, **body.validated_data)
        return self._detail(case)

    @extend_schema(
        summary=_("查看当事人完整信息（记入访问日志）"),
        request=s.DisputeRevealRequestSerializer,
        responses=s.DisputePartySerializer,
        parameters=[OpenApiParameter("party_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"parties/(?P<party_id>\d+)/reveal")
    def reveal_party(self, request, pk=None, party_id=None):
        case = self.get_object()
        party = case.parties.filter(pk=int(party_id)).first()
        if party is None:
            raise NotFound()
        body = s.DisputeRevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(do_reveal_party(party, actor=request.user, purpose=body.validated_data["purpose"]))

    @extend_schema(
        summary=_("下载人民调解协议书（PDF 或 Word，记入访问日志）"),
        parameters=[OpenApiParameter("file_format", OpenApiTypes.STR, enum=["pdf", "docx"])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def agreement(self, request, pk=None):
        case = self.get_object()
        content, content_type, filename = do_download_agreement(
            case, request.query_params.get("file_format", "pdf"), actor=request.user
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(summary=_("红色风险纠纷（未结案）"), responses=s.DisputeSerializer(many=True))
    @action(detail=False, methods=["get"])
    def red(self, request):
        page = self.paginate_queryset(queries.red_disputes(request.user))
        data = s.DisputeSerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary=_("调解成功率（按调解组织或区划）"),
        parameters=[GROUP_PARAM, *PERIOD_PARAMS],
        responses=s.MediationFiguresSerializer,
    )
    @action(detail=False, methods=["get"])
    def figures(self, request):
        start, end = _period(request.query_params)
        data = queries.mediation_figures(
            request.user, group=request.query_params.get("group", "organisation"), start=start, end=end
        )
        return Response(
            {
                "group": data["group"],
                "total": data["total"].as_dict(),
                "rows": [r.as_dict() for r in data["rows"]],
            }
        )

    @extend_schema(
        summary=_("调解成功率明细"),
        parameters=[
            GROUP_PARAM,
            OpenApiParameter("key", OpenApiTypes.STR),
            OpenApiParameter("outcome", OpenApiTypes.STR, enum=["agreed", "failed"]),
            *PERIOD_PARAMS,
        ],
        responses=s.DisputeSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="figures/cases")
    def figure_cases(self, request):
        start, end = _period(request.query_params)
        params = request.query_params
        qs = queries.figure_cases(
            request.user,
            group=params.get("group", "organisation"),
            key=params.get("key", ""),
            outcome=params.get("outcome", ""),
            start=start,
            end=end,
        ).select_related("grid", "dispute")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.DisputeSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary=_("调解组织列表")),
    retrieve=extend_schema(summary=_("调解组织")),
    create=extend_schema(summary=_("新建调解组织"), request=s.MediationOrganisationInputSerializer),
    update=extend_schema(summary=_("修改调解组织"), request=s.MediationOrganisationInputSerializer),
    partial_update=extend_schema(summary=_("修改调解组织"), request=s.MediationOrganisationInputSerializer),
)
class MediationOrganisationViewSet(ScopedModelViewSet):
    queryset = MediationOrganisation.objects.select_related("area").prefetch_related("mediators")
    serializer_class = s.MediationOrganisationSerializer
    create_serializer_class = s.MediationOrganisationInputSerializer
    update_serializer_class = s.MediationOrganisationInputSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, data):
        return organisations.do_save_organisation(actor=self.request.user, **data)

    def perform_update(self, instance, data):
        values = {
            "name": instance.name,
            "kind": instance.kind,
            "area": instance.area,
            "phone": instance.phone,
            "mediators": list(instance.mediators.all()),
            "is_active": instance.is_active,
            **data,
        }
        return organisations.do_save_organisation(actor=self.request.user, instance=instance, **values)


class RiskSchemeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The risk schemes (city-wide data): read by dispute staff, changed and activated by an
    administrator holding the city."""

    queryset = RiskScheme.objects.all()
    serializer_class = s.RiskSchemeSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "put", "patch", "post", "head", "options"]

    def get_queryset(self):
        if not risk.can_manage_schemes(self.request.user, "view"):
            return RiskScheme.objects.none()
        return RiskScheme.objects.all()

    @extend_schema(summary=_("修改风险等级方案"))
    def update(self, request, *args, **kwargs):
        scheme = self.get_object()
        body = s.RiskSchemeSerializer(scheme, data=request.data, partial=kwargs.pop("partial", False))
        body.is_valid(raise_exception=True)
        data = {**s.RiskSchemeSerializer(scheme).data, **body.validated_data}
        with transaction.atomic():
            scheme = risk.do_update_risk_scheme(
                scheme,
                actor=request.user,
                levels=data["levels"],
                weights=data["weights"],
                threat_words=data["threat_words"],
                high_risk_types=data["high_risk_types"],
                group_size=data["group_size"],
                repeat_threshold=data["repeat_threshold"],
            )
        return Response(s.RiskSchemeSerializer(scheme).data)

    @extend_schema(summary=_("启用风险等级方案"), request=None, responses=s.RiskSchemeSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        scheme = risk.do_activate_risk_scheme(self.get_object(), actor=request.user)
        return Response(s.RiskSchemeSerializer(scheme).data)
