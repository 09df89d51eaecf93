"""manage.py rebuild_figure_rollups: rebuild the figure and density rollups from the cases (after
an upgrade, a bulk import or a change of time zone). One transaction; the figures stay correct
while it runs (the days it has not committed yet are dirty or counted live)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from civicgrid.assessment.rollups import rebuild_all, rebuild_dirty


class Command(BaseCommand):
    help = "Rebuild the per-day and per-month figure and density rollups from the cases"

    def add_arguments(self, parser):
        parser.add_argument("--dirty-only", action="store_true", help="only the days marked dirty")

    def handle(self, *args, dirty_only=False, **options):
        started = time.perf_counter()
        result = {"days": rebuild_dirty()} if dirty_only else rebuild_all()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{result} in {elapsed:.1f} s")
