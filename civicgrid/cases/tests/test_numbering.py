"""Numbers stay unique when many cases are opened at once (threads, each with its own database
connection; on PostgreSQL the sequence row lock serialises them, on SQLite BEGIN IMMEDIATE does)."""

import threading

import pytest

from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseNumberSequence
from tests.threads import require_shared_database


@pytest.mark.django_db(transaction=True)
def test_numbers_unique_under_concurrency(fake_kind):
    require_shared_database()
    from django.db import connections

    from tests.world import build_world

    world = build_world()
    grid = world.grids["338001001001001"]
    errors, barrier, count = [], threading.Barrier(8), 5

    def worker():
        try:
            barrier.wait()
            for _ in range(count):
                services.do_open_case("fake", actor=None, title="并发", area=grid.village, grid=grid)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 40
    assert numbers[0].endswith("0001") and numbers[-1].endswith("0040")
    assert CaseNumberSequence.objects.get(kind="fake").last_value == 40


@pytest.mark.django_db
def test_serial_counts_per_prefix(fake_kind):
    assert [services.next_serial("fake", "A"), services.next_serial("fake", "A")] == [1, 2]
    assert services.next_serial("fake", "B") == 1
    assert services.next_serial("other", "A") == 1
