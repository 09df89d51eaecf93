"""The only writers of notifications: `notify` (used by every app that tells people something) and
the inbox actions of the recipient. Delivery of outbound messages lives in `delivery`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.audit.services import object_label
from civicgrid.core.errors import ServiceError

from . import error_codes
from .addresses import address_of
from .choices import OUTBOUND_CHANNELS, Channel, MessageStatus
from .models import Notification, OutboundMessage

MSG_NO_RECIPIENTS = _("没有收件人。")
MSG_UNKNOWN_CHANNEL = _("未知的通知渠道“%(channel)s”。")
MSG_MISSING_KEY = _("缺少幂等键。")
MSG_NO_ADDRESS = {
    Channel.SMS: _("收件人没有手机号，短信未发送。"),
    Channel.EMAIL: _("收件人没有电子邮箱，邮件未发送。"),
}


@dataclass
class NotifyResult:
    """What one notify() call wrote: only the new rows (empty on a repeat of the same key)."""

    notifications: list[Notification] = field(default_factory=list)
    messages: list[OutboundMessage] = field(default_factory=list)


def _outbound_key(key: str, channel: str, user_id) -> str:
    return f"{key}:{channel}:{user_id}"


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    related=None,
    channels: Sequence[str] = (Channel.INBOX,),
    idempotency_key: str,
) -> NotifyResult:
    """Tell `recipients` (users) something: an inbox row each for the "inbox" channel, and a queued
    OutboundMessage each for "sms"/"email", delivered by a worker after the caller's transaction
    commits (a rollback sends nothing).

    `idempotency_key` names this occurrence ("case:42:overdue:2026-11-28"): a second call with the
    same key writes nothing new, so a retried timer cannot notify twice. Runs in the caller's
    transaction when there is one. A recipient without an address on a channel gets a "failed"
    message saying so, rather than being skipped without a trace.
    """
    from .delivery import enqueue_delivery  # delivery imports this module's models only

    if not idempotency_key:
        raise ServiceError(error_codes.MISSING_KEY, MSG_MISSING_KEY, field="idempotency_key")
    users = list({user.pk: user for user in recipients if user is not None}.values())
    if not users:
        raise ServiceError(error_codes.NO_RECIPIENTS, MSG_NO_RECIPIENTS, field="recipients")
    wanted = []
    for channel in dict.fromkeys(channels):
        try:
            wanted.append(Channel(channel))
        except ValueError:
            raise ServiceError(
                error_codes.UNKNOWN_CHANNEL,
                MSG_UNKNOWN_CHANNEL % {"channel": channel},
                field="channels",
                params={"channel": channel},
            ) from None
    related_type, related_id = "", ""
    if related is not None:
        related_type, related_id, _repr = object_label(related)
    now = timezone.now()
    result = NotifyResult()
    with transaction.atomic():
        inbox_by_user: dict = {}
        if Channel.INBOX in wanted:
            inbox_by_user = _write_inbox(
                users, kind, title, body, link, related_type, related_id, idempotency_key, now, result
            )
        for channel in (c for c in wanted if c in OUTBOUND_CHANNELS):
            _queue_outbound(users, channel, title, body, idempotency_key, inbox_by_user, now, result)
        for message in result.messages:
            if message.status == MessageStatus.QUEUED:
                enqueue_delivery(message.pk)
    return result


def _write_inbox(users, kind, title, body, link, related_type, related_id, key, now, result) -> dict:
    existing = set(
        Notification.objects.filter(recipient__in=users, idempotency_key=key).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            link=link,
            related_type=related_type,
            related_id=related_id,
            idempotency_key=key,
            created_at=now,
        )
        for user in users
        if user.pk not in existing
    ]
    if rows:
        # ignore_conflicts: a concurrent call with the same key may have won the race since the read.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        result.notifications.extend(
            Notification.objects.filter(
                recipient_id__in=[r.recipient_id for r in rows], idempotency_key=key, created_at=now
            )
        )
    return {n.recipient_id: n for n in Notification.objects.filter(recipient__in=users, idempotency_key=key)}


def _queue_outbound(users, channel, title, body, key, inbox_by_user, now, result) -> None:
    keys = {_outbound_key(key, channel, user.pk): user for user in users}
    existing = set(
        OutboundMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True)
    )
    rows = []
    for message_key, user in keys.items():
        if message_key in existing:
            continue
        address = address_of(user, channel)
        rows.append(
            OutboundMessage(
                channel=channel,
                recipient=user,
                address=address,
                subject=title,
                body=f"{title}\n{body}".strip() if body else title,
                notification=inbox_by_user.get(user.pk),
                idempotency_key=message_key,
                status=MessageStatus.QUEUED if address else MessageStatus.FAILED,
                last_error="" if address else str(MSG_NO_ADDRESS[channel]),
                next_attempt_at=now,
                created_at=now,
            )
        )
    if rows:
        OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
        result.messages.extend(
            OutboundMessage.objects.filter(
                idempotency_key__in=[r.idempotency_key for r in rows], created_at=now
            ).order_by("pk")
        )


def do_mark_read_notification(notification: Notification, *, actor) -> bool:
    """Mark one of the actor's own notifications read. The caller loaded it through
    `Notification.objects.for_user(actor)`; another user's row is refused here too. Returns False
    when it was already read (nothing written)."""
    with transaction.atomic():
        row = Notification.objects.for_user(actor).select_for_update().filter(pk=notification.pk).first()
        if row is None:
            raise Notification.DoesNotExist
        if row.read_at is not None:
            return False
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
        notification.read_at = row.read_at
        return True


def do_mark_all_read_notifications(*, actor) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    with transaction.atomic():
        return Notification.objects.for_user(actor).unread().update(read_at=timezone.now())
