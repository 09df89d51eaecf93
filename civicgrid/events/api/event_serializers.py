"""Shapes of the events API (/api/v1/events/). Serializers validate shape only; the intake
pipeline and the services decide. Reporter name and phone are always masked here: the unmasked
values come only from the reveal endpoint, which checks the reveal permission and logs the read."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from civicgrid.cases.models import Assignment, Case, CaseDeadline, TimelineEntry
from civicgrid.cases.services import can_act
from civicgrid.core.personal_data import mask_name, mask_phone

from ..models import Channel, EventPhoto, PhotoStage, Satisfaction
from ..workflow import WORKFLOW


class EventCreateSerializer(serializers.Serializer):
    title = serializers.CharField(label=_("标题"), max_length=200, allow_blank=True)
    description = serializers.CharField(label=_("描述"), required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(label=_("来源渠道"), choices=Channel.choices)
    category = serializers.CharField(
        label=_("事件分类代码"), required=False, allow_blank=True, allow_null=True
    )
    lon = serializers.FloatField(label=_("经度"), required=False, allow_null=True)
    lat = serializers.FloatField(label=_("纬度"), required=False, allow_null=True)
    # Checked by the locator (a field error on "crs"); a plain string keeps one enum per schema.
    crs = serializers.CharField(label=_("坐标系（wgs84、gcj02、bd09）"), required=False, default="wgs84")
    area_code = serializers.CharField(label=_("区划代码"), required=False, allow_blank=True, allow_null=True)
    address = serializers.CharField(label=_("地址"), required=False, allow_blank=True, default="")
    reporter_name = serializers.CharField(label=_("反映人姓名"), required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(
        label=_("反映人电话"), required=False, allow_blank=True, default=""
    )
    answers = serializers.DictField(label=_("分类必填信息"), required=False, default=dict)
    idempotency_key = serializers.CharField(
        label=_("幂等键"), required=False, allow_blank=True, allow_null=True, max_length=100
    )
    photos = serializers.ListField(
        label=_("现场照片"), child=serializers.FileField(), required=False, default=list
    )


class BatchItemSerializer(EventCreateSerializer):
    photos = None  # a batch is JSON: photos are uploaded per event afterwards


class BatchRequestSerializer(serializers.Serializer):
    items = serializers.ListField(label=_("事件列表"), child=serializers.DictField(), max_length=500)


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "existing", "error"])
    id = serializers.IntegerField(allow_null=True)
    number = serializers.CharField(allow_null=True)
    errors = serializers.DictField(allow_null=True)


class BatchResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BatchResultSerializer(many=True)


class ActionRequestSerializer(serializers.Serializer):
    """`expected_version` is the version the actor saw; the other fields depend on the action."""

    expected_version = serializers.IntegerField(label=_("版本"))
    note = serializers.CharField(label=_("说明"), required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, help_text=_("register：事件分类代码"))
    into = serializers.IntegerField(required=False, help_text=_("merge：原事件编号（id）"))
    lead_unit = serializers.IntegerField(required=False, help_text=_("dispatch/designate：主办单位"))
    co_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    result = serializers.CharField(required=False, allow_blank=True, help_text=_("handle：处置结果"))
    evidence_photos = serializers.ListField(child=serializers.IntegerField(), required=False)
    contacted = serializers.BooleanField(required=False)
    resolved = serializers.BooleanField(required=False)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False)
    level = serializers.CharField(required=False, help_text=_("supervise：督办级别"))
    clock = serializers.CharField(required=False)
    amount = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    approve = serializers.BooleanField(required=False)
    units = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("summon：召集的部门（吹哨报到）")
    )


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(label=_("照片"))
    stage = serializers.ChoiceField(label=_("阶段"), choices=PhotoStage.choices, default=PhotoStage.REPORT)


class EventRevealRequestSerializer(serializers.Serializer):
    purpose = serializers.CharField(label=_("查看目的"), required=False, allow_blank=True, default="")


class EventRevealSerializer(serializers.Serializer):
    reporter_name = serializers.CharField()
    reporter_phone = serializers.CharField()


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventPhoto
        fields = ["id", "stage", "content_type", "size", "uploaded_at", "uploaded_by", "file"]


class TimelineSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", default=None, read_only=True)

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "kind",
            "action",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "note",
            "data",
            "time",
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "unit", "unit_name", "role", "status", "designated", "assigned_at", "accepted_at"]


class DeadlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseDeadline
        fields = ["id", "name", "amount", "unit", "started_at", "due_at", "due_date", "provisional", "state"]


class ActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    note_required = serializers.BooleanField()


class EventSerializer(serializers.ModelSerializer):
    """An event as a list shows it: the case with its event details, reporter masked."""

    status_label = serializers.SerializerMethodField()
    # Plain strings: the case's and the category's priorities would otherwise collide as enums.
    priority = serializers.CharField(read_only=True)
    area_code = serializers.CharField(source="area.code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    grid_code = serializers.CharField(source="grid.code", default=None, read_only=True)
    channel = serializers.CharField(source="event.channel", read_only=True)
    category = serializers.CharField(source="event.category.code", default=None, read_only=True)
    category_name = serializers.CharField(source="event.category.name", default=None, read_only=True)
    reporter_name = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "status",
            "status_label",
            "priority",
            "channel",
            "category",
            "category_name",
            "area_code",
            "area_name",
            "grid_code",
            "lon",
            "lat",
            "handling_level",
            "lead_unit",
            "supervision",
            "urge_count",
            "plus_ones",
            "duplicate_of",
            "version",
            "opened_at",
            "closed_at",
            "due_at",
            "reporter_name",
            "reporter_phone",
        ]

    def get_status_label(self, case) -> str:
        return WORKFLOW.label_of(case.status)

    def get_reporter_name(self, case) -> str:
        return mask_name(case.event.reporter_name)

    def get_reporter_phone(self, case) -> str:
        return mask_phone(case.event.reporter_phone)


class EventDetailSerializer(EventSerializer):
    """One event with everything its page shows, and `actions`: what the reader may do now."""

    description = serializers.CharField(read_only=True)
    details = serializers.SerializerMethodField()
    timeline = TimelineSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    photos = PhotoSerializer(source="event_photos", many=True, read_only=True)
    actions = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [
            *EventSerializer.Meta.fields,
            "description",
            "details",
            "possible_duplicates",
            "timeline",
            "assignments",
            "deadlines",
            "photos",
            "actions",
        ]

    @extend_schema_field(serializers.DictField())
    def get_details(self, case) -> dict:
        e = case.event
        return {
            "suggested_categories": e.suggested_categories,
            "answers": e.answers,
            "address": e.address,
            "transfer_target": e.transfer_target,
            "result": e.result,
            "handled_at": e.handled_at,
            "first_response_at": e.first_response_at,
            "callback_contacted": e.callback_contacted,
            "callback_resolved": e.callback_resolved,
            "satisfaction": e.satisfaction,
            "callback_at": e.callback_at,
            "reopened_count": e.reopened_count,
            "self_handled": e.self_handled,
            "idempotency_key": e.idempotency_key,
        }

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_possible_duplicates(self, case) -> list:
        wanted = case.event.possible_duplicates or []
        request = self.context.get("request")
        user = getattr(request, "user", None)
        visible = Case.objects.restrict(user, "cases.view_case").filter(pk__in=wanted, closed_at__isnull=True)
        return [{"id": c.pk, "number": c.number, "title": c.title} for c in visible.order_by("id")]

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, case) -> list:
        from ..services import available_event_actions

        request = self.context.get("request")
        return available_event_actions(case, getattr(request, "user", None))


class EventCreatedSerializer(EventSerializer):
    """What intake answers (201, or 200 for a repeated idempotency key): the event as a list shows
    it, the possible duplicates, the photos received and what the reporter may do next. The full
    record (timeline, clocks, assignments) is at the `Location` URL; building it here would double
    the cost of every submission for data the submitter has just sent."""

    url = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "url", "possible_duplicates", "photos", "actions"]

    def get_url(self, case) -> str:
        return reverse("api-event-detail", args=[case.pk])

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_possible_duplicates(self, case) -> list:
        found = self.context.get("duplicates")
        if found is None:
            return EventDetailSerializer.get_possible_duplicates(self, case)
        # Intake has just read them: keep the ones the reader may see, without asking again.
        user = getattr(self.context.get("request"), "user", None)
        visible = sorted((c for c in found if can_act(user, "cases.view_case", c)), key=lambda c: c.pk)
        return [{"id": c.pk, "number": c.number, "title": c.title} for c in visible]

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, case) -> list:
        if not self.context.get("with_photos"):
            return []
        return PhotoSerializer(case.event_photos.all(), many=True, context=self.context).data

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, case) -> list:
        return EventDetailSerializer.get_actions(self, case)

    def to_representation(self, case):
        """The same object the declared fields give (a test compares the two on every status), built
        directly: intake answers every submission with it, and DRF's field machinery (copying and
        binding two dozen fields per answer) cost more than the rest of the answer."""
        event, area, grid = case.event, case.area, case.grid
        category = event.category
        return {
            "id": case.pk,
            "number": case.number,
            "title": case.title,
            "status": case.status,
            "status_label": self.get_status_label(case),
            "priority": str(case.priority),
            "channel": event.channel,
            "category": category.code if category is not None else None,
            "category_name": category.name if category is not None else None,
            "area_code": area.code,
            "area_name": area.name,
            "grid_code": grid.code if grid is not None else None,
            "lon": case.lon,
            "lat": case.lat,
            "handling_level": case.handling_level,
            "lead_unit": case.lead_unit_id,
            "supervision": case.supervision,
            "urge_count": case.urge_count,
            "plus_ones": case.plus_ones,
            "duplicate_of": case.duplicate_of_id,
            "version": case.version,
            "opened_at": _DATETIME.to_representation(case.opened_at),
            "closed_at": _DATETIME.to_representation(case.closed_at) if case.closed_at else None,
            "due_at": _DATETIME.to_representation(case.due_at) if case.due_at else None,
            "reporter_name": self.get_reporter_name(case),
            "reporter_phone": self.get_reporter_phone(case),
            "url": self.get_url(case),
            "possible_duplicates": self.get_possible_duplicates(case),
            "photos": self.get_photos(case),
            "actions": self.get_actions(case),
        }


_DATETIME = serializers.DateTimeField(read_only=True)
