"""Filters of the accounts API (related objects by id: an out-of-scope id simply matches nothing)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import UnitKind
from ..models import ApiToken, Role, RoleAssignment, Unit, User


class UnitFilterSet(django_filters.FilterSet):
    area = django_filters.NumberFilter(label=_("所在区划"), field_name="area_id")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=UnitKind.choices)
    name = django_filters.CharFilter(label=_("名称包含"), lookup_expr="icontains")
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = Unit
        fields = ["area", "kind", "name", "is_active"]


class UserFilterSet(django_filters.FilterSet):
    username = django_filters.CharFilter(label=_("用户名"))
    unit = django_filters.NumberFilter(label=_("所属单位"), field_name="unit_id")
    area = django_filters.NumberFilter(label=_("管理区划"), field_name="area_id")
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = User
        fields = ["username", "unit", "area", "is_active"]


class RoleFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("角色代码"))
    is_active = django_filters.BooleanFilter(label=_("有效"))

    class Meta:
        model = Role
        fields = ["code", "is_active"]


class RoleAssignmentFilterSet(django_filters.FilterSet):
    user = django_filters.NumberFilter(label=_("用户"), field_name="user_id")
    role = django_filters.NumberFilter(label=_("角色"), field_name="role_id")
    area = django_filters.NumberFilter(label=_("区划"), field_name="area_id")
    grid = django_filters.NumberFilter(label=_("网格"), field_name="grid_id")

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "grid"]


class ApiTokenFilterSet(django_filters.FilterSet):
    user = django_filters.NumberFilter(label=_("用户"), field_name="user_id")
    revoked = django_filters.BooleanFilter(
        label=_("已吊销"), field_name="revoked_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ApiToken
        fields = ["user", "revoked"]
