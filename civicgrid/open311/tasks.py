"""Housekeeping of the Open311 call log: rows older than CIVICGRID_OPEN311["CALL_LOG_DAYS"] (180
days by default: 等保 2.0 asks for at least six months of logs) are deleted once a day, in chunks.
Idempotent: a run after a crash deletes what the last one left."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from .models import Call
from .settings import open311_setting

PURGE_SECONDS = 24 * 3600
CHUNK = 10_000


def purge_calls(now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - dt.timedelta(days=int(open311_setting("CALL_LOG_DAYS")))
    deleted = 0
    while True:
        ids = list(Call.objects.filter(time__lt=cutoff).order_by("id").values_list("id", flat=True)[:CHUNK])
        if not ids:
            return deleted
        deleted += Call.objects.filter(id__in=ids).delete()[0]


@task()
def purge_old_calls() -> str:
    return f"deleted {purge_calls()}"
