"""The petition's own data, one-to-one on the kernel's Case (docs/petitions.md).

Petitioners and the accused (被反映人) are kernel parties (`cases.CaseParty`, roles "petitioner"
and "accused"); the matter is the case's title and description; the registering level is the
case's `handling_level`; the clocks are kernel `CaseDeadline`s. Written only by `services` and
`citizen`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import COLLECTIVE_SIZE, Channel, Opinion, PetitionClass, Rating, ReviewOutcome, TransferMode


class PetitionDetails(models.Model):
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        on_delete=models.CASCADE,
        related_name="petition",
        primary_key=True,
    )
    channel = models.CharField(_("信访形式"), max_length=10, choices=Channel.choices)
    petition_class = models.CharField(_("信访类别"), max_length=12, choices=PetitionClass.choices)
    people_count = models.PositiveIntegerField(_("信访人数"), default=1)
    received_at = models.DateTimeField(_("收到时间"))
    registering_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("登记单位"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    organ = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("承办机关"),
        on_delete=models.PROTECT,
        related_name="petitions",
        null=True,
        blank=True,
    )
    transfer_mode = models.CharField(_("转交方式"), max_length=10, choices=TransferMode.choices, blank=True)
    transferred_at = models.DateTimeField(_("转送（交办）时间"), null=True, blank=True)
    accepted = models.BooleanField(_("是否受理"), null=True, blank=True)
    acceptance_at = models.DateTimeField(_("受理告知时间"), null=True, blank=True)
    acceptance_reason = models.TextField(_("不予受理理由"), blank=True)
    opinion = models.CharField(_("处理意见"), max_length=12, choices=Opinion.choices, blank=True)
    opinion_text = models.TextField(_("处理意见书内容"), blank=True)
    opinion_at = models.DateTimeField(_("处理意见书送达时间"), null=True, blank=True)
    review_requested_at = models.DateTimeField(_("申请复查时间"), null=True, blank=True)
    review_outcome = models.CharField(_("复查结论"), max_length=10, choices=ReviewOutcome.choices, blank=True)
    review_text = models.TextField(_("复查意见"), blank=True)
    reviewed_at = models.DateTimeField(_("复查意见送达时间"), null=True, blank=True)
    recheck_requested_at = models.DateTimeField(_("申请复核时间"), null=True, blank=True)
    recheck_outcome = models.CharField(
        _("复核结论"), max_length=10, choices=ReviewOutcome.choices, blank=True
    )
    recheck_text = models.TextField(_("复核意见"), blank=True)
    rechecked_at = models.DateTimeField(_("复核意见送达时间"), null=True, blank=True)
    related_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("关联信访事项"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("登记人认定的同一事项"),
    )
    repeat_of = models.ForeignKey(
        "cases.Case",
        verbose_name=_("首次信访事项"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    repeat_count = models.PositiveIntegerField(_("此前同一事项信访次数"), default=0)
    code_hash = models.CharField(_("查询码摘要"), max_length=200, blank=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("评价意见"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("信访事项")
        verbose_name_plural = _("信访事项")
        permissions = [
            ("register_petition", _("登记信访事项")),
            ("transfer_petition", _("转送、交办信访事项")),
            ("review_petition", _("办理复查、复核")),
            ("view_petition_figures", _("查看信访统计")),
        ]
        indexes = [
            models.Index(fields=["petition_class"], name="petition_class"),
            models.Index(fields=["organ"], name="petition_organ"),
            models.Index(fields=["received_at"], name="petition_received"),
        ]

    def __str__(self):
        return str(self.case_id)

    @property
    def collective(self) -> bool:
        """集体访: five or more people."""
        return self.people_count >= COLLECTIVE_SIZE

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None
