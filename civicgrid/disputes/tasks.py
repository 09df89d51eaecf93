"""The disputes' periodic job: open disputes past their time limit are regraded every hour (the
"overdue" rule of the risk scheme raises them; 民转刑 prevention: an unresolved dispute that runs
over is a signal). Run by the worker's scheduler (core.periodic); `manage.py regrade_disputes`
does the same by hand."""

from __future__ import annotations

from django_tasks import task

from .steps import sweep_overdue_disputes

REGRADE_SECONDS = 3600


@task()
def regrade_overdue_disputes() -> str:
    return f"raised {sweep_overdue_disputes()}"
