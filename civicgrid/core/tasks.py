"""Building blocks for background work that must survive a killed worker.

The rule every job follows: a row's state change and the write that records it commit together,
one batch per transaction. A worker killed mid-batch rolls that batch back; the next run picks the
same rows up again, and nothing done is done twice. Work with an effect outside the database (an SMS
gateway) cannot share a transaction with it; `civicgrid.notifications.delivery` adds a lease for
that case.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import OperationalError, connections, router, transaction

logger = logging.getLogger(__name__)


def claimable(queryset):
    """`queryset` locked for update, skipping rows another transaction holds where the database can
    (PostgreSQL: SKIP LOCKED). SQLite has no row locks: Django ignores select_for_update there, and
    the IMMEDIATE transactions this project runs SQLite with serialise writers instead."""
    connection = connections[router.db_for_write(queryset.model)]
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()


def is_locked_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked": another writer holds the lock
    longer than the busy timeout (or, with a shared in-memory cache, at all)."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def retry_when_locked(fn: Callable, *, attempts: int = 50, delay: float = 0.05):
    """Call `fn()` (which opens its own transaction), retrying while SQLite reports the database
    locked. Other errors, and a lock that outlasts every attempt, propagate."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except OperationalError as exc:
            if not is_locked_error(exc) or attempt == attempts:
                raise
            logger.debug("database locked, retry %s of %s", attempt, attempts)
            time.sleep(delay)
    return None  # unreachable: the last attempt returns or raises


def process_in_batches(pending: Callable, handle: Callable, *, batch_size: int = 100) -> int:
    """Run `handle(row)` on every row of `pending()` (a queryset factory, re-evaluated per batch),
    one transaction per batch of `batch_size` rows locked with `claimable`.

    `handle` must take the row out of `pending()` in the same transaction (set a flag, a colour, a
    "done" timestamp); that is what makes a rerun after a crash resume where the crash happened.
    An exception rolls back the current batch only and propagates; earlier batches stay committed.
    Returns the number of rows handled. A batch that hands back rows already handled means `handle`
    does not take rows out of `pending()`: that is a bug, so this raises instead of looping forever.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    seen: set = set()
    done = 0
    while True:
        with transaction.atomic():
            rows = list(claimable(pending().order_by("pk"))[:batch_size])
            if not rows:
                return done
            repeated = [row.pk for row in rows if row.pk in seen]
            if repeated:
                raise RuntimeError(f"rows {repeated[:5]} are still pending after being handled")
            for row in rows:
                handle(row)
                seen.add(row.pk)
        done += len(rows)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue `task(*args, **kwargs)` once the current transaction commits (at once outside one),
    so a worker never picks up work for rows a rollback removed."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
