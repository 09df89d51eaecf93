"""The event kind's own data, one-to-one on the kernel's `cases.Case` (kind "event").

`EventDetails` holds what only an event has: the intake channel, the category (小类), the
classifier's suggestions, the reporter (personal data, masked in the API), the answers to the
category's typed questions, the idempotency key of the submission, the emergency transfer target,
the callback (回访) and the figures the three rates need. `EventPhoto` is a photo of the scene at
intake or of the result as evidence. Both are written only by `civicgrid.events.services` and read
through `Case.objects.restrict(...)` (their scope is their case's).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .taxonomy import Category, EmergencyService


class Channel(models.TextChoices):
    """Where an event came from (信息收集渠道)."""

    GRID_PATROL = "grid_patrol", _("网格巡查")
    HOTLINE_12345 = "hotline_12345", _("12345 热线")
    WEB = "web", _("网站")
    APP = "app", _("移动应用")
    SENSOR = "sensor", _("物联感知")
    DEPARTMENT = "department", _("部门移交")
    CITIZEN = "citizen", _("群众上报")
    OPEN311 = "open311", _("Open311 接口")
    WALK_IN = "walk_in", _("来访")  # registered at the one-stop centre's desk (civicgrid.desk)


class Satisfaction(models.TextChoices):
    """The citizen's verdict at callback (回访); dissatisfied reopens the event."""

    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class PhotoStage(models.TextChoices):
    REPORT = "report", _("上报照片")  # the scene as reported
    EVIDENCE = "evidence", _("处置照片")  # the result, evidence for verification


class EventDetails(models.Model):
    """What an event adds to its case. Created by intake in the same transaction as the case
    (`cases.services.do_open_case` → the kind's `on_open` hook); never without a case."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="event",
    )
    channel = models.CharField(_("来源渠道"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("事件分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    suggested_categories = models.JSONField(_("推荐分类"), default=list, blank=True)
    possible_duplicates = models.JSONField(_("疑似重复"), default=list, blank=True)
    reporter_name = models.CharField(_("反映人姓名"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("反映人电话"), max_length=30, blank=True)
    # Personal data: masked in audit rows and API output unless revealed (core.personal_data).
    PERSONAL_FIELDS = {"reporter_name": "name", "reporter_phone": "phone"}
    answers = models.JSONField(_("分类必填信息"), default=dict, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, null=True, blank=True, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    transfer_target = models.CharField(
        _("转办去向"), max_length=3, choices=EmergencyService.choices, blank=True
    )
    result = models.TextField(_("处置结果"), blank=True)
    handled_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    callback_contacted = models.BooleanField(_("回访已联系上"), null=True, blank=True)
    callback_resolved = models.BooleanField(_("回访问题已解决"), null=True, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=15, choices=Satisfaction.choices, blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened_count = models.PositiveIntegerField(_("重办次数"), default=0)
    self_handled = models.BooleanField(_("就地处置"), default=False)

    class Meta:
        verbose_name = _("事件信息")
        verbose_name_plural = pgettext_lazy("plural", "事件信息")
        indexes = [models.Index(fields=["category", "channel"], name="event_category_channel")]

    def __str__(self):
        return f"{self.case_id} {self.channel}"


class EventPhoto(models.Model):
    """A photo of an event: the scene at intake (`report`) or the result (`evidence`, required to
    report back). The content type is decided from the file's first bytes (JPEG/PNG/WebP), never
    from the name or the client's header; the size limit is CIVICGRID_MAX_PHOTO_MB."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="event_photos"
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=PhotoStage.choices, default=PhotoStage.REPORT)
    file = models.FileField(_("文件"), upload_to="events/%Y/%m/")
    content_type = models.CharField(_("类型"), max_length=20)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("事件照片")
        verbose_name_plural = pgettext_lazy("plural", "事件照片")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.case_id} {self.stage} {self.file.name}"
