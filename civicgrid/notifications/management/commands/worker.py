"""`manage.py worker`: run background tasks and the periodic jobs (docs/background-work.md).

Takes django-tasks-db's `db_worker` options, plus --no-periodic (a worker that only runs tasks)
and --round-size. Start as many as you like, on as many machines: they share the database.
"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from civicgrid.notifications.worker import PeriodicWorker


class Command(db_worker.Command):
    help = "Run background tasks (django-tasks database backend) and enqueue due periodic jobs."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="Only run tasks; do not enqueue periodic jobs.",
        )
        parser.add_argument(
            "--round-size",
            type=int,
            default=20,
            help="Tasks to run between two checks of the periodic jobs (default: %(default)s).",
        )

    def handle(
        self, *, verbosity, queue_name, exclude_queues, reload, batch, periodic, round_size, **options
    ):
        import os

        self.configure_logging(verbosity)
        if round_size < 1:
            raise CommandError("--round-size must be at least 1")
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = PeriodicWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            periodic=periodic,
            round_size=round_size,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
