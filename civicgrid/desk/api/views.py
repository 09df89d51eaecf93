"""The desk API: visits of the centre's area (list, one with its people, routings and history),
register, route / re-route, answer, urge the routed case, reveal a person (logged).

Reads go through `desk.view_visit` (a visit out of reach is a 404 like a missing one); writes go
through `desk.services` (ServiceError → 400 naming the field, NotPermitted → 404)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicgrid.areas.models import Area
from civicgrid.cases.parties import party_rows
from civicgrid.core.api import HoldsActionSomewhere

from .. import queries, routes, services
from ..choices import Route, VisitStatus
from ..models import Visit
from . import serializers as s


class VisitFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices)
    route = django_filters.ChoiceFilter(choices=Route.choices)
    is_group = django_filters.BooleanFilter()
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    area = django_filters.CharFilter(method="in_area", label=_("区划代码（含下级）"))

    class Meta:
        model = Visit
        fields = ["status", "route", "is_group", "received_after", "received_before", "area"]

    def in_area(self, qs, name, value):
        area = Area.objects.filter(code=value).first()
        return qs.filter(path__startswith=area.path) if area else qs.none()


@extend_schema_view(
    list=extend_schema(summary=_("来访登记列表（本中心辖区，含分流案件的状态与时限）")),
    retrieve=extend_schema(summary=_("来访登记详情（人员脱敏、分流记录、来访记录）")),
)
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Visit.objects.select_related("area", "grid", "case")
    serializer_class = s.VisitSerializer
    filterset_class = VisitFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]

    def scope_action(self, action=None):
        act = action or self.action
        if act == "create":
            return services.ADD
        if act in ("route", "answer"):
            return services.ROUTE
        return services.VIEW

    def get_queryset(self):
        return self.queryset.all().restrict(self.request.user, services.VIEW).order_by("-received_at", "-id")

    def get_serializer_class(self):
        return s.VisitSerializer if self.action == "list" else s.VisitDetailSerializer

    def list(self, request, *args, **kwargs):
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        visits = list(page if page is not None else qs)
        context = {**self.get_serializer_context(), "states": self._states(visits)}
        data = s.VisitSerializer(visits, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _states(self, visits, *, routings=False):
        cases = [v.case for v in visits if v.case_id]
        for visit in visits if routings else ():
            cases += [r.case for r in visit.routings.all()] + [r.previous_case for r in visit.routings.all()]
        return queries.case_states(self.request.user, [c for c in cases if c is not None])

    def _detail(self, visit, code=status.HTTP_200_OK, serializer=s.VisitDetailSerializer, **extra):
        visit = (
            Visit.objects.select_related("area", "grid", "case")
            .prefetch_related("routings__case", "routings__previous_case")
            .get(pk=visit.pk)
        )
        states = self._states([visit], routings=True)
        state = states.get(visit.case_id) if visit.case_id else None
        if visit.status == VisitStatus.ROUTED and state is not None and state.visible:
            people = party_rows(visit.case, self.request.user)
        else:
            people = services.visit_party_rows(visit)
        labels = routes.role_labels()
        people = [{**p, "role_display": labels.get(p["role"], p["role"])} for p in people]
        context = {**self.get_serializer_context(), "states": states, "parties": people, **extra}
        return Response(serializer(visit, context=context).data, status=code)

    @extend_schema(
        summary=_("来访登记（人员按当事人规则校验；5 人及以上为集体访）"),
        request=s.VisitCreateSerializer,
        responses={
            201: s.VisitDetailSerializer,
            200: s.VisitDetailSerializer,
            400: OpenApiResponse(description=_("输入有误")),
        },
    )
    def create(self, request, *args, **kwargs):
        body = s.VisitCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = services.do_register_visit(actor=request.user, **body.validated_data)
        repeated = getattr(visit, "repeated", False)
        return self._detail(visit, status.HTTP_200_OK if repeated else status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("分流（调解、信访或事件办理；已分流的来访再次分流须说明原因）"),
        request=s.VisitRouteRequestSerializer,
        responses={200: s.VisitRoutedSerializer, 400: OpenApiResponse(description=_("输入有误或版本冲突"))},
    )
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        visit = self.get_object()
        body = s.VisitRouteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        options = {
            key: d.pop(key) for key in ("dispute_type", "amount", "petition_class", "category") if key in d
        }
        visit, opened = services.do_route_visit(
            visit,
            actor=request.user,
            expected_version=d["expected_version"],
            route=d["route"],
            note=d.get("note", ""),
            options=options,
        )
        return self._detail(visit, serializer=s.VisitRoutedSerializer, query_code=opened.query_code)

    @extend_schema(
        summary=_("当场答复（不立案）"),
        request=s.VisitAnswerRequestSerializer,
        responses={200: s.VisitDetailSerializer, 400: OpenApiResponse(description=_("输入有误或版本冲突"))},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        visit = self.get_object()
        body = s.VisitAnswerRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visit = services.do_answer_visit(visit, actor=request.user, **body.validated_data)
        return self._detail(visit)

    @extend_schema(
        summary=_("催办分流后的案件（版本为案件的版本）"),
        request=s.VisitUrgeRequestSerializer,
        responses={200: s.VisitDetailSerializer, 400: OpenApiResponse(description=_("输入有误或版本冲突"))},
    )
    @action(detail=True, methods=["post"])
    def urge(self, request, pk=None):
        visit = self.get_object()
        body = s.VisitUrgeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.do_urge_visit_case(visit, actor=request.user, **body.validated_data)
        return self._detail(visit)

    @extend_schema(
        summary=_("查看来访人员完整信息（记入访问日志）"),
        request=s.VisitRevealRequestSerializer,
        responses={200: s.VisitRevealedPartySerializer},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        visit = self.get_object()
        body = s.VisitRevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.do_reveal_visit_party(
            visit, body.validated_data["party"], actor=request.user, purpose=body.validated_data["purpose"]
        )
        labels = routes.role_labels()
        return Response({**row, "role_display": labels.get(row["role"], row["role"])})
