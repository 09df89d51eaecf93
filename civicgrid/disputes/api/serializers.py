"""Serializers of the disputes API: input shapes (checked here, decided by the services) and the
answers (parties masked; personal data only through the logged reveal)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.cases.models import CaseDeadline, TimelineEntry
from civicgrid.cases.parties import party_rows
from civicgrid.cases.serializers import CasePartySerializer

from .. import risk
from ..choices import DisputeSource, DisputeType, OrganisationKind, PartyRole
from ..models import DisputeDetails, FollowUpVisit, MediationOrganisation, MediationSession, RiskScheme


class DisputePartyInputSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="、".join(PartyRole.values))
    kind = serializers.CharField(required=False, default="person")
    name = serializers.CharField(max_length=100)
    id_card = serializers.CharField(required=False, allow_blank=True, default="")
    org_code = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeCreateSerializer(serializers.Serializer):
    """Shape only: the service checks the values (amount ≥ 0, people ≥ 1, ID numbers …) and names
    the field of any error."""

    title = serializers.CharField(label=_("纠纷名称"), allow_blank=True)
    description = serializers.CharField(label=_("纠纷简要情况"), allow_blank=True)
    area = serializers.CharField(label=_("区划代码"), required=False, allow_blank=True, default="")
    grid = serializers.CharField(label=_("网格代码"), required=False, allow_blank=True, default="")
    lon = serializers.FloatField(required=False, allow_null=True, default=None)
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    dispute_type = serializers.CharField(label=_("纠纷类型"), help_text="、".join(DisputeType.values))
    amount = serializers.CharField(
        label=_("涉及金额"), required=False, allow_null=True, allow_blank=True, default=None
    )
    people_count = serializers.CharField(label=_("涉及人数"), required=False, default="1")
    source = serializers.CharField(label=_("来源"), help_text="、".join(DisputeSource.values))
    parties = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    source_case = serializers.IntegerField(required=False, allow_null=True, default=None)


class DisputeConvertSerializer(serializers.Serializer):
    event = serializers.IntegerField(label=_("事件 id"))
    expected_version = serializers.IntegerField()
    dispute_type = serializers.CharField()
    people_count = serializers.CharField(required=False, default="1")
    amount = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    reporter_role = serializers.CharField(required=False, allow_blank=True, default="")
    parties = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeActionRequestSerializer(serializers.Serializer):
    """`expected_version` is the version the actor saw; the other fields depend on the action."""

    expected_version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    organisation = serializers.IntegerField(required=False, help_text=_("accept：调解组织"))
    mediators = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("accept：调解员")
    )
    agreement_text = serializers.CharField(required=False, allow_blank=True, help_text=_("agree：协议内容"))
    applicant_confirmed = serializers.BooleanField(required=False, help_text=_("agree：申请人已确认"))
    respondent_confirmed = serializers.BooleanField(required=False, help_text=_("agree：被申请人已确认"))
    court_name = serializers.CharField(
        required=False, allow_blank=True, help_text=_("apply_confirmation：法院")
    )
    applied_on = serializers.CharField(
        required=False, allow_blank=True, help_text=_("apply_confirmation：申请日期")
    )
    decided_on = serializers.CharField(required=False, allow_blank=True, help_text=_("court_*：法院作出日期"))
    referral_channel = serializers.CharField(required=False, allow_blank=True, help_text=_("refer：分流去向"))
    referral_to = serializers.CharField(required=False, allow_blank=True)
    referred_on = serializers.CharField(required=False, allow_blank=True)
    referral_receipt = serializers.CharField(required=False, allow_blank=True)
    level = serializers.CharField(required=False, help_text=_("supervise：督办级别"))
    clock = serializers.CharField(
        required=False, help_text=_("request/decide_extension：时限（如 mediation）")
    )
    amount = serializers.IntegerField(required=False, help_text=_("request_extension：延长天数"))
    reason = serializers.CharField(required=False, allow_blank=True)
    approve = serializers.BooleanField(required=False)


class MediationSessionInputSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField()
    held_at = serializers.CharField()
    place = serializers.CharField(allow_blank=True)
    participants = serializers.CharField(allow_blank=True)
    record = serializers.CharField(allow_blank=True)


class FollowUpVisitInputSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField()
    visited_on = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeGradeInputSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField()
    level = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    leader = serializers.IntegerField(required=False, allow_null=True, default=None)


class DisputePartyAddSerializer(DisputePartyInputSerializer):
    expected_version = serializers.IntegerField()


class DisputePartyRemoveSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)


class DisputeRevealRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(required=False, allow_blank=True, default="")


class DisputePartySerializer(CasePartySerializer):
    pass


class MediationSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediationSession
        fields = ["id", "held_at", "place", "participants", "record", "recorded_by", "created_at"]


class FollowUpVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpVisit
        fields = ["id", "visited_on", "result", "note", "visitor", "created_at"]


class DisputeTimelineSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "action", "actor", "from_status", "to_status", "note", "data", "time"]


class DisputeDeadlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseDeadline
        fields = [
            "id",
            "name",
            "amount",
            "unit",
            "max_extension",
            "started_at",
            "due_at",
            "due_date",
            "provisional",
            "state",
        ]


class DisputeDetailsSerializer(serializers.ModelSerializer):
    risk_label = serializers.SerializerMethodField()
    source_case_number = serializers.SerializerMethodField()

    class Meta:
        model = DisputeDetails
        fields = [
            "dispute_type",
            "amount",
            "people_count",
            "is_group",
            "source",
            "source_case",
            "source_case_number",
            "organisation",
            "mediators",
            "risk_level",
            "risk_label",
            "risk_reasons",
            "leader",
            "agreement_number",
            "agreement_text",
            "agreed_at",
            "applicant_confirmed",
            "respondent_confirmed",
            "failure_reason",
            "failed_at",
            "referral_channel",
            "referral_to",
            "referred_on",
            "referral_receipt",
            "court_name",
            "confirmation_applied_on",
            "court_accepted_on",
            "court_result",
            "court_decided_on",
        ]

    def get_risk_label(self, details) -> str:
        return risk.level_info(risk.active_scheme(), details.risk_level)[0] if details.risk_level else ""

    def get_source_case_number(self, details) -> str | None:
        from civicgrid.cases.services import can_act

        request = self.context.get("request")
        source = details.source_case
        if source is None or not can_act(getattr(request, "user", None), "cases.view_case", source):
            return None
        return source.number


class DisputeSerializer(serializers.Serializer):
    """A dispute as a list shows it."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    area_code = serializers.CharField(source="area.code")
    grid_code = serializers.CharField(source="grid.code", default=None)
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    dispute_type = serializers.CharField(source="dispute.dispute_type")
    risk_level = serializers.CharField(source="dispute.risk_level")
    is_group = serializers.BooleanField(source="dispute.is_group")
    organisation = serializers.IntegerField(source="dispute.organisation_id", allow_null=True)


class DisputeActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    note_required = serializers.BooleanField()


class DisputeDetailSerializer(DisputeSerializer):
    description = serializers.CharField()
    details = DisputeDetailsSerializer(source="dispute")
    parties = serializers.SerializerMethodField()
    sessions = MediationSessionSerializer(many=True)
    visits = FollowUpVisitSerializer(many=True, source="follow_up_visits")
    deadlines = DisputeDeadlineSerializer(many=True)
    timeline = DisputeTimelineSerializer(many=True)
    actions = serializers.SerializerMethodField()

    @extend_schema_field(DisputePartySerializer(many=True))
    def get_parties(self, case) -> list:
        request = self.context.get("request")
        return party_rows(case, getattr(request, "user", None))

    @extend_schema_field(DisputeActionSerializer(many=True))
    def get_actions(self, case) -> list:
        from civicgrid.cases.services import available_actions

        request = self.context.get("request")
        return [
            {"action": t.action, "label": str(t.label), "note_required": t.note_required}
            for t in available_actions(case, getattr(request, "user", None))
        ]


class MediationFigureRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    ended = serializers.IntegerField()
    agreed = serializers.IntegerField()
    failed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class MediationFiguresSerializer(serializers.Serializer):
    group = serializers.CharField()
    total = MediationFigureRowSerializer()
    rows = MediationFigureRowSerializer(many=True)


class MediationOrganisationSerializer(serializers.ModelSerializer):
    area_code = serializers.CharField(source="area.code", read_only=True)
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = MediationOrganisation
        fields = ["id", "name", "kind", "area", "area_code", "phone", "mediators", "is_active"]
        read_only_fields = fields


class MediationOrganisationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.CharField(help_text="、".join(OrganisationKind.values))
    area = serializers.CharField(label=_("区划代码"))
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    mediators = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    is_active = serializers.BooleanField(required=False, default=True)


class RiskSchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskScheme
        fields = [
            "id",
            "name",
            "levels",
            "weights",
            "threat_words",
            "high_risk_types",
            "group_size",
            "repeat_threshold",
            "is_active",
        ]
        read_only_fields = ["id", "name", "is_active"]
