"""Open311 clients (接入客户端) and what the Open311 interface adds to an event.

`Client` is one integrator (a 311 app, a department system, a sensor gateway): it owns one service
account (`user`, no password, granted the built-in role "open311_client" over `area`) and that
account's current API token, which is the client's `api_key`. Binding the key to an area is thus the
platform's ordinary area scope: the client reports and reads events in its area and nowhere else.

`SubmittedRequest` records, one-to-one on the event's case, what the client sent that has no place
on the event itself: the token (for batch services), address_id, media_url, the device and account
ids and the reporter's e-mail (personal data, never shown in GET responses).

`Call` is the access log of the interface: one row per call, with the client, the endpoint, the
HTTP status and the request id (every call audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import TimeStampedModel


class Client(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    contact = models.CharField(_("联系人及联系方式"), max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接口账号"),
        on_delete=models.PROTECT,
        related_name="open311_client",
    )
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("授权区域"), on_delete=models.PROTECT, related_name="open311_clients"
    )
    token = models.ForeignKey(
        "accounts.ApiToken",
        verbose_name=_("当前密钥"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requests_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=60)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = pgettext_lazy("plural", "Open311 客户端")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SubmittedRequest(models.Model):
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="open311",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="submitted_requests"
    )
    token = models.CharField(_("令牌"), max_length=40, unique=True)
    address_id = models.CharField(_("地址编码"), max_length=100, blank=True)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    device_id = models.CharField(_("设备标识"), max_length=100, blank=True)
    account_id = models.CharField(_("客户端账号"), max_length=100, blank=True)
    email = models.CharField(_("反映人邮箱"), max_length=200, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))

    PERSONAL_FIELDS = {"email": "email"}

    class Meta:
        verbose_name = _("Open311 提交记录")
        verbose_name_plural = pgettext_lazy("plural", "Open311 提交记录")

    def __str__(self):
        return self.token


class Call(models.Model):
    client = models.ForeignKey(
        Client,
        verbose_name=_("客户端"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
    )
    key_prefix = models.CharField(_("密钥前缀"), max_length=12, blank=True)
    method = models.CharField(_("方法"), max_length=8)
    endpoint = models.CharField(_("接口"), max_length=40)
    path = models.CharField(_("路径"), max_length=300)
    status = models.PositiveSmallIntegerField(_("状态码"))
    error_code = models.CharField(_("错误代码"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    time = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("Open311 调用记录")
        verbose_name_plural = pgettext_lazy("plural", "Open311 调用记录")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["client", "time"], name="open311_call_client_time")]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"
