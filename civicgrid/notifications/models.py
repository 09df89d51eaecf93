"""Notifications (the in-app inbox), outbound SMS/email messages and the periodic-job ledger.

Notifications belong to a person, not to a place: they are read through `Notification.objects
.for_user(user)` (own rows only), not through area scope. Rows are written only by
`services.notify` and changed only by the services and the delivery worker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, MessageStatus


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """The user's own notifications; none for anonymous users. Nobody reads another's inbox,
        superusers included (they have the admin)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in one person's in-app inbox: what happened (kind, title, body), where to look
    (link, related object) and whether it has been read."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("收件人"),
    )
    # A machine-readable kind ("case.overdue", "case.dispatched") for filters and icons.
    kind = models.CharField(_("类型"), max_length=50)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    # The object the notification is about ("cases.case", "42"): plain strings, so this app needs no
    # import from the apps above it.
    related_type = models.CharField(_("关联对象类型"), max_length=100, blank=True)
    related_id = models.CharField(_("关联对象编号"), max_length=64, blank=True)
    # The caller's idempotency key: the same key never yields a second row for the same recipient.
    idempotency_key = models.CharField(_("幂等键"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知列表")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "idempotency_key"], name="notification_unique_key_per_recipient"
            )
        ]
        indexes = [
            # "My unread, newest first" (the bell and the inbox page).
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboundMessage(models.Model):
    """One SMS or email to one address, delivered by a worker through the channel's sender.

    The address is personal data: it is shown masked in the admin and the API. `attempts` counts
    claims; a worker holds a message in "sending" until `lease_expires_at`, and the attempt number
    it claimed is its fencing token (a worker whose lease lapsed cannot overwrite a newer attempt).
    """

    channel = models.CharField(
        _("渠道"), max_length=10, choices=[(c.value, c.label) for c in (Channel.SMS, Channel.EMAIL)]
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("收件人"),
    )
    address = models.CharField(_("收件地址"), max_length=254, blank=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    notification = models.ForeignKey(
        Notification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("通知"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    # Passed to the sender, so a gateway that supports it can drop a repeat of the same message.
    idempotency_key = models.CharField(_("幂等键"), max_length=250, unique=True)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    lease_expires_at = models.DateTimeField(_("租约到期时间"), null=True, blank=True)
    claimed_by = models.CharField(_("处理进程"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息列表")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweep: queued messages whose time has come, and sending ones whose lease lapsed.
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due_idx"),
            models.Index(fields=["status", "lease_expires_at"], name="outbound_lease_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENDING) | Q(lease_expires_at__isnull=False),
                name="outbound_sending_has_lease",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk}"


class PeriodicJob(models.Model):
    """The ledger of one registered periodic job (civicgrid.core.periodic): when it last ran and
    when it is next due. Workers lock the row to claim a run, so only one of them enqueues it."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    next_run_at = models.DateTimeField(_("下次运行时间"), default=timezone.now)
    last_run_at = models.DateTimeField(_("上次运行时间"), null=True, blank=True)
    last_task_id = models.CharField(_("上次任务编号"), max_length=64, blank=True)
    last_worker = models.CharField(_("上次运行进程"), max_length=64, blank=True)
    # An operator can pause a job from the admin without a deployment.
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("周期任务")
        verbose_name_plural = _("周期任务列表")
        ordering = ["name"]

    def __str__(self):
        return self.name
