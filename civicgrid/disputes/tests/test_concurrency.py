"""Two people converting the same event at once get one dispute: the event's row lock serialises
them and the second is told it was converted already (threads with their own connections; runs on
file SQLite and PostgreSQL)."""

import threading

import pytest

from civicgrid.core.errors import ServiceError
from civicgrid.disputes import services
from civicgrid.disputes.models import DisputeDetails
from tests.threads import require_shared_database


@pytest.mark.django_db(transaction=True)
def test_an_event_is_converted_once_under_concurrency():
    require_shared_database()
    from django.db import connections

    from civicgrid.events.services import do_report_event
    from tests.world import build_world

    world = build_world()
    event = do_report_event(
        actor=world.user("gridworker"),
        title="邻里争吵",
        description="因噪音争吵",
        channel="grid_patrol",
        lon=120.01,
        lat=30.01,
    ).case
    results, barrier = [], threading.Barrier(4)

    def worker():
        try:
            barrier.wait()
            services.do_convert_event_to_dispute(
                event.pk,
                actor=world.user("township"),
                expected_version=event.version,
                dispute_type="neighbour",
            )
            results.append("ok")
        except ServiceError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert set(results) - {"ok"} <= {"already_converted", "conflict"}
    assert DisputeDetails.objects.filter(source_case=event).count() == 1
