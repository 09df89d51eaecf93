"""Filters of the events API (shared with the pages that list the same objects)."""

import django_filters

from ..models import Category, DispatchRule


class CategoryFilterSet(django_filters.FilterSet):
    major = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="大类")

    class Meta:
        model = Category
        fields = ["is_active", "parent", "priority", "emergency_transfer", "auto_escalate"]


class DispatchRuleFilterSet(django_filters.FilterSet):
    class Meta:
        model = DispatchRule
        fields = ["category", "area", "lead_unit", "is_active"]
