"""`manage.py rebuild_case_units`: rebuild the derived `CaseUnit` rows (which units see an open case
through an assignment) from the assignments, in one transaction.

Migration 0004 runs it once when the table is added; the kernel services keep it up to date after
that. For operators: after writing cases or assignments outside the kernel services (a restore, a
hand-made SQL fix, a bulk load that did not call `rebuild_case_units` itself). Reads the open cases
only (about 1 % of a city's cases): seconds at millions of events. Idempotent; best run while
nobody works cases (a case the services change during the rebuild keeps its own rows right only if
that change commits before the rebuild reads it — run it again if in doubt).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from civicgrid.cases.services import rebuild_case_units


class Command(BaseCommand):
    help = "Rebuild which units see each open case through an assignment (the inbox's CaseUnit rows)."

    def handle(self, **options):
        with transaction.atomic():
            written = rebuild_case_units()
        if options["verbosity"]:
            self.stdout.write(f"{written} case-unit rows")
