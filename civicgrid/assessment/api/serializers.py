"""Shapes of the assessment API (shape only: the services and queries decide)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import AssessmentScheme, Exclusion, ExclusionReason
from ..queries import COUNTS, GROUPS


class SchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentScheme
        fields = [
            "id",
            "code",
            "version",
            "name",
            "effective_from",
            "is_active",
            *AssessmentScheme.FORMULA_FIELDS,
            "created_at",
        ]
        read_only_fields = ["id", "version", "created_at"]


class SchemeCreateSerializer(serializers.Serializer):
    """A new scheme or, for an existing code, its next version (omitted formula fields are taken
    from the latest version, or the defaults for a new code)."""

    code = serializers.SlugField(label=_("方案代码"), max_length=40)
    name = serializers.CharField(label=_("方案名称"), max_length=100)
    effective_from = serializers.DateField(label=_("生效日期"))
    is_active = serializers.BooleanField(label=_("启用"), required=False, default=True)
    channels = serializers.ListField(child=serializers.CharField(), required=False)
    excluded_reasons = serializers.ListField(child=serializers.CharField(), required=False)
    satisfied_weight = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    basically_weight = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    dissatisfied_weight = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    resolved_weight = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    unresolved_weight = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    response_source = serializers.CharField(required=False)
    min_sample = serializers.IntegerField(required=False)
    response_share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    resolution_share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    satisfaction_share = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


class SchemeUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("方案名称"), max_length=100, required=False)
    effective_from = serializers.DateField(label=_("生效日期"), required=False)
    is_active = serializers.BooleanField(label=_("启用"), required=False)


class ExclusionSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = Exclusion
        fields = [
            "id",
            "case",
            "case_number",
            "reason",
            "note",
            "status",
            "requested_by",
            "requested_at",
            "approved_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class ExclusionCreateSerializer(serializers.Serializer):
    # A plain id: the service answers a case out of reach exactly like a missing one.
    case = serializers.IntegerField(label=_("案件"))
    reason = serializers.ChoiceField(label=_("剔除理由"), choices=ExclusionReason.choices)
    note = serializers.CharField(label=_("说明"))


class ExclusionDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(label=_("批准"))
    note = serializers.CharField(label=_("审批意见"), required=False, allow_blank=True, default="")


class FigureRowSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUPS)
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    resolved = serializers.DecimalField(max_digits=12, decimal_places=4)
    satisfied = serializers.DecimalField(max_digits=12, decimal_places=4)
    response_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    resolution_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    reopen_rate = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=4, allow_null=True)


for _name in COUNTS:
    FigureRowSerializer._declared_fields[_name] = serializers.IntegerField()


class FiguresSerializer(serializers.Serializer):
    scheme = SchemeSerializer()
    period = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    rows = FigureRowSerializer(many=True)


class DrillSerializer(serializers.Serializer):
    figure = serializers.CharField()
    count = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.CharField(), help_text=_("案件编号"))


class DensityGridSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text=_("网格编码"))
    name = serializers.CharField()
    count = serializers.IntegerField(help_text=_("期间内的事件数"))


class DensitySerializer(serializers.Serializer):
    period = serializers.CharField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    total = serializers.IntegerField(help_text=_("事件总数"))
    grids = DensityGridSerializer(many=True, help_text=_("有事件的网格，按事件数从多到少"))
