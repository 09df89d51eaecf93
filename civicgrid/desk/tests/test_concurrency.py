"""Visit numbers stay unique when several desks register at once (threads with their own
connections; PostgreSQL's row lock or SQLite's BEGIN IMMEDIATE serialises the draws), and the same
idempotency key submitted at once gives one visit."""

import threading

import pytest

from civicgrid.cases.models import CaseNumberSequence
from civicgrid.desk.models import Visit
from civicgrid.desk.services import do_register_visit
from tests.threads import require_shared_database
from tests.world import NAMES

from .conftest import VISITOR


def _run(world, keys):
    from django.db import connections

    errors, results, barrier = [], [], threading.Barrier(len(keys))

    def worker(key):
        try:
            barrier.wait()
            user = type(world.user("township")).objects.get(username="township")
            results.append(
                do_register_visit(
                    actor=user,
                    title="并发登记",
                    parties=[dict(VISITOR)],
                    grid_code=NAMES.grid_a1a_1,
                    idempotency_key=key,
                ).pk
            )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(key,)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors, results


@pytest.fixture
def threaded_world(transactional_db):
    require_shared_database()
    from tests.world import build_world

    return build_world()


def test_numbers_unique_under_concurrency(threaded_world):
    errors, _results = _run(threaded_world, [None] * 6)
    assert errors == []
    numbers = sorted(Visit.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 6
    assert CaseNumberSequence.objects.get(kind="desk_visit").last_value == 6


def test_same_key_at_once_gives_one_visit(threaded_world):
    errors, results = _run(threaded_world, ["same-key"] * 4)
    assert errors == []
    assert Visit.objects.count() == 1 and set(results) == {Visit.objects.get().pk}
