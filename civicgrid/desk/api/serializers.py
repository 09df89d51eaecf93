"""Shapes of the desk API (/api/v1/desk/). Serializers shape input only; the services decide.
People are masked here: the unmasked values come only from the reveal action (logged)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.cases.choices import PartyKind
from civicgrid.cases.serializers import CasePartySerializer

from ..choices import Route, VisitAction, VisitorRole
from ..models import Visit


class VisitPartyInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(label=_("身份"), choices=VisitorRole.choices)
    kind = serializers.CharField(
        label=_("类别（person 自然人、organisation 单位）"), default=PartyKind.PERSON
    )
    name = serializers.CharField(label=_("姓名或名称"), allow_blank=True)
    id_card = serializers.CharField(label=_("身份证号"), required=False, allow_blank=True, default="")
    org_code = serializers.CharField(
        label=_("统一社会信用代码"), required=False, allow_blank=True, default=""
    )
    phone = serializers.CharField(label=_("电话"), required=False, allow_blank=True, default="")
    address = serializers.CharField(label=_("住址"), required=False, allow_blank=True, default="")


class VisitCreateSerializer(serializers.Serializer):
    title = serializers.CharField(label=_("来访事项"), allow_blank=True)
    description = serializers.CharField(label=_("反映内容"), required=False, allow_blank=True, default="")
    people_count = serializers.IntegerField(label=_("来访人数"), required=False, default=1)
    grid_code = serializers.CharField(label=_("网格编码"), required=False, allow_blank=True, allow_null=True)
    area_code = serializers.CharField(label=_("区划代码"), required=False, allow_blank=True, allow_null=True)
    lon = serializers.FloatField(label=_("经度（WGS-84）"), required=False, allow_null=True)
    lat = serializers.FloatField(label=_("纬度（WGS-84）"), required=False, allow_null=True)
    address = serializers.CharField(label=_("地址"), required=False, allow_blank=True, default="")
    received_at = serializers.DateTimeField(label=_("来访时间"), required=False, allow_null=True)
    parties = VisitPartyInputSerializer(label=_("来访人员"), many=True)
    idempotency_key = serializers.CharField(
        label=_("幂等键（重复提交返回原登记，200）"),
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=100,
    )


class VisitPartySerializer(CasePartySerializer):
    role_display = serializers.CharField()


class VisitCaseStateSerializer(serializers.Serializer):
    """The routed case as the desk sees it (null fields for a case the reader may not view)."""

    visible = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    kind = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    status_label = serializers.CharField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.CharField(allow_null=True, help_text=_("green、yellow、red；无运行中的时限为空"))
    urge_count = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    closed = serializers.BooleanField(allow_null=True)


def case_state_data(state) -> dict | None:
    if state is None:
        return None
    if not state.visible:
        return dict.fromkeys(VisitCaseStateSerializer().fields, None) | {"visible": False}
    case = state.case
    return {
        "visible": True,
        "id": case.pk,
        "number": case.number,
        "kind": case.kind,
        "status": case.status,
        "status_label": state.status_label,
        "due_at": case.due_at,
        "warn_at": case.warn_at,
        "deadline": state.deadline,
        "urge_count": case.urge_count,
        "version": case.version,
        "closed": case.closed_at is not None,
    }


class VisitSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text=_("pending 待分流、routed 已分流、answered 当场答复"))
    route = serializers.CharField(help_text=_("dispute 调解、petition 信访、event 事件办理；未分流为空"))
    title = serializers.SerializerMethodField()
    area_code = serializers.CharField(source="area.code")
    area_name = serializers.CharField(source="area.name")
    grid_code = serializers.CharField(source="grid.code", allow_null=True, default=None)
    case = serializers.SerializerMethodField()
    sealed = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "number",
            "status",
            "title",
            "sealed",
            "area_code",
            "area_name",
            "grid_code",
            "people_count",
            "is_group",
            "received_at",
            "route",
            "routed_at",
            "version",
            "case",
            "url",
        ]

    def _states(self):
        return self.context.get("states", {})

    def get_sealed(self, visit) -> bool:
        from ..queries import sealed

        return sealed(visit, self._states())

    def get_title(self, visit) -> str:
        return str(_("（保密事项）")) if self.get_sealed(visit) else visit.title

    @extend_schema_field(VisitCaseStateSerializer(allow_null=True))
    def get_case(self, visit):
        return case_state_data(self._states().get(visit.case_id)) if visit.case_id else None

    def get_url(self, visit) -> str:
        return reverse("api-desk-visit-detail", args=[visit.pk])


class VisitRoutingSerializer(serializers.Serializer):
    route = serializers.ChoiceField(choices=Route.choices)
    routed_at = serializers.DateTimeField()
    note = serializers.CharField()
    case = VisitCaseStateSerializer()
    previous_case = VisitCaseStateSerializer(allow_null=True)


class VisitHistorySerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=VisitAction.choices)
    action_display = serializers.CharField()
    actor = serializers.CharField()
    time = serializers.DateTimeField()
    note = serializers.CharField()
    data = serializers.DictField()


class VisitDetailSerializer(VisitSerializer):
    description = serializers.SerializerMethodField()
    parties = serializers.SerializerMethodField()
    routings = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(VisitSerializer.Meta):
        fields = [
            *VisitSerializer.Meta.fields,
            "description",
            "address",
            "lon",
            "lat",
            "answer",
            "parties",
            "routings",
            "history",
        ]

    def get_description(self, visit) -> str:
        return "" if self.get_sealed(visit) else visit.description

    @extend_schema_field(VisitPartySerializer(many=True))
    def get_parties(self, visit):
        return self.context.get("parties", [])

    @extend_schema_field(VisitRoutingSerializer(many=True))
    def get_routings(self, visit):
        states = self._states()
        return [
            {
                "route": r.route,
                "routed_at": r.routed_at,
                "note": r.note,
                "case": case_state_data(states.get(r.case_id)),
                "previous_case": case_state_data(states.get(r.previous_case_id))
                if r.previous_case_id
                else None,
            }
            for r in visit.routings.all()
        ]

    @extend_schema_field(VisitHistorySerializer(many=True))
    def get_history(self, visit):
        from civicgrid.cases.views import person

        return [
            {
                "action": e.action,
                "action_display": e.get_action_display(),
                "actor": person(e.actor) if e.actor_id else str(_("系统")),
                "time": e.time,
                "note": e.note,
                "data": e.data,
            }
            for e in visit.history.select_related("actor__unit")
        ]


class VisitRouteRequestSerializer(serializers.Serializer):
    route = serializers.ChoiceField(label=_("分流去向"), choices=Route.choices)
    expected_version = serializers.IntegerField(label=_("来访登记的版本"))
    note = serializers.CharField(
        label=_("分流说明（再次分流时必填）"), required=False, allow_blank=True, default=""
    )
    dispute_type = serializers.CharField(label=_("纠纷类型（调解）"), required=False, allow_blank=True)
    amount = serializers.DecimalField(
        label=_("涉及金额（调解）"), required=False, allow_null=True, max_digits=14, decimal_places=2
    )
    petition_class = serializers.CharField(label=_("信访事项类别（信访）"), required=False, allow_blank=True)
    category = serializers.CharField(label=_("事件分类代码（事件办理）"), required=False, allow_blank=True)


class VisitRoutedSerializer(VisitDetailSerializer):
    query_code = serializers.SerializerMethodField()

    class Meta(VisitDetailSerializer.Meta):
        fields = [*VisitDetailSerializer.Meta.fields, "query_code"]

    def get_query_code(self, visit) -> str:
        """The code the visitor follows the case with (shown once; empty when the kind gives none)."""
        return self.context.get("query_code", "")


class VisitAnswerRequestSerializer(serializers.Serializer):
    answer = serializers.CharField(label=_("答复内容"), allow_blank=True)
    expected_version = serializers.IntegerField(label=_("来访登记的版本"))


class VisitUrgeRequestSerializer(serializers.Serializer):
    note = serializers.CharField(label=_("催办说明"), required=False, allow_blank=True, default="")
    expected_version = serializers.IntegerField(label=_("案件的版本"))


class VisitRevealRequestSerializer(serializers.Serializer):
    party = serializers.IntegerField(label=_("来访人员编号"))
    purpose = serializers.CharField(label=_("查看事由"), max_length=200)


class VisitRevealedPartySerializer(VisitPartySerializer):
    pass
