"""Reads of the inbox: the bell's count and the page's list (own rows only)."""

from __future__ import annotations

from .models import Notification


def unread_count(user) -> int:
    return Notification.objects.for_user(user).unread().count()


def inbox(user, *, unread_only: bool = False):
    rows = Notification.objects.for_user(user)
    return rows.unread() if unread_only else rows
