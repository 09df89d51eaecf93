"""The events API: the taxonomy (read-only, for every staff role, with each category's question
schema), keyword suggestions, and the dispatch catalogue (CRUD scoped by the rule's area).

Writes go through `events.taxonomy_services`; a rule out of the requester's reach is a 404 exactly
like a missing one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from civicgrid.areas.models import Area
from civicgrid.core.api import HoldsActionSomewhere, ScopedModelViewSet
from civicgrid.core.errors import ServiceError
from civicgrid.core.scope import get_scoped_or_404

from .. import taxonomy_services as services
from ..catalogue import resolve_dispatch
from ..classify import Classifier
from ..models import Category, DispatchRule
from . import serializers as s
from .filtersets import CategoryFilterSet, DispatchRuleFilterSet


@extend_schema_view(
    list=extend_schema(summary=_("事件分类列表（含必填信息与时限）")),
    retrieve=extend_schema(summary=_("事件分类详情")),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The taxonomy is city-wide: whoever may view categories anywhere sees all of them. Small
    (about a hundred rows), so not paginated: clients load the whole tree at once."""

    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    filterset_class = CategoryFilterSet
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    pagination_class = None

    def scope_action(self, action=None):
        return "events.view_category"

    @extend_schema(
        summary=_("按关键词推荐事件分类（前三名）"),
        request=s.SuggestRequestSerializer,
        responses=s.SuggestionSerializer(many=True),
    )
    @action(detail=False, methods=["post"])
    def suggest(self, request):
        serializer = s.SuggestRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        suggestions = Classifier.from_database().suggest(**serializer.validated_data)
        return Response(s.SuggestionSerializer(suggestions, many=True).data)


@extend_schema_view(
    list=extend_schema(summary=_("派单规则列表")),
    retrieve=extend_schema(summary=_("派单规则详情")),
    create=extend_schema(request=s.DispatchRuleCreateSerializer, responses={201: s.DispatchRuleSerializer}),
    update=extend_schema(request=s.DispatchRuleUpdateSerializer, responses=s.DispatchRuleSerializer),
    partial_update=extend_schema(request=s.DispatchRuleUpdateSerializer, responses=s.DispatchRuleSerializer),
)
class DispatchRuleViewSet(ScopedModelViewSet):
    queryset = DispatchRule.objects.select_related("category", "area", "lead_unit").prefetch_related(
        "co_handlers"
    )
    serializer_class = s.DispatchRuleSerializer
    filterset_class = DispatchRuleFilterSet

    create_serializer_class = s.DispatchRuleCreateSerializer
    update_serializer_class = s.DispatchRuleUpdateSerializer

    def perform_create(self, data):
        return services.do_create_dispatch_rule(actor=self.request.user, **data)

    def perform_update(self, instance, data):
        return services.do_update_dispatch_rule(instance, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.do_delete_dispatch_rule(instance, actor=self.request.user)

    @extend_schema(
        summary=_("按派单目录确定主办与协办单位"),
        parameters=[
            OpenApiParameter("category", OpenApiTypes.INT, required=True, description=_("事件分类编号")),
            OpenApiParameter("area", OpenApiTypes.INT, required=True, description=_("区划编号")),
        ],
        responses=s.DispatchDecisionSerializer,
    )
    @action(detail=False, methods=["get"])
    def resolve(self, request):
        """Which units the catalogue names for a category in an area the requester can see; `null`
        when no rule applies (the case then waits in the centre's "to dispatch" queue)."""
        ids = {}
        for name, label in (("category", _("事件分类")), ("area", _("区划"))):
            raw = request.query_params.get(name, "").strip()
            if not raw.isdigit():
                raise ServiceError("required", _("请提供%(label)s编号。") % {"label": label}, field=name)
            ids[name] = int(raw)
        category = Category.objects.filter(pk=ids["category"]).first()
        if category is None:
            raise ServiceError(
                "not_found", _("对象“%(pk)s”不存在。") % {"pk": ids["category"]}, field="category"
            )
        area = get_scoped_or_404(Area, request.user, "areas.view_area", pk=ids["area"])
        decision = resolve_dispatch(category, area)
        if decision is None:
            return Response({"lead_unit": None, "co_handlers": [], "rule": None})
        return Response(
            {
                "lead_unit": s.BriefSerializer(decision.lead).data,
                "co_handlers": s.BriefSerializer(decision.co_handlers, many=True).data,
                "rule": decision.rule.pk,
            }
        )
