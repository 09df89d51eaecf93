"""A double submit that arrives twice at the same moment still makes one event with one query code
(threads with their own connections; PostgreSQL serialises on the unique idempotency key, SQLite on
its write lock)."""

import threading
import uuid

import pytest
from django.core.cache import cache
from django.db import connections

from civicgrid.cases.models import Case
from civicgrid.events.citizen_services import do_citizen_report
from civicgrid.events.models import CitizenAccess
from tests.threads import require_shared_database


@pytest.mark.django_db(transaction=True)
def test_simultaneous_double_submit_makes_one_event():
    require_shared_database()
    from tests.world import build_world

    build_world()
    cache.clear()
    key = uuid.uuid4().hex
    results, errors, barrier = [], [], threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            results.append(
                do_citizen_report(
                    description="南岸社区路灯坏了一个星期",
                    reporter_name="王五",
                    reporter_phone="13700001111",
                    submission_key=key,
                    area_code="338001001002",
                    client_ip="10.0.0.1",
                )
            )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Case.objects.count() == 1 and CitizenAccess.objects.count() == 1
    assert len({r.case.pk for r in results}) == 1
    assert len({r.code for r in results}) == 1
    assert sum(r.created for r in results) == 1
