"""Assessment (考核评价) data: the scheme an office edits (which channels count, which exclusion
reasons count, the weights, the minimum sample, the composite weighting) and the per-case
`Exclusion` that takes a case out of the figures once approved.

No statute fixes these formulas: 北京市接诉即办工作条例 Art.32 only names response, resolution and
satisfaction rates, so every parameter is data (see docs/assessment.md). Written only by
`civicgrid.assessment.services`; read by `civicgrid.assessment.queries`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import ScopedModel


class ExclusionReason(models.TextChoices):
    UNREASONABLE = "unreasonable", _("诉求不合理")
    NOT_DUTY = "not_duty", _("非职责范围")
    UNREACHABLE = "unreachable", _("无法联系")


class ExclusionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")  # requested, counts as usual until approved
    APPROVED = "approved", _("已批准")  # out of the figures of every scheme that honours the reason
    REJECTED = "rejected", _("已驳回")  # stays in the figures


class ResponseSource(models.TextChoices):
    # The case's last response clock (started at dispatch, stopped at acceptance) ended "met".
    RESPONSE_CLOCK = "response_clock", _("响应时限按期")
    # Any recorded first response counts, whatever the clock says.
    ANY_RESPONSE = "any_response", _("有响应即计")


def default_reasons() -> list[str]:
    return [r.value for r in ExclusionReason]


class AssessmentScheme(models.Model):
    """One version of an assessment scheme (考核方案). Schemes are identified by `code`; a revision
    is a new row with `version` + 1, so figures computed under an older version stay reproducible
    (the formula fields of a saved version never change; only name and is_active do).
    The scheme that applies to a period is the active one of a code with the latest
    `effective_from` on or before the period's first day."""

    code = models.SlugField(_("方案代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("方案名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"))
    is_active = models.BooleanField(_("启用"), default=True)
    # Empty list: every channel is assessed.
    channels = models.JSONField(_("考核渠道"), default=list, blank=True)
    excluded_reasons = models.JSONField(_("认可的剔除理由"), default=default_reasons, blank=True)
    satisfied_weight = models.DecimalField(
        _("满意计分"), max_digits=5, decimal_places=4, default=Decimal("1")
    )
    basically_weight = models.DecimalField(
        _("基本满意计分"), max_digits=5, decimal_places=4, default=Decimal("0.8")
    )
    dissatisfied_weight = models.DecimalField(
        _("不满意计分"), max_digits=5, decimal_places=4, default=Decimal("0")
    )
    resolved_weight = models.DecimalField(
        _("已解决计分"), max_digits=5, decimal_places=4, default=Decimal("1")
    )
    unresolved_weight = models.DecimalField(
        _("未解决计分"), max_digits=5, decimal_places=4, default=Decimal("0")
    )
    response_source = models.CharField(
        _("响应判定"),
        max_length=20,
        choices=ResponseSource.choices,
        default=ResponseSource.RESPONSE_CLOCK,
    )
    min_sample = models.PositiveIntegerField(_("参与排名最少件数"), default=10)
    response_share = models.DecimalField(
        _("响应率权重"), max_digits=5, decimal_places=2, default=Decimal("20")
    )
    resolution_share = models.DecimalField(
        _("解决率权重"), max_digits=5, decimal_places=2, default=Decimal("40")
    )
    satisfaction_share = models.DecimalField(
        _("满意率权重"), max_digits=5, decimal_places=2, default=Decimal("40")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"))

    # The fields a revision may change; everything else identifies or records the version.
    FORMULA_FIELDS = (
        "channels",
        "excluded_reasons",
        "satisfied_weight",
        "basically_weight",
        "dissatisfied_weight",
        "resolved_weight",
        "unresolved_weight",
        "response_source",
        "min_sample",
        "response_share",
        "resolution_share",
        "satisfaction_share",
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = pgettext_lazy("plural", "考核方案")
        ordering = ["code", "-version"]
        permissions = [("view_figures", _("查看考核数据"))]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_scheme_version"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class Exclusion(ScopedModel):
    """A request to leave one case out of the assessment (诉求不合理 / 非职责范围 / 无法联系), with
    who asked, who decided and why. Only an approved exclusion whose reason the scheme honours
    removes the case. At most one per case; its scope is the case's."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="assessment_exclusion"
    )
    reason = models.CharField(_("剔除理由"), max_length=20, choices=ExclusionReason.choices)
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExclusionStatus.choices, default=ExclusionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    scope_path_field = "case__path"

    class Meta:
        verbose_name = _("考核剔除")
        verbose_name_plural = pgettext_lazy("plural", "考核剔除")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_exclusion", _("审批考核剔除"))]

    def __str__(self):
        return f"{self.case_id} {self.reason} ({self.status})"


class FigureRollup(models.Model):
    """Per-day partial counts of the figures (see docs/scaling.md, "Figures from rollups"): one row
    per (day the case was opened, lead unit, area path cut at the township, channel, approved
    exclusion reason, month the case was closed) with every count the formulas need. Derived data,
    written only by `civicgrid.assessment.rollups` (per dirty day, or all at once by
    `manage.py rebuild_figure_rollups`); never holds today or a day marked dirty in `RollupDirtyDay`
    as current — the readers count those days live."""

    day = models.DateField(_("受理日"))
    lead_unit_id = models.BigIntegerField(_("主办单位"))
    area = models.CharField(_("区划路径（至乡镇）"), max_length=100)
    channel = models.CharField(_("来源渠道"), max_length=20, blank=True)
    # The reason of the case's approved exclusion, "" when it has none.
    excluded = models.CharField(_("剔除理由"), max_length=20, blank=True)
    # First day of the (local) month the case was closed in; NULL while open.
    closed_month = models.DateField(_("办结月份"), null=True)
    n = models.PositiveIntegerField(_("件数"))
    responded_clock = models.PositiveIntegerField(_("按响应时限响应"))
    responded_any = models.PositiveIntegerField(_("有响应"))
    called_back = models.PositiveIntegerField(_("回访到"))
    resolved = models.PositiveIntegerField(_("已解决"))
    unresolved = models.PositiveIntegerField(_("未解决"))
    satisfied = models.PositiveIntegerField(_("满意"))
    basically = models.PositiveIntegerField(_("基本满意"))
    dissatisfied = models.PositiveIntegerField(_("不满意"))
    # Cases with no missed handling clock (on time when closed).
    not_missed = models.PositiveIntegerField(_("未超处置时限"))
    reopened = models.PositiveIntegerField(_("重办"))

    class Meta:
        verbose_name = _("考核日汇总")
        verbose_name_plural = pgettext_lazy("plural", "考核日汇总")
        default_permissions = ()
        indexes = [
            models.Index(fields=["day"], name="figure_rollup_day"),
            # The backlog at a month start: rows still open then (closed later or never).
            models.Index(fields=["closed_month", "day"], name="figure_rollup_closed"),
        ]

    def __str__(self):
        return f"{self.day} {self.lead_unit_id} {self.area} {self.n}"


class FigureMonthRollup(models.Model):
    """`FigureRollup` summed per month (same keys, `month` = the first day of the month instead of
    `day`): a year reads twelve months' rows instead of 365 days'. Recomputed from the day rows in
    the same transaction as any rebuild of a day of the month; read only for a month before
    today's that has no dirty day."""

    month = models.DateField(_("受理月份"))
    lead_unit_id = models.BigIntegerField(_("主办单位"))
    area = models.CharField(_("区划路径（至乡镇）"), max_length=100)
    channel = models.CharField(_("来源渠道"), max_length=20, blank=True)
    excluded = models.CharField(_("剔除理由"), max_length=20, blank=True)
    closed_month = models.DateField(_("办结月份"), null=True)
    n = models.PositiveIntegerField(_("件数"))
    responded_clock = models.PositiveIntegerField(_("按响应时限响应"))
    responded_any = models.PositiveIntegerField(_("有响应"))
    called_back = models.PositiveIntegerField(_("回访到"))
    resolved = models.PositiveIntegerField(_("已解决"))
    unresolved = models.PositiveIntegerField(_("未解决"))
    satisfied = models.PositiveIntegerField(_("满意"))
    basically = models.PositiveIntegerField(_("基本满意"))
    dissatisfied = models.PositiveIntegerField(_("不满意"))
    not_missed = models.PositiveIntegerField(_("未超处置时限"))
    reopened = models.PositiveIntegerField(_("重办"))

    class Meta:
        verbose_name = _("考核月汇总")
        verbose_name_plural = pgettext_lazy("plural", "考核月汇总")
        default_permissions = ()
        indexes = [
            models.Index(fields=["month"], name="figure_month_rollup_month"),
            models.Index(fields=["closed_month", "month"], name="figure_month_rollup_closed"),
        ]

    def __str__(self):
        return f"{self.month} {self.lead_unit_id} {self.area} {self.n}"


class DensityMonthRollup(models.Model):
    """`DensityRollup` summed per month, like `FigureMonthRollup`."""

    month = models.DateField(_("受理月份"))
    grid_id = models.BigIntegerField(_("网格"))
    path = models.CharField(_("区划路径"), max_length=100)
    n = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("网格密度月汇总")
        verbose_name_plural = pgettext_lazy("plural", "网格密度月汇总")
        default_permissions = ()
        indexes = [models.Index(fields=["month", "path", "grid_id", "n"], name="density_month_rollup")]

    def __str__(self):
        return f"{self.month} {self.grid_id} {self.n}"


class DensityRollup(models.Model):
    """Per-day event counts per grid for the density map (the cases `density.density_cases`
    counts, without a channel or category filter). Derived data, like `FigureRollup`."""

    day = models.DateField(_("受理日"))
    grid_id = models.BigIntegerField(_("网格"))
    path = models.CharField(_("区划路径"), max_length=100)
    n = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("网格密度日汇总")
        verbose_name_plural = pgettext_lazy("plural", "网格密度日汇总")
        default_permissions = ()
        indexes = [models.Index(fields=["day", "path", "grid_id", "n"], name="density_rollup_day")]

    def __str__(self):
        return f"{self.day} {self.grid_id} {self.n}"


class RollupDirtyDay(models.Model):
    """A day whose rollup rows may be stale: written in the same transaction as the change to a
    case opened that day; the readers count such a day live until the worker rebuilt it. `token`
    changes on every mark, so a rebuild only clears the mark it read (a change during the rebuild
    leaves the day dirty)."""

    day = models.DateField(_("日期"), primary_key=True)
    token = models.CharField(_("标记"), max_length=32)
    marked_at = models.DateTimeField(_("标记时间"))

    class Meta:
        verbose_name = _("待重算日")
        verbose_name_plural = pgettext_lazy("plural", "待重算日")
        default_permissions = ()

    def __str__(self):
        return str(self.day)
