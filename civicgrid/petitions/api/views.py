"""The petitions API (/api/v1/petitions/): register, scoped list with filters, one petition with
its details, masked parties, clocks, `actions` and documents, workflow and kernel actions with
`expected_version`, the logged reveal of a party, document downloads (logged) and the figures with
drill-down (`/petitions/?group=…&metric=…`).

Every read goes through `Case.objects.restrict(user, "cases.view_case")`: a petition out of reach
(a 检举控告 for anyone but the discipline-inspection role) is a 404 exactly like a missing one."""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicgrid.accounts.models import Unit
from civicgrid.cases.models import Case, CaseParty
from civicgrid.cases.parties import do_reveal_party, party_rows
from civicgrid.cases.services import available_actions, can_act, not_found
from civicgrid.core.api import HoldsActionSomewhere
from civicgrid.core.errors import ServiceError

from .. import documents, queries, services
from ..choices import COLLECTIVE_SIZE, PetitionClass
from ..forms import PeriodForm
from ..workflow import PetitionStatus
from . import serializers as s

VIEW = "cases.view_case"


class PetitionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PetitionStatus.choices)
    petition_class = django_filters.ChoiceFilter(
        field_name="petition__petition_class", choices=PetitionClass.choices
    )
    number = django_filters.CharFilter(field_name="number")
    collective = django_filters.BooleanFilter(method="is_collective", label=_("集体访"))
    repeat = django_filters.BooleanFilter(
        field_name="petition__repeat_of", lookup_expr="isnull", exclude=True
    )
    group = django_filters.CharFilter(method="drill", label=_("统计分组（unit:编号 / area:区划代码）"))
    metric = django_filters.ChoiceFilter(
        method="drill", choices=[(m, m) for m in queries.METRICS], label=_("统计指标")
    )
    received_after = django_filters.IsoDateTimeFilter(field_name="petition__received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="petition__received_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields = ["status", "petition_class", "number", "collective", "repeat", "group", "metric"]

    def is_collective(self, qs, name, value):
        return (
            qs.filter(petition__people_count__gte=COLLECTIVE_SIZE)
            if value
            else qs.filter(petition__people_count__lt=COLLECTIVE_SIZE)
        )

    def drill(self, qs, name, value):
        return queries.drill(qs, **{name: value})


@extend_schema_view(
    list=extend_schema(summary=_("信访事项列表（按权限范围）")),
    retrieve=extend_schema(summary=_("信访事项详情（当事人脱敏、法定期限、可执行操作、文书）")),
)
class PetitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Case.objects.filter(kind="petition").select_related("area", "petition", "petition__organ")
    serializer_class = s.PetitionSerializer
    filterset_class = PetitionFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]

    def scope_action(self, action=None):
        act = action or self.action
        if act == "create":
            return services.REGISTER
        if act == "figures":
            return queries.FIGURES
        return VIEW

    def get_queryset(self):
        return self.queryset.all().restrict(self.request.user, VIEW).order_by("-opened_at", "-id")

    def get_serializer_class(self):
        return s.PetitionSerializer if self.action == "list" else s.PetitionDetailSerializer

    def _detail(self, case, code=status.HTTP_200_OK, query_code=None):
        case = Case.objects.select_related("area", "petition", "petition__organ").get(pk=case.pk)
        user = self.request.user
        details = case.petition
        context = {
            **self.get_serializer_context(),
            "parties": party_rows(case, user),
            "actions": [
                {"action": t.action, "label": str(t.label), "note_required": t.note_required}
                for t in available_actions(case, user)
            ],
            "documents": [
                {
                    "code": c,
                    "title": str(title),
                    "pdf": f"/api/v1/petitions/{case.pk}/document/?code={c}&type=pdf",
                    "docx": f"/api/v1/petitions/{case.pk}/document/?code={c}&type=docx",
                }
                for c, title in documents.available(details)
            ],
        }
        data = s.PetitionDetailSerializer(case, context=context).data
        if query_code is not None:
            data["query_code"] = query_code
        return Response(data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        summary=_("登记信访事项（检举控告登记后仅纪检监察人员可见）"),
        request=s.PetitionCreateSerializer,
        responses={
            201: s.PetitionCreatedSerializer,
            400: OpenApiResponse(description=_("输入有误或依法不予受理")),
        },
    )
    def create(self, request, *args, **kwargs):
        body = s.PetitionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.do_register_petition(actor=request.user, **body.validated_data)
        if not _sees(request.user, case):
            # A confidential petition: the registrar gets the number and code, nothing more.
            return Response({"id": case.pk, "number": case.number, "query_code": case.query_code}, status=201)
        return self._detail(case, status.HTTP_201_CREATED, query_code=case.query_code)

    @extend_schema(
        summary=_("执行操作（转送交办、受理、不予受理、异议、处理意见、复查、复核、听证、催办、督办、延期）"),
        request=s.PetitionActionRequestSerializer,
        responses={
            200: s.PetitionDetailSerializer,
            400: OpenApiResponse(description=_("输入有误、版本冲突或超过期限")),
        },
    )
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        case = self.get_object()
        body = s.PetitionActionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        name = data.pop("action")
        if name == "transfer" and not can_act(request.user, "petitions.transfer_petition", case):
            raise not_found()  # before the unit is looked at: reveals nothing
        if "unit" in data:
            unit = Unit.objects.restrict(request.user, "accounts.view_unit").filter(pk=data["unit"]).first()
            if unit is None:
                raise ServiceError(
                    "not_found", _("对象“%(pk)s”不存在。") % {"pk": data["unit"]}, field="unit"
                )
            data["unit"] = unit
        case = services.do_petition_action(case, name, actor=request.user, **data)
        return self._detail(case)

    @extend_schema(
        summary=_("查看当事人完整信息（记入访问日志）"),
        request=s.PetitionRevealRequestSerializer,
        responses={200: s.PetitionPartySerializer},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        case = self.get_object()
        body = s.PetitionRevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        party = CaseParty.objects.filter(case=case, pk=body.validated_data["party"]).first()
        if party is None:
            raise not_found()
        return Response(do_reveal_party(party, actor=request.user, purpose=body.validated_data["purpose"]))

    @extend_schema(
        summary=_("下载文书（受理告知书、处理意见书等，记入日志）"),
        parameters=[
            OpenApiParameter(
                "code", OpenApiTypes.STR, required=True, enum=["acceptance", "opinion", "review", "recheck"]
            ),
            # Not "format": DRF reads that one for content negotiation.
            OpenApiParameter("type", OpenApiTypes.STR, required=True, enum=["pdf", "docx"]),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def document(self, request, pk=None):
        case = self.get_object()
        content_type, data, filename = documents.do_generate_document(
            case,
            request.query_params.get("code", ""),
            request.query_params.get("type", ""),
            actor=request.user,
        )
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary=_("信访统计（按期转送交办率、按期受理告知率、按期办结率、重复信访率）"),
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
            OpenApiParameter("by", OpenApiTypes.STR, enum=["unit", "area", "township"]),
        ],
        responses={200: s.PetitionFiguresSerializer},
    )
    @action(detail=False, methods=["get"])
    def figures(self, request):
        form = PeriodForm(request.query_params)
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise ServiceError("invalid", errors[0], field=field)
        d = form.cleaned_data
        return Response(
            queries.figures(
                request.user, since=d.get("since"), until=d.get("until"), by=d.get("by") or "unit"
            )
        )


def _sees(user, case) -> bool:
    return can_act(user, VIEW, case)
