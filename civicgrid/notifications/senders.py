"""Senders: the plug-in point between an OutboundMessage and the world outside.

A sender is any class with `send(message) -> None` that raises on failure (the worker then retries
with backoff). Settings name the class per channel by dotted path:

    CIVICGRID_SMS_SENDER   = "civicgrid.notifications.senders.LoggingSender"   (default)
    CIVICGRID_EMAIL_SENDER = "civicgrid.notifications.senders.DjangoEmailSender"

An SMS gateway is a deployment plug-in (each city buys its own); it should pass
`message.idempotency_key` to the gateway where the gateway can deduplicate, because a worker that
dies after the gateway accepted a message but before recording it sends it again after the lease
expires (docs/background-work.md).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from .addresses import mask_address
from .choices import Channel

logger = logging.getLogger("civicgrid.notifications.outbound")

DEFAULT_SENDER = "civicgrid.notifications.senders.LoggingSender"
SETTING_BY_CHANNEL = {Channel.SMS: "CIVICGRID_SMS_SENDER", Channel.EMAIL: "CIVICGRID_EMAIL_SENDER"}


@runtime_checkable
class Sender(Protocol):
    def send(self, message) -> None:
        """Deliver `message` (an OutboundMessage) or raise. Must not write to the database."""


class LoggingSender:
    """The default: writes the message to the log (address masked) and sends nothing, so an
    intranet install never reaches out by accident."""

    def send(self, message) -> None:
        logger.info(
            "outbound %s to %s key=%s: %s",
            message.channel,
            mask_address(message.channel, message.address),
            message.idempotency_key,
            message.body,
        )


class DjangoEmailSender:
    """Email through Django's configured EMAIL_BACKEND (SMTP settings come from Django's own
    EMAIL_* settings). The idempotency key travels as a Message-ID-like header for dedupe."""

    def send(self, message) -> None:
        email = EmailMessage(
            subject=message.subject or message.body[:50],
            body=message.body,
            to=[message.address],
            headers={"X-CivicGrid-Idempotency-Key": message.idempotency_key},
        )
        email.send(fail_silently=False)


@cache
def _load(path: str):
    return import_string(path)()


def sender_for(channel: str) -> Sender:
    """The configured sender instance for `channel` (one per process)."""
    path = getattr(settings, SETTING_BY_CHANNEL[Channel(channel)], "") or DEFAULT_SENDER
    return _load(path)


def reset_senders() -> None:
    """Forget the loaded sender instances (tests that change the settings)."""
    _load.cache_clear()
