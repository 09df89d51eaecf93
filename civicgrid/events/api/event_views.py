"""The events API: intake (single and batch), scoped lists with filters, one event with its
timeline, assignments, deadlines, photos and `actions`, workflow actions with `expected_version`,
photo upload and the logged reveal of the reporter.

Every read goes through `Case.objects.restrict(user, "cases.view_case")`: an event out of reach is
a 404 exactly like a missing one; writes go through `events.services` and the intake pipeline."""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from civicgrid.areas.models import Area
from civicgrid.cases import queries
from civicgrid.cases.models import Case
from civicgrid.core.api import HoldsActionSomewhere
from civicgrid.core.errors import ServiceError

from .. import services
from ..models import Channel
from ..workflow import EventStatus
from . import event_serializers as s

VIEW = "cases.view_case"
REPORT = "cases.report_case"


class EventFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    category = django_filters.CharFilter(field_name="event__category__code", label=_("事件分类代码"))
    channel = django_filters.ChoiceFilter(field_name="event__channel", choices=Channel.choices)
    area = django_filters.CharFilter(method="in_area", label=_("区划代码（含下级）"))
    created_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")
    queue = django_filters.ChoiceFilter(method="in_queue", choices=[(q, q) for q in queries.QUEUES])

    class Meta:
        model = Case
        fields = ["status", "category", "channel", "area", "created_after", "created_before", "queue"]

    def in_area(self, qs, name, value):
        area = Area.objects.filter(code=value).first()
        return qs.filter(path__startswith=area.path) if area else qs.none()

    def in_queue(self, qs, name, value):
        return qs.filter(pk__in=queries.queue(self.request.user, value).values("pk"))


@extend_schema_view(
    list=extend_schema(summary=_("事件列表（按权限范围）")),
    retrieve=extend_schema(summary=_("事件详情（含时间线、派遣、时限、照片与可执行操作）")),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Case.objects.filter(kind="event").select_related(
        "area", "grid", "event", "event__category", "lead_unit"
    )
    serializer_class = s.EventSerializer
    filterset_class = EventFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_action(self, action=None):
        return REPORT if (action or self.action) in ("create", "batch") else VIEW

    def get_queryset(self):
        qs = self.queryset.all().restrict(self.request.user, VIEW)
        if self.action == "retrieve":
            qs = qs.prefetch_related("timeline__actor", "assignments__unit", "deadlines", "event_photos")
        return qs

    def get_serializer_class(self):
        return s.EventDetailSerializer if self.action != "list" else s.EventSerializer

    def _detail(self, case, code=status.HTTP_200_OK, extra=None):
        case = self.get_queryset().get(pk=case.pk) if self.action == "retrieve" else self._reload(case)
        data = s.EventDetailSerializer(case, context=self.get_serializer_context()).data
        return Response({**data, **(extra or {})}, status=code)

    def _reload(self, case):
        return (
            Case.objects.select_related("area", "grid", "event", "event__category", "lead_unit")
            .prefetch_related("timeline__actor", "assignments__unit", "deadlines", "event_photos")
            .get(pk=case.pk)
        )

    @extend_schema(
        summary=_("上报事件（同一幂等键重复提交返回原事件，200）"),
        request={"application/json": s.EventCreateSerializer, "multipart/form-data": s.EventCreateSerializer},
        responses={201: s.EventCreatedSerializer, 200: s.EventCreatedSerializer},
    )
    def create(self, request, *args, **kwargs):
        serializer = s.EventCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.do_report_event(actor=request.user, **serializer.validated_data)
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        case = result.case
        if not result.created or case.status != EventStatus.REPORTED:
            case = self._reload(case)  # a repeat or an emergency transferred at once: read it back
        context = {
            **self.get_serializer_context(),
            "with_photos": bool(serializer.validated_data.get("photos")),
            "duplicates": result.possible_duplicates,
        }
        body = s.EventCreatedSerializer(case, context=context).data
        return Response(body, status=code, headers={"Location": body["url"]})

    @extend_schema(
        summary=_("批量上报事件（逐条处理，各自独立事务）"),
        request=s.BatchRequestSerializer,
        responses=s.BatchResponseSerializer,
    )
    @action(detail=False, methods=["post"])
    def batch(self, request):
        body = s.BatchRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        results, tally = [], {"created": 0, "existing": 0, "error": 0}
        for index, item in enumerate(body.validated_data["items"]):
            row = {"index": index, "id": None, "number": None, "errors": None}
            item_serializer = s.BatchItemSerializer(data=item)
            try:
                if not item_serializer.is_valid():
                    row.update(status="error", errors=item_serializer.errors)
                else:
                    with transaction.atomic():
                        result = services.do_report_event(
                            actor=request.user, **item_serializer.validated_data
                        )
                    row.update(
                        status="created" if result.created else "existing",
                        id=result.case.pk,
                        number=result.case.number,
                    )
            except ServiceError as exc:
                row.update(status="error", errors=exc.as_dict())
            tally[row["status"]] += 1
            results.append(row)
        return Response(
            {
                "created": tally["created"],
                "existing": tally["existing"],
                "failed": tally["error"],
                "results": results,
            }
        )

    @extend_schema(
        summary=_(
            "对事件执行操作（立案、派遣、签收、反馈、核查、结案、回访、上报、催办、督办、延期、吹哨报到…）"
        ),
        request=s.ActionRequestSerializer,
        responses={200: s.EventDetailSerializer, 400: OpenApiResponse(description=_("输入有误或版本冲突"))},
        parameters=[OpenApiParameter("action_name", OpenApiTypes.STR, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[a-z_]+)")
    def take_action(self, request, pk=None, action_name=None):
        case = self.get_object()
        body = s.ActionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payload = dict(body.validated_data)
        case = services.do_event_action(
            case,
            action_name,
            actor=request.user,
            expected_version=payload.pop("expected_version"),
            note=payload.pop("note", ""),
            **payload,
        )
        return self._detail(case)

    @extend_schema(
        summary=_("上传事件照片（JPEG/PNG/WebP）"),
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.PhotoSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        case = self.get_object()
        body = s.PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo = services.do_add_photo(
            case, body.validated_data["photo"], actor=request.user, stage=body.validated_data["stage"]
        )
        return Response(s.PhotoSerializer(photo, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary=_("查看反映人完整信息（记入访问日志）"),
        request=s.EventRevealRequestSerializer,
        responses=s.EventRevealSerializer,
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        case = self.get_object()
        body = s.EventRevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            services.do_reveal_reporter(case, actor=request.user, purpose=body.validated_data["purpose"])
        )
