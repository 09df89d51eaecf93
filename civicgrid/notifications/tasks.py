"""django-tasks tasks of the notifications app (run by `manage.py worker`)."""

from __future__ import annotations

from django_tasks import task

from . import delivery


@task()
def deliver_outbound(message_id: int) -> str | None:
    """Deliver one outbound message (queued by notify on commit, or a retry after backoff)."""
    return delivery.deliver_message(message_id, worker_id="task")


@task()
def deliver_due_outbound() -> dict[str, int]:
    """Periodic sweep: retries that are due and messages whose worker died mid-send."""
    return delivery.deliver_due(worker_id="sweep")
