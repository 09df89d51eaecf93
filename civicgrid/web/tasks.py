"""Housekeeping the worker runs for the pages: expired sessions are deleted (anonymous citizen
look-ups and timed-out staff logins leave rows behind; Django never deletes them by itself)."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django_tasks import task

CLEAR_SESSIONS_SECONDS = 6 * 3600


@task()
def clear_expired_sessions() -> str:
    """`manage.py clearsessions`, as a periodic job. Idempotent."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return "ok"
