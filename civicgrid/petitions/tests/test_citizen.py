"""The petitioner's public pages: follow by number + query code (wrong code reveals nothing),
plain steps without anyone else's personal data, rating once after the opinion is delivered."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from civicgrid.petitions.models import PetitionDetails
from civicgrid.petitions.services import do_petition_action

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttle():
    for cache in caches.all():
        cache.clear()


def act(world, case, action, user, **data):
    case.refresh_from_db()
    return do_petition_action(case, action, actor=world.user(user), expected_version=case.version, **data)


def follow(client, case, code):
    return client.post("/citizen/petitions/", {"number": case.number, "code": code})


def test_follow_steps_and_rate_once(world, register, client):
    case = register(
        parties=[
            {"role": "petitioner", "name": "张三", "id_card": "11010519491231002X", "phone": "13912345678"},
            {"role": "petitioner", "name": "李四"},
            {"role": "accused", "name": "王五"},
        ]
    )
    code = case.query_code
    assert follow(client, case, "WRONG123").status_code == 400
    assert client.get(f"/citizen/petitions/{case.number}/").status_code == 302  # no grant yet
    response = follow(client, case, code.lower())
    assert response.status_code == 303
    page = client.get(f"/citizen/petitions/{case.number}/").content.decode()
    assert "信访事项已登记" in page and case.number in page and "转送交办时限" in page
    for secret in ("张三", "李四", "王五", "13912345678", "卫信访"):
        assert secret not in page
    assert 'id="petition-rate-form"' not in page
    assert client.post(f"/citizen/petitions/{case.number}/rate/", {"rating": "satisfied"}).status_code == 400
    act(world, case, "transfer", "petition", unit=world.units["chengguan"].pk)
    act(world, case, "accept", "handler")
    act(world, case, "issue_opinion", "handler", opinion="support", note="支持，已责令整改。")
    page = client.get(f"/citizen/petitions/{case.number}/").content.decode()
    assert "江东区城市管理局" in page and "已责令整改" in page and 'id="petition-rate-form"' in page
    assert "孙承办" not in page
    response = client.post(
        f"/citizen/petitions/{case.number}/rate/", {"rating": "basically", "comment": "还行"}
    )
    assert response.status_code == 303
    assert PetitionDetails.objects.get(case=case).rating == "basically"
    again = client.post(f"/citizen/petitions/{case.number}/rate/", {"rating": "dissatisfied"})
    assert again.status_code == 400 and PetitionDetails.objects.get(case=case).rating == "basically"


def test_another_visitor_without_the_code_gets_nothing(world, register, client):
    case = register()
    assert client.post(f"/citizen/petitions/{case.number}/rate/", {"rating": "satisfied"}).status_code == 404
    assert follow(client, case, "").status_code == 400
    response = client.post("/citizen/petitions/", {"number": "XF000", "code": case.query_code})
    assert response.status_code == 400


def test_guessing_codes_is_throttled(world, register, client, settings):
    settings.CIVICGRID_CITIZEN_FAILED_FOLLOWS_PER_CASE_HOUR = 3
    case = register()
    for _ in range(3):
        assert follow(client, case, "WRONG123").status_code == 400
    assert follow(client, case, case.query_code).status_code == 429  # even the right one, for now
