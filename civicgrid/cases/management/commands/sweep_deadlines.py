"""`manage.py sweep_deadlines`: run the case deadline sweep once (yellow, red, auto-escalation).

The `worker` command already runs it every CIVICGRID_DEADLINE_SWEEP_SECONDS; this is for cron-style
installs without a long-running worker, and for operators. Safe to run at any time, also beside a
worker: the sweep is idempotent and skips cases another transaction holds.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from civicgrid.cases.timers import DEFAULT_BATCH_SIZE, sweep_deadlines


class Command(BaseCommand):
    help = "Turn due case clocks yellow and red, notify handlers and escalate where the kind says so."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help="Clocks per transaction (default: %(default)s).",
        )

    def handle(self, *, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = sweep_deadlines(batch_size=batch_size)
        self.stdout.write(json.dumps(result.as_dict(), sort_keys=True))
