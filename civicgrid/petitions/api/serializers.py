"""Serializers of the petitions API. Personal data only masked (reveals are a separate, logged
call); the accused's unit as an id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from civicgrid.areas.models import Area, Grid
from civicgrid.cases.choices import HandlingLevel
from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.cases.serializers import CasePartySerializer

from ..choices import Channel, Opinion, PetitionClass, Rating, ReviewOutcome, TransferMode
from ..models import PetitionDetails
from ..workflow import CLOCK_LABELS


class PetitionPartyInSerializer(serializers.Serializer):
    role = serializers.CharField(help_text=_("petitioner 信访人 / accused 被反映人"))
    kind = serializers.CharField(required=False, help_text=_("person / organisation"))
    name = serializers.CharField()
    id_card = serializers.CharField(required=False, allow_blank=True)
    org_code = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    data = serializers.DictField(required=False, help_text=_('被反映人可填 {"unit": 单位编号}'))


class PetitionCreateSerializer(serializers.Serializer):
    """Shape only; `do_register_petition` checks the rest and names the field it refuses."""

    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    area = serializers.PrimaryKeyRelatedField(queryset=Area.objects.all())
    grid = serializers.PrimaryKeyRelatedField(queryset=Grid.objects.all(), required=False, allow_null=True)
    channel = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=str(Channel.values)
    )
    petition_class = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=str(PetitionClass.values)
    )
    people_count = serializers.IntegerField(required=False, default=1)
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    related_case = serializers.IntegerField(required=False, allow_null=True)
    level = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=str(HandlingLevel.values)
    )
    parties = serializers.ListField(child=serializers.DictField(), allow_empty=True)


class PetitionActionRequestSerializer(serializers.Serializer):
    action = serializers.CharField()
    expected_version = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    unit = serializers.IntegerField(required=False, help_text=_("转送交办：承办机关编号"))
    mode = serializers.ChoiceField(choices=TransferMode.choices, required=False)
    opinion = serializers.ChoiceField(choices=Opinion.choices, required=False)
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices, required=False)
    requested_at = serializers.DateTimeField(required=False, help_text=_("复查/复核：收到申请的时间"))
    clock = serializers.CharField(required=False, help_text=_("延期：时限名称，默认 handling"))
    amount = serializers.IntegerField(required=False, min_value=1)
    approve = serializers.BooleanField(required=False)
    level = serializers.CharField(required=False, help_text=_("督办级别"))


class PetitionRevealRequestSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    purpose = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class PetitionPartySerializer(CasePartySerializer):
    data = serializers.DictField()


class PetitionDeadlineSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = CaseDeadline
        fields = [
            "name",
            "label",
            "amount",
            "unit",
            "max_extension",
            "started_at",
            "due_at",
            "due_date",
            "state",
        ]

    def get_label(self, obj) -> str:
        return str(CLOCK_LABELS.get(obj.name, obj.name))


class PetitionDetailsSerializer(serializers.ModelSerializer):
    organ_name = serializers.CharField(source="organ.name", default="", read_only=True)
    collective = serializers.BooleanField(read_only=True)
    is_repeat = serializers.BooleanField(read_only=True)
    # Plain strings: the same choice sets appear under other names in the action request.
    transfer_mode = serializers.CharField(read_only=True)
    review_outcome = serializers.CharField(read_only=True)
    recheck_outcome = serializers.CharField(read_only=True)
    rating = serializers.CharField(read_only=True, help_text=str(Rating.values))

    class Meta:
        model = PetitionDetails
        fields = [
            "channel",
            "petition_class",
            "people_count",
            "collective",
            "received_at",
            "registering_unit",
            "organ",
            "organ_name",
            "transfer_mode",
            "transferred_at",
            "accepted",
            "acceptance_at",
            "acceptance_reason",
            "opinion",
            "opinion_text",
            "opinion_at",
            "review_requested_at",
            "review_outcome",
            "review_text",
            "reviewed_at",
            "recheck_requested_at",
            "recheck_outcome",
            "recheck_text",
            "rechecked_at",
            "related_case",
            "repeat_of",
            "repeat_count",
            "is_repeat",
            "rating",
            "rated_at",
        ]


class PetitionSerializer(serializers.ModelSerializer):
    petition = PetitionDetailsSerializer(read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "description",
            "status",
            "handling_level",
            "area",
            "area_code",
            "lead_unit",
            "confidential",
            "opened_at",
            "closed_at",
            "due_at",
            "version",
            "urge_count",
            "supervision",
            "petition",
        ]


class PetitionActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    note_required = serializers.BooleanField()


class PetitionDocumentSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    pdf = serializers.CharField()
    docx = serializers.CharField()


class PetitionDetailSerializer(PetitionSerializer):
    parties = serializers.SerializerMethodField()
    deadlines = PetitionDeadlineSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta(PetitionSerializer.Meta):
        fields = [*PetitionSerializer.Meta.fields, "parties", "deadlines", "actions", "documents"]

    def get_parties(self, obj) -> PetitionPartySerializer(many=True):
        return self.context.get("parties", [])

    def get_actions(self, obj) -> PetitionActionSerializer(many=True):
        return self.context.get("actions", [])

    def get_documents(self, obj) -> PetitionDocumentSerializer(many=True):
        return self.context.get("documents", [])


class PetitionCreatedSerializer(PetitionDetailSerializer):
    query_code = serializers.SerializerMethodField()

    class Meta(PetitionDetailSerializer.Meta):
        fields = [*PetitionDetailSerializer.Meta.fields, "query_code"]

    def get_query_code(self, obj) -> str:
        return getattr(obj, "query_code", "")


class PetitionFigureRowSerializer(serializers.Serializer):
    group = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    repeat = serializers.IntegerField()
    collective = serializers.IntegerField()
    repeat_rate = serializers.FloatField(allow_null=True)
    transfer_decided = serializers.IntegerField()
    transfer_late = serializers.IntegerField()
    transfer_rate = serializers.FloatField(allow_null=True)
    acceptance_decided = serializers.IntegerField()
    acceptance_late = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    handling_decided = serializers.IntegerField()
    handling_late = serializers.IntegerField()
    handling_rate = serializers.FloatField(allow_null=True)


class PetitionFiguresSerializer(serializers.Serializer):
    by = serializers.CharField()
    rows = PetitionFigureRowSerializer(many=True)
    total = PetitionFigureRowSerializer()
