"""The periodic job "assessment.rollups" (run by `manage.py worker`): rebuild the figure and
density rollups of the days marked dirty before today. Idempotent; a crash leaves days dirty."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from civicgrid.core.periodic import register_periodic

PERIODIC_NAME = "assessment.rollups"
# At most this many days per run (three transactions of a month each): after an upgrade that marks
# years of days dirty, the job catches up over a few runs instead of one that takes an hour;
# `manage.py rebuild_figure_rollups` does it all at once.
DAYS_PER_RUN = 93


def rollup_seconds() -> int:
    return int(getattr(settings, "CIVICGRID_ROLLUP_SECONDS", 60))


@task()
def rebuild_dirty_rollups() -> dict[str, int]:
    from .rollups import rebuild_dirty

    return {"days": rebuild_dirty(limit=DAYS_PER_RUN)}


def register_rollups():
    return register_periodic(PERIODIC_NAME, rollup_seconds(), rebuild_dirty_rollups)
