"""What the text layer stores.

* `TextModel`: one trained classifier file — version, path and checksum, a summary of its training
  data (counts per label, period, source), its cross-validated metrics, who trained it, the file
  format version, the confidence threshold, and whether it is the active one (at most one).
* `CaseText`: what the text layer concluded about one case at intake — the model and its top-k, the
  routing decision (preselected / classification queue / keyword rules), and a keyed digest of the
  reporter (phone or account) for the "returns again and again" flag. Never the phone itself.
* `UrgencyRule`: editable rule data (a kind, words, the reason shown); `UrgencyFlag`: a rule or
  the repeat check that fired on a case, with its reason and the words that matched.
* `TextCorrection`: the label the text layer suggested and the one the dispatcher finally chose.

Case-bound rows are read only through the case's scope (`for_cases_of(user)`): a row of a case out
of reach is a 404 like a missing one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TextModel(models.Model):
    version = models.PositiveIntegerField(_("版本"), unique=True)
    file_path = models.CharField(_("模型文件"), max_length=500)
    checksum = models.CharField(_("SHA-256 校验和"), max_length=64)
    format_version = models.PositiveIntegerField(_("文件格式版本"))
    source = models.CharField(_("训练数据来源"), max_length=200)
    training_summary = models.JSONField(_("训练数据概况"), default=dict, blank=True)
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    confidence_threshold = models.FloatField(
        _("自动预选的置信度阈值"),
        null=True,
        blank=True,
        help_text=_("低于此值的留言进入人工分类队列；留空则使用系统设置"),
    )
    is_active = models.BooleanField(_("当前启用"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("训练人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("训练时间"))
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("文本分类模型")
        verbose_name_plural = pgettext_lazy("plural", "文本分类模型")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_text_model"
            )
        ]
        permissions = [("activate_textmodel", _("启用文本分类模型"))]

    def __str__(self):
        return f"v{self.version}"


class Routing(models.TextChoices):
    PRESELECTED = "preselected", _("已预选分类")
    QUEUE = "queue", _("待人工分类")
    RULES = "rules", _("关键词规则")
    GIVEN = "given", _("上报时已选分类")


class CaseText(models.Model):
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("案件"), primary_key=True, on_delete=models.CASCADE, related_name="text"
    )
    model_version = models.PositiveIntegerField(_("模型版本"), null=True, blank=True)
    predictions = models.JSONField(_("模型预测"), default=list, blank=True)
    confidence = models.FloatField(_("置信度"), null=True, blank=True)
    routing = models.CharField(_("分流"), max_length=12, choices=Routing.choices)
    needs_review = models.BooleanField(_("待人工分类"), default=False)
    reviewed_at = models.DateTimeField(_("人工分类时间"), null=True, blank=True)
    reporter_digest = models.CharField(_("反映人标识摘要"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("案件文本分析")
        verbose_name_plural = pgettext_lazy("plural", "案件文本分析")
        indexes = [
            models.Index(fields=["reporter_digest", "created_at"], name="casetext_reporter"),
            models.Index(fields=["needs_review"], name="casetext_review", condition=Q(needs_review=True)),
        ]

    def __str__(self):
        return f"{self.case_id} {self.routing}"


class UrgencyKind(models.TextChoices):
    VIOLENCE = "violence", _("生命安全或暴力威胁")
    SELF_HARM = "self_harm", _("自伤自杀倾向")
    GATHERING = "gathering", _("群体聚集")
    REPEAT = "repeat", _("同一反映人反复来访")


class UrgencyRule(models.Model):
    """Words that flag a message (any one of `words` occurring, unless one of `exclude` does)."""

    kind = models.CharField(_("类型"), max_length=12, choices=UrgencyKind.choices)
    name = models.CharField(_("名称"), max_length=100, unique=True)
    words = models.JSONField(_("触发词"), default=list)
    exclude = models.JSONField(_("排除词"), default=list, blank=True)
    reason = models.CharField(_("提示理由"), max_length=200)
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("紧急提示规则")
        verbose_name_plural = pgettext_lazy("plural", "紧急提示规则")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class UrgencyFlag(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="urgency_flags"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=UrgencyKind.choices)
    reason = models.CharField(_("理由"), max_length=300)
    matched = models.JSONField(_("命中词"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("紧急提示")
        verbose_name_plural = pgettext_lazy("plural", "紧急提示")
        ordering = ["id"]
        indexes = [models.Index(fields=["case", "kind"], name="urgencyflag_case_kind")]

    def __str__(self):
        return f"{self.case_id} {self.kind}"


class TextCorrection(models.Model):
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="text_corrections"
    )
    suggested = models.CharField(_("建议分类"), max_length=100, blank=True)
    chosen = models.CharField(_("最终分类"), max_length=100)
    model_version = models.PositiveIntegerField(_("模型版本"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("分类更正")
        verbose_name_plural = pgettext_lazy("plural", "分类更正")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.case_id} {self.suggested}→{self.chosen}"
