"""The CivicGrid worker: django-tasks-db's worker loop plus the periodic scheduler.

Each round: enqueue the periodic jobs that are due (scheduler.run_due_jobs), then run up to
`round_size` ready tasks, then sleep `interval` seconds if there was nothing to do. Bounding the
round keeps the timers on time while a backlog of messages is being delivered.
"""

from __future__ import annotations

import logging
import random
import time

from django.db import close_old_connections
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .scheduler import run_due_jobs

logger = logging.getLogger("civicgrid.worker")


class PeriodicWorker(Worker):
    """django_tasks_db's Worker (signals, run_task, claim) driven by a loop that also ticks the
    periodic scheduler. With `batch`, exits once the queue is empty (tests, cron-style runs)."""

    def __init__(self, *, periodic: bool = True, round_size: int = 20, **options):
        super().__init__(**options)
        self.periodic = periodic
        self.round_size = round_size

    def _queue(self):
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        return tasks

    def claim_next(self) -> DBTaskResult | None:
        """Lock and claim the next ready task, as db_worker does; None when there is none or the
        database is busy."""
        tasks = self._queue()
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
                return task_result
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None
            raise

    def tick(self) -> list[str]:
        try:
            return run_due_jobs(worker_id=self.worker_id)
        except Exception:
            # A broken job registration must not stop message delivery; the log says what broke.
            logger.exception("periodic scheduler failed; tasks keep running")
            return []

    def run_round(self) -> int:
        ran = 0
        while self.running and ran < self.round_size:
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                break
            task_result = self.claim_next()
            if task_result is None:
                break
            self.run_task(task_result)
            ran += 1
        return ran

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers that start together
        while self.running:
            close_old_connections()
            if self.periodic:
                self.tick()
            ran = self.run_round()
            close_old_connections()
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if ran == 0:
                if self.batch:
                    return
                if self.running:
                    time.sleep(self.interval)
