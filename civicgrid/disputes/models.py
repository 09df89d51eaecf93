"""Tables of the dispute kind. The case itself (title, place, status, clocks, timeline, parties)
is the kernel's `cases.Case`; a dispute adds `DisputeDetails` (one-to-one), its mediation
sessions and follow-up visits. Mediation organisations and the risk scheme are configuration.

Every row is written by `disputes.services` (or `disputes.risk` for the scheme), inside the
kernel's transaction with the case locked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import ScopedModel, TimeStampedModel

from .choices import (
    CourtResult,
    DisputeSource,
    DisputeType,
    FulfilmentResult,
    OrganisationKind,
    ReferralChannel,
)


class MediationOrganisation(ScopedModel, TimeStampedModel):
    """A mediation organisation (人民调解委员会, 行政调解, 法院特邀调解) located in an area; its
    mediators are users. Edited in the admin and the API by holders of the model permissions over
    its area."""

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=30, choices=OrganisationKind.choices)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="mediation_orgs"
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("调解员"), blank=True, related_name="mediation_orgs"
    )
    is_active = models.BooleanField(_("有效"), default=True)

    scope_path_field = "area__path"

    class Meta:
        verbose_name = _("调解组织")
        verbose_name_plural = pgettext_lazy("plural", "调解组织")
        ordering = ["area__code", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="mediation_org_unique_name")]

    def __str__(self):
        return self.name


class RiskScheme(TimeStampedModel):
    """The risk-grading scheme (风险等级): colours, what raises a grade, and by how much.

    No national standard fixes it (GLOSSARY): three colours (红/黄/绿) or four (红/橙/黄/蓝) by
    locality. `levels` lists the colours from lowest to highest, each with the score from which it
    applies: [{"code": "green", "label": "绿", "min_score": 0}, …]; the highest must be "red".
    `weights` gives each rule's points (threat_words, repeat_parties, overdue, failed, high_risk_type,
    group). One scheme is active; `disputes.risk` reads it."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    levels = models.JSONField(_("等级"), default=list)
    weights = models.JSONField(_("规则分值"), default=dict)
    threat_words = models.JSONField(_("威胁用语"), default=list, blank=True)
    high_risk_types = models.JSONField(_("高风险纠纷类型"), default=list, blank=True)
    group_size = models.PositiveIntegerField(_("群体性纠纷人数"), default=5)
    repeat_threshold = models.PositiveIntegerField(_("同一当事人既往案件数"), default=2)
    is_active = models.BooleanField(_("启用"), default=False)

    class Meta:
        verbose_name = _("风险等级方案")
        verbose_name_plural = pgettext_lazy("plural", "风险等级方案")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_scheme"
            )
        ]

    def __str__(self):
        return self.name


class DisputeDetails(models.Model):
    """What a dispute adds to its case. Created with the case (`do_register_dispute` → the kind's
    `on_open` hook), never without one."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="dispute",
    )
    dispute_type = models.CharField(_("纠纷类型"), max_length=20, choices=DisputeType.choices)
    amount = models.DecimalField(_("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    people_count = models.PositiveIntegerField(_("涉及人数"), default=1)
    is_group = models.BooleanField(_("群体性纠纷"), default=False)
    source = models.CharField(_("来源"), max_length=20, choices=DisputeSource.choices)
    source_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("来源案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="converted_disputes",
    )
    # Mediation
    organisation = models.ForeignKey(
        MediationOrganisation,
        verbose_name=_("调解组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes",
    )
    mediators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("调解员"), blank=True, related_name="mediated_disputes"
    )
    # Risk
    risk_level = models.CharField(_("风险等级"), max_length=20, blank=True)
    risk_rank = models.PositiveSmallIntegerField(_("风险序位"), default=0)
    risk_reasons = models.JSONField(_("风险依据"), default=list, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包案领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_disputes",
    )
    # Outcome: agreement
    agreement_text = models.TextField(_("协议内容"), blank=True)
    agreement_number = models.CharField(_("协议书编号"), max_length=60, blank=True)
    agreed_at = models.DateTimeField(_("达成协议时间"), null=True, blank=True)
    applicant_confirmed = models.BooleanField(_("申请人已确认"), default=False)
    respondent_confirmed = models.BooleanField(_("被申请人已确认"), default=False)
    # Outcome: failure and referral (引导分流)
    failure_reason = models.TextField(_("调解不成原因"), blank=True)
    failed_at = models.DateTimeField(_("调解终结时间"), null=True, blank=True)
    referral_channel = models.CharField(
        _("分流去向"), max_length=20, choices=ReferralChannel.choices, blank=True
    )
    referral_to = models.CharField(_("接收单位"), max_length=100, blank=True)
    referred_on = models.DateField(_("移交日期"), null=True, blank=True)
    referral_receipt = models.CharField(_("接收回执"), max_length=200, blank=True)
    # Judicial confirmation (司法确认)
    court_name = models.CharField(_("受理法院"), max_length=100, blank=True)
    confirmation_applied_on = models.DateField(_("申请司法确认日期"), null=True, blank=True)
    court_accepted_on = models.DateField(_("法院受理日期"), null=True, blank=True)
    court_result = models.CharField(_("司法确认结果"), max_length=20, choices=CourtResult.choices, blank=True)
    court_decided_on = models.DateField(_("法院裁定日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("纠纷信息")
        verbose_name_plural = pgettext_lazy("plural", "纠纷信息")
        permissions = [
            ("report_dispute", _("登记矛盾纠纷")),
            ("mediate_dispute", _("调解矛盾纠纷")),
            ("grade_dispute_risk", _("评定纠纷风险等级")),
            ("follow_up_dispute", _("纠纷履行回访")),
            ("close_dispute", _("矛盾纠纷结案")),
            ("view_dispute_figures", _("查看调解统计")),
        ]
        indexes = [
            models.Index(fields=["risk_level"], name="dispute_risk"),
            models.Index(fields=["dispute_type"], name="dispute_type"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.dispute_type}"


class MediationSession(models.Model):
    """One mediation session (调解会): when, where, who took part and the record (笔录)."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("调解地点"), max_length=200)
    participants = models.CharField(_("参加人员"), max_length=500)
    record = models.TextField(_("调解记录"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = pgettext_lazy("plural", "调解记录")
        ordering = ["held_at", "id"]

    def __str__(self):
        return f"{self.case_id} {self.held_at:%Y-%m-%d}"


class FollowUpVisit(models.Model):
    """A follow-up visit (回访) on the agreement's performance, usually by the grid worker."""

    case = models.ForeignKey(
        "cases.Case", verbose_name=_("案件"), on_delete=models.CASCADE, related_name="follow_up_visits"
    )
    visited_on = models.DateField(_("回访日期"))
    result = models.CharField(_("履行情况"), max_length=20, choices=FulfilmentResult.choices)
    note = models.TextField(_("回访记录"), blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("履行回访")
        verbose_name_plural = pgettext_lazy("plural", "履行回访")
        ordering = ["visited_on", "id"]

    def __str__(self):
        return f"{self.case_id} {self.visited_on}"
