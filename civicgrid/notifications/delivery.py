"""Delivery of outbound messages: claim under a lease, send, record, retry with backoff.

Guarantees (docs/background-work.md):
- A message is claimed by one worker at a time: the claim locks the row (SKIP LOCKED on PostgreSQL;
  SQLite's IMMEDIATE transactions serialise claimers) and moves it to "sending" with a lease.
- A message recorded "sent" is never sent again.
- A worker that dies between claiming and recording leaves the message "sending"; once the lease
  expires the sweep claims it again. If the gateway had already accepted it, the recipient gets it
  twice unless the gateway deduplicates on the idempotency key the sender passes: that is the
  at-least-once boundary of any system that cannot commit inside the gateway's transaction.
- The attempt number claimed is a fencing token: a worker whose lease lapsed cannot overwrite the
  result of a newer attempt.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.core.tasks import claimable, enqueue_on_commit, retry_when_locked

from .choices import MessageStatus
from .models import OutboundMessage
from .senders import sender_for

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 60


def lease_seconds() -> int:
    return int(getattr(settings, "CIVICGRID_OUTBOUND_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return int(getattr(settings, "CIVICGRID_OUTBOUND_MAX_ATTEMPTS", 5))


def backoff(attempt: int) -> timedelta:
    """Wait before retry number `attempt` + 1: 1, 2, 4, 8 … minutes, at most one hour."""
    base = int(getattr(settings, "CIVICGRID_OUTBOUND_BACKOFF_SECONDS", 60))
    return timedelta(seconds=min(base * 2 ** max(attempt - 1, 0), 3600))


def due_q(now) -> Q:
    """Messages a worker may claim now: queued and due, or sending with a lapsed lease."""
    return Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_expires_at__lte=now
    )


def enqueue_delivery(message_id: int, *, run_after=None) -> None:
    """Queue `deliver_outbound(message_id)` when the current transaction commits."""
    from .tasks import deliver_outbound

    task = deliver_outbound.using(run_after=run_after) if run_after else deliver_outbound
    enqueue_on_commit(task, message_id)


def claim_message(message_id: int, *, worker_id: str = "", now=None) -> OutboundMessage | None:
    """Move a due message to "sending" under a fresh lease and return it; None when it is not due,
    already sent, failed, or held by another worker. Commits before returning: the send happens
    outside any transaction, so a slow gateway holds no lock."""

    def attempt():
        moment = now or timezone.now()
        with transaction.atomic():
            message = claimable(OutboundMessage.objects.filter(pk=message_id).filter(due_q(moment))).first()
            if message is None:
                return None
            message.status = MessageStatus.SENDING
            message.attempts += 1
            message.lease_expires_at = moment + timedelta(seconds=lease_seconds())
            message.claimed_by = worker_id[:64]
            message.save(update_fields=["status", "attempts", "lease_expires_at", "claimed_by"])
            return message

    return retry_when_locked(attempt)


def deliver_message(message_id: int, *, worker_id: str = "", now=None) -> str | None:
    """Claim, send and record one message. Returns the status it ended in, or None when there was
    nothing to do. A sender's Exception is a failed attempt (retried with backoff, then "failed");
    anything harsher (the worker being killed) leaves the lease to expire."""
    message = claim_message(message_id, worker_id=worker_id, now=now)
    if message is None:
        return None
    token = message.attempts
    try:
        sender_for(message.channel).send(message)
    except Exception as exc:
        return _record_failure(message, token, exc)
    return _record_success(message, token)


def _record_success(message: OutboundMessage, token: int) -> str:
    updated = OutboundMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, attempts=token
    ).update(status=MessageStatus.SENT, sent_at=timezone.now(), lease_expires_at=None, last_error="")
    if not updated:
        # Our lease lapsed and another worker claimed the message: it may reach the recipient twice
        # (the gateway can dedupe on the idempotency key). Say so rather than overwrite its attempt.
        logger.warning(
            "outbound %s: lease lapsed before the send was recorded (attempt %s)", message.pk, token
        )
        return MessageStatus.SENDING
    return MessageStatus.SENT


def _record_failure(message: OutboundMessage, token: int, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    final = token >= max_attempts()
    with transaction.atomic():
        changes = {"last_error": error, "lease_expires_at": None}
        if final:
            changes["status"] = MessageStatus.FAILED
        else:
            changes["status"] = MessageStatus.QUEUED
            changes["next_attempt_at"] = now + backoff(token)
        updated = OutboundMessage.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, attempts=token
        ).update(**changes)
        if updated and not final:
            enqueue_delivery(message.pk, run_after=changes["next_attempt_at"])
    logger.warning("outbound %s attempt %s failed: %s", message.pk, token, error)
    return changes["status"] if updated else MessageStatus.SENDING


def deliver_due(*, worker_id: str = "", now=None, limit: int = 500) -> dict[str, int]:
    """The sweep: deliver up to `limit` due messages (retries whose time has come, messages whose
    worker died), oldest first. Each message is claimed in its own transaction, so a crash loses
    at most the lease of the message in hand. Returns counts per resulting status."""
    moment = now or timezone.now()
    ids = list(
        OutboundMessage.objects.filter(due_q(moment))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for message_id in ids:
        status = deliver_message(message_id, worker_id=worker_id, now=now)
        if status is not None:
            counts[status] = counts.get(status, 0) + 1
    return counts


def do_requeue_outbound_message(message: OutboundMessage, *, actor=None) -> bool:
    """Give a failed message a fresh set of attempts (an operator fixed the address or the gateway).
    Returns False when the message is not failed."""
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.FAILED).update(
            status=MessageStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        if updated:
            enqueue_delivery(message.pk)
    return bool(updated)
