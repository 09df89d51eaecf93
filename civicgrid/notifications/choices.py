"""Channels and delivery states of notifications."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    # The in-app inbox: a Notification row, read on the notifications page and the bell.
    INBOX = "inbox", _("站内信")
    # Text message to the recipient's mobile number, through the configured SMS sender.
    SMS = "sms", _("短信")
    # Email to the recipient's address, through the configured email sender.
    EMAIL = "email", _("电子邮件")


OUTBOUND_CHANNELS = (Channel.SMS, Channel.EMAIL)


class MessageStatus(models.TextChoices):
    # Waiting for a worker (first try, or a retry whose backoff time has not come yet).
    QUEUED = "queued", _("待发送")
    # A worker claimed it and holds a lease; if the worker dies the lease expires and it is retried.
    SENDING = "sending", _("发送中")
    # The sender accepted it.
    SENT = "sent", _("已发送")
    # Every attempt failed (or there was no address); last_error says why. An operator may requeue.
    FAILED = "failed", _("发送失败")
