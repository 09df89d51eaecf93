"""Enqueue the registered periodic jobs (civicgrid.core.periodic) when they are due.

Each job has one PeriodicJob row. A worker claims due rows under a row lock (SKIP LOCKED on
PostgreSQL; on SQLite the IMMEDIATE transaction serialises workers), enqueues the job's task in the
same transaction and moves `next_run_at` forward: the enqueue and the bookkeeping commit together or
not at all, so of two workers on two machines exactly one enqueues each run, and a crash between the
two is impossible.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from civicgrid.core.periodic import registered_jobs
from civicgrid.core.tasks import claimable, retry_when_locked

from .models import PeriodicJob

logger = logging.getLogger(__name__)


def _ensure_rows(specs: dict, now) -> None:
    missing = set(specs) - set(PeriodicJob.objects.filter(name__in=specs).values_list("name", flat=True))
    if missing:
        PeriodicJob.objects.bulk_create(
            [
                PeriodicJob(name=name, interval_seconds=specs[name].interval_seconds, next_run_at=now)
                for name in sorted(missing)
            ],
            ignore_conflicts=True,
        )


def _still_waiting(task_id: str) -> bool:
    """The previous run has not started yet: enqueueing another would only pile up the queue."""
    return bool(task_id) and DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.READY).exists()


def run_due_jobs(*, worker_id: str = "", now=None) -> list[str]:
    """Enqueue every registered, enabled job whose time has come; returns the names enqueued.
    A job whose previous run is still waiting in the queue is not enqueued again (its next run
    time moves on all the same)."""
    specs = {spec.name: spec for spec in registered_jobs()}
    if not specs:
        return []

    def attempt() -> list[str]:
        moment = now or timezone.now()
        enqueued = []
        with transaction.atomic():
            _ensure_rows(specs, moment)
            due = claimable(
                PeriodicJob.objects.filter(name__in=specs, enabled=True, next_run_at__lte=moment).order_by(
                    "name"
                )
            )
            for job in due:
                spec = specs[job.name]
                job.interval_seconds = spec.interval_seconds
                job.next_run_at = moment + timedelta(seconds=spec.interval_seconds)
                job.last_worker = worker_id[:64]
                fields = ["interval_seconds", "next_run_at", "last_worker"]
                if not _still_waiting(job.last_task_id):
                    result = spec.task.enqueue()
                    job.last_task_id = str(result.id)
                    job.last_run_at = moment
                    fields += ["last_task_id", "last_run_at"]
                    enqueued.append(job.name)
                job.save(update_fields=fields)
        return enqueued

    names = retry_when_locked(attempt)
    if names:
        logger.info("periodic jobs enqueued by %s: %s", worker_id or "?", ", ".join(names))
    return names
