"""Serializers of the events API. They check the shape of input only; the rules live in
events.taxonomy_services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from civicgrid.accounts.models import Unit
from civicgrid.areas.models import Area
from civicgrid.core.api import ScopedRelatedField

from ..models import Category, DispatchRule

NOT_FOUND = {"does_not_exist": _("对象“{pk_value}”不存在。"), "incorrect_type": _("类型不正确，应为编号。")}


class CategorySerializer(serializers.ModelSerializer):
    """A category with its clocks and the questions intake asks (`required_fields`)."""

    level = serializers.SerializerMethodField(help_text=_("major：大类；minor：小类"))
    response = serializers.SerializerMethodField(help_text=_("响应时限"))
    handling = serializers.SerializerMethodField(help_text=_("处置时限及最长延期"))

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "description",
            "parent",
            "level",
            "response",
            "handling",
            "priority",
            "required_fields",
            "emergency_transfer",
            "auto_escalate",
            "keywords",
            "service_notice",
            "is_active",
            "sort_order",
        ]
        read_only_fields = fields

    def get_level(self, obj) -> str:
        return "major" if obj.parent_id is None else "minor"

    def get_response(self, obj) -> dict:
        return {"amount": obj.response_amount, "unit": obj.response_unit}

    def get_handling(self, obj) -> dict:
        return {"amount": obj.handling_amount, "unit": obj.handling_unit, "max_extension": obj.max_extension}


class BriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SuggestRequestSerializer(serializers.Serializer):
    title = serializers.CharField(
        label=_("标题"), max_length=200, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(
        label=_("描述"), max_length=5000, required=False, allow_blank=True, default=""
    )


class SuggestionSerializer(serializers.Serializer):
    category = CategorySerializer(read_only=True)
    score = serializers.FloatField(read_only=True)
    hits = serializers.ListField(child=serializers.CharField(), read_only=True)


class DispatchRuleSerializer(serializers.ModelSerializer):
    category = BriefSerializer(read_only=True)
    area = BriefSerializer(read_only=True)
    lead_unit = BriefSerializer(read_only=True)
    co_handlers = BriefSerializer(many=True, read_only=True)

    class Meta:
        model = DispatchRule
        fields = [
            "id",
            "category",
            "area",
            "lead_unit",
            "co_handlers",
            "is_active",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DispatchRuleCreateSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(
        label=_("事件分类"), queryset=Category.objects.all(), error_messages=NOT_FOUND
    )
    area = ScopedRelatedField(
        label=_("适用区划"), queryset=Area.objects.all(), action="events.add_dispatchrule"
    )
    lead_unit = ScopedRelatedField(label=_("主办单位"), queryset=Unit.objects.all())
    co_handlers = ScopedRelatedField(
        label=_("协办单位"), queryset=Unit.objects.all(), many=True, required=False
    )
    note = serializers.CharField(label=_("备注"), max_length=500, required=False, allow_blank=True)


class DispatchRuleUpdateSerializer(DispatchRuleCreateSerializer):
    """Every field optional; a new area must lie where the requester may change rules."""

    is_active = serializers.BooleanField(label=_("有效"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["area"].scope_action = "events.change_dispatchrule"


class DispatchDecisionSerializer(serializers.Serializer):
    lead_unit = BriefSerializer(read_only=True)
    co_handlers = BriefSerializer(many=True, read_only=True)
    rule = serializers.IntegerField(read_only=True)
