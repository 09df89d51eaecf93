"""Two offices registering the same person's same matter at the same moment (the township and the
county petition office): the second waits for the first (cases.parties.lock_people) and then sees
it — refused as in progress below, or counted as its repeat — never two independent first petitions
(threads with their own connections; file SQLite and PostgreSQL)."""

import threading

import pytest

from civicgrid.core.errors import ServiceError
from civicgrid.petitions.models import PetitionDetails
from tests.threads import require_shared_database

ID_A = "11010519491231002X"


@pytest.mark.django_db(transaction=True)
def test_the_same_matter_registered_at_two_levels_at_once():
    require_shared_database()
    from django.db import connections

    from civicgrid.petitions.services import do_register_petition
    from tests.world import build_world

    world = build_world()
    area = world.area("338001001001")
    results, barrier = [], threading.Barrier(2)

    def worker(username):
        try:
            barrier.wait()
            do_register_petition(
                actor=world.user(username),
                title="小区旁工地夜间施工噪音扰民",
                description="东湖社区旁工地连续一个月夜间施工，严重影响居民休息。",
                area=area,
                channel="visit",
                petition_class="claim",
                parties=[{"role": "petitioner", "name": "张三", "id_card": ID_A}],
            )
            results.append("ok")
        except ServiceError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("township", "petition")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) in (["ok", "ok"], ["in_progress_below", "ok"])
    firsts = PetitionDetails.objects.filter(repeat_of__isnull=True).count()
    assert firsts == 1
    assert PetitionDetails.objects.count() == results.count("ok")
