"""The worker's housekeeping for the pages: expired sessions are deleted, live ones kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from civicgrid.core.periodic import registered_jobs
from civicgrid.web.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_cleared_by_a_periodic_job():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - dt.timedelta(days=1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + dt.timedelta(days=1))
    assert "web.clear_sessions" in [job.name for job in registered_jobs()]
    clear_expired_sessions.call()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
