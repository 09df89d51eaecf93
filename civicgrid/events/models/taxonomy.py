"""The event taxonomy (事件分类, 大类/小类) and the dispatch catalogue (派单目录).

`Category` is city-wide data (not scoped to an area): every office classifies with the same codes,
as 数字城管 practice does. `DispatchRule` is scoped by the area subtree it covers, so a county
dispatcher edits the rules of their own county only. Both are written only by
`civicgrid.events.taxonomy_services`; resolution lives in `civicgrid.events.catalogue`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.deadlines import Limit
from civicgrid.core.deadlines import Unit as TimeUnit
from civicgrid.core.models import ScopedModel, TimeStampedModel


class LimitUnit(models.TextChoices):
    """The units of `civicgrid.core.deadlines.Unit`, with labels for forms and the API."""

    CALENDAR_DAYS = TimeUnit.CALENDAR_DAYS.value, _("自然日")
    WORKING_DAYS = TimeUnit.WORKING_DAYS.value, _("工作日")
    HOURS = TimeUnit.HOURS.value, _("小时")
    WORKING_HOURS = TimeUnit.WORKING_HOURS.value, _("工作小时")


class Priority(models.TextChoices):
    NORMAL = "normal", _("一般")  # the default: queued in order of deadline
    URGENT = "urgent", _("紧急")  # shown first in inboxes; usually a response limit in hours
    CRITICAL = "critical", _("特急")  # threatens life or property right now


class EmergencyService(models.TextChoices):
    """Where an emergency is transferred instead of being queued (转办)."""

    POLICE = "110", _("110 公安报警")
    FIRE = "119", _("119 消防救援")
    AMBULANCE = "120", _("120 医疗急救")
    TRAFFIC = "122", _("122 交通事故报警")


class QuestionType(models.TextChoices):
    """Types of the typed questions a category asks at intake (`Category.required_fields`)."""

    TEXT = "text", _("文本")
    NUMBER = "number", _("数字")
    CHOICE = "choice", _("单选")
    DATE = "date", _("日期")
    PHOTO = "photo", _("照片")
    BOOL = "bool", _("是/否")
    MULTI_CHOICE = "multichoice", _("多选")
    DATETIME = "datetime", _("日期时间")
    LONG_TEXT = "longtext", _("长文本")


# The question types whose answer is one or more of the question's `choices`.
CHOICE_TYPES = (QuestionType.CHOICE, QuestionType.MULTI_CHOICE)


class Category(TimeStampedModel):
    """One event class: a 大类 (no parent, code "01") or a 小类 (parent set, code "0101").

    It carries the clocks a case of this class runs on (response and handling limits in the units of
    the deadline engine), its priority, the questions intake must ask (`required_fields`: a list of
    {key, label, type, choices?, required}), whether it is an emergency transferred to 110/119/120/122,
    whether passing a level's limit escalates automatically, and the classifier's keywords
    ([{word, weight}]). Categories are never deleted while anything points at them; they are
    deactivated instead, so old cases keep their class.
    """

    code = models.CharField(_("分类代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("所属大类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    response_amount = models.PositiveIntegerField(_("响应时限"), default=1)
    response_unit = models.CharField(
        _("响应时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    handling_amount = models.PositiveIntegerField(_("处置时限"), default=5)
    handling_unit = models.CharField(
        _("处置时限单位"), max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    max_extension = models.PositiveIntegerField(
        _("最长延期"), default=0, help_text=_("处置时限可延长的总量（与处置时限同单位），0 表示不可延期")
    )
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    required_fields = models.JSONField(_("必填信息"), default=list, blank=True)
    emergency_transfer = models.CharField(
        _("紧急转办"), max_length=3, choices=EmergencyService.choices, null=True, blank=True
    )
    auto_escalate = models.BooleanField(
        _("超时自动上报"), default=False, help_text=_("超过本级时限时自动上报上一级")
    )
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    service_notice = models.TextField(
        _("办理告知"),
        blank=True,
        help_text=_("告知反映人本类事件将如何办理（Open311 的 service_notice）；留空则按处置时限自动生成"),
    )
    is_active = models.BooleanField(_("有效"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("事件分类")
        verbose_name_plural = pgettext_lazy("plural", "事件分类")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_major(self) -> bool:
        """A 大类 (top-level class)."""
        return self.parent_id is None

    @property
    def response_limit(self) -> Limit:
        return Limit(self.response_amount, self.response_unit)

    @property
    def handling_limit(self) -> Limit:
        return Limit(self.handling_amount, self.handling_unit, max_extension=self.max_extension)

    @property
    def notice(self) -> str:
        """What a reporter is told about how this class is handled: the written notice, or one
        built from the handling limit."""
        if self.service_notice.strip():
            return self.service_notice.strip()
        return _("本类事件受理后将在 %(amount)s 个%(unit)s内处置完毕。") % {
            "amount": self.handling_amount,
            "unit": self.get_handling_unit_display(),
        }


class DispatchRule(ScopedModel, TimeStampedModel):
    """One line of the dispatch catalogue: events of `category` (a 大类 or 小类) located in the
    subtree of `area` go to `lead_unit` (主办), with `co_handlers` (协办). The most specific active
    rule wins (`catalogue.resolve_dispatch`). At most one active rule per (category, area)."""

    category = models.ForeignKey(
        Category, verbose_name=_("事件分类"), on_delete=models.PROTECT, related_name="dispatch_rules"
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("适用区划"), on_delete=models.PROTECT, related_name="dispatch_rules"
    )
    lead_unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="lead_rules"
    )
    co_handlers = models.ManyToManyField(
        "accounts.Unit", verbose_name=_("协办单位"), blank=True, related_name="co_handler_rules"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    note = models.TextField(_("备注"), blank=True)

    scope_path_field = "area__path"

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = pgettext_lazy("plural", "派单规则")
        ordering = ["category__code", "area__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "area"],
                condition=models.Q(is_active=True),
                name="one_active_dispatch_rule_per_category_area",
            )
        ]

    def __str__(self):
        return f"{self.category} @ {self.area.name} → {self.lead_unit}"
