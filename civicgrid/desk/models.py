"""Tables of the one-stop centre: a walk-in visit (来访登记), its people until it is routed, its
routings (each one the link to a case it opened) and its history.

A visit is registered once. Routing opens a dispute, a petition or an event through that kind's own
service, in the same transaction as the visit's update; the visit then keeps the link (`case`, the
case now driving the matter, and one `VisitRouting` per case opened, oldest first). The people of a
visit (`VisitParty`, checked by the kernel's party rules) are handed to the case and removed from
the visit at the first routing: the case keeps them from then on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.cases.choices import PartyKind
from civicgrid.core.models import ScopedModel

from .choices import GROUP_VISIT_SIZE, Route, VisitAction, VisitStatus


class Visit(ScopedModel):
    """One walk-in at the centre: the matter, its place, how many came, and where it was sent.

    `path` is the grid's path when the matter lies in a grid, otherwise its area's: the desk sees
    the visits under the areas where it holds `desk.view_visit`."""

    number = models.CharField(_("来访编号"), max_length=40, unique=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PENDING
    )
    title = models.CharField(_("事项"), max_length=200)
    description = models.TextField(_("反映内容"), blank=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="desk_visits"
    )
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="desk_visits",
    )
    path = models.CharField(_("路径"), max_length=100)
    lon = models.FloatField(_("经度"), null=True, blank=True, help_text=_("WGS-84"))
    lat = models.FloatField(_("纬度"), null=True, blank=True, help_text=_("WGS-84"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    people_count = models.PositiveIntegerField(_("来访人数"), default=1)
    is_group = models.BooleanField(
        _("集体访"), default=False, help_text=_("来访 %(n)s 人及以上") % {"n": GROUP_VISIT_SIZE}
    )
    received_at = models.DateTimeField(_("来访时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接待人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    centre_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("接待单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("当前案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    route = models.CharField(_("分流去向"), max_length=10, choices=Route.choices, blank=True)
    routed_at = models.DateTimeField(_("分流时间"), null=True, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    idempotency_key = models.CharField(
        _("幂等键"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("同一幂等键重复提交时返回原登记（防止重复点击）"),
    )

    scope_path_field = "path"

    class Meta:
        verbose_name = _("来访登记")
        verbose_name_plural = pgettext_lazy("plural", "来访登记")
        ordering = ["-received_at", "-id"]
        permissions = [("route_visit", _("分流来访"))]
        indexes = [
            models.Index(fields=["path"], name="visit_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "received_at"], name="visit_status_received"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class VisitParty(models.Model):
    """A person or organisation who came (or is named) at the visit, as checked by the kernel's
    `clean_parties`; handed to the case and removed at the first routing."""

    visit = models.ForeignKey(Visit, verbose_name=_("来访"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=30)
    kind = models.CharField(_("类别"), max_length=15, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("姓名或名称"), max_length=100)
    id_card = models.CharField(_("身份证号"), max_length=18, blank=True)
    org_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    data = models.JSONField(_("其他信息"), default=dict, blank=True)
    id_digest = models.CharField(_("证件号摘要"), max_length=128, blank=True)
    digest_alg = models.CharField(_("摘要算法"), max_length=10, blank=True)

    # Masked in the audit log and on every page unless revealed (logged).
    PERSONAL_FIELDS = {"name": "name", "id_card": "id_card", "phone": "phone", "address": "address"}

    class Meta:
        verbose_name = _("来访人员")
        verbose_name_plural = pgettext_lazy("plural", "来访人员")
        ordering = ["id"]

    def __str__(self):
        return f"{self.visit_id}:{self.role}"


class VisitRouting(models.Model):
    """One routing of a visit: the case it opened (each case comes from at most one routing) and
    the case it followed, for a re-routing (e.g. failed mediation → petition)."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("来访"), on_delete=models.CASCADE, related_name="routings"
    )
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="desk_routing"
    )
    route = models.CharField(_("分流去向"), max_length=10, choices=Route.choices)
    previous_case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("原案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分流人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    routed_at = models.DateTimeField(_("分流时间"))
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("来访分流")
        verbose_name_plural = pgettext_lazy("plural", "来访分流")
        ordering = ["routed_at", "id"]

    def __str__(self):
        return f"{self.visit_id} → {self.case_id}"


class VisitEntry(models.Model):
    """The visit's history: registered, routed, re-routed, answered, urged, receipt printed."""

    visit = models.ForeignKey(Visit, verbose_name=_("来访"), on_delete=models.CASCADE, related_name="history")
    action = models.CharField(_("操作"), max_length=15, choices=VisitAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    time = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("来访记录")
        verbose_name_plural = pgettext_lazy("plural", "来访记录")
        ordering = ["time", "id"]

    def __str__(self):
        return f"{self.visit_id} {self.action}"
