"""Read-only API over the audit logs, for auditors.

Audit rows carry no area (an ObjectChange may concern a role, a token or a user with no area, and
the log is verified as one unbroken chain), so they are not area-scoped: whoever holds
`audit.view_objectchange` (or `audit.view_accesslog`) in any grant reads the whole log. In the
built-in catalogue only the auditor role holds these, and administrators do not (三员分立), so the
people who change things are not the people who read the trail. Nothing here writes: the logs are
appended only by `audit.services`.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, viewsets

from civicgrid.core.api import HoldsActionSomewhere

from ..models import AccessLog, ChangeAction, ObjectChange

_COMMON = [
    "id",
    "time",
    "actor_id",
    "actor_username",
    "request_id",
    "object_type",
    "object_id",
    "object_repr",
    "prev_hash",
    "hash",
    "hash_alg",
]


class ObjectChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ObjectChange
        fields = [*_COMMON, "action", "before", "after"]
        read_only_fields = fields


class AccessLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLog
        fields = [*_COMMON, "fields", "purpose"]
        read_only_fields = fields


class _ChainFilterSet(django_filters.FilterSet):
    object_type = django_filters.CharFilter(label=_("对象类型"))
    object_id = django_filters.CharFilter(label=_("对象编号"))
    actor_id = django_filters.NumberFilter(label=_("操作人编号"))
    actor_username = django_filters.CharFilter(label=_("操作人"))
    request_id = django_filters.CharFilter(label=_("请求编号"))
    since = django_filters.IsoDateTimeFilter(label=_("起始时间"), field_name="time", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(label=_("截止时间"), field_name="time", lookup_expr="lt")


class ObjectChangeFilterSet(_ChainFilterSet):
    action = django_filters.ChoiceFilter(label=_("操作"), choices=ChangeAction.choices)

    class Meta:
        model = ObjectChange
        fields = ["object_type", "object_id", "actor_id", "actor_username", "request_id", "action"]


class AccessLogFilterSet(_ChainFilterSet):
    class Meta:
        model = AccessLog
        fields = ["object_type", "object_id", "actor_id", "actor_username", "request_id"]


class _AuditViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, HoldsActionSomewhere]
    permission_name = ""

    def scope_action(self, action=None):
        return self.permission_name

    def get_queryset(self):
        return self.queryset.order_by("-id")


class ObjectChangeViewSet(_AuditViewSet):
    queryset = ObjectChange.objects.all()
    serializer_class = ObjectChangeSerializer
    filterset_class = ObjectChangeFilterSet
    permission_name = "audit.view_objectchange"


class AccessLogViewSet(_AuditViewSet):
    queryset = AccessLog.objects.all()
    serializer_class = AccessLogSerializer
    filterset_class = AccessLogFilterSet
    permission_name = "audit.view_accesslog"
