"""Login lockout (django-axes, by username): through the real login page and through
`authenticate` with a request, which axes guards the same way."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failures_lock_the_username_even_with_the_right_password(world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        response = _login(client, "township", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in client.session
    fifth = _login(client, "township", "wrong-password")
    assert fifth.status_code == 429
    locked = _login(client, "township", PASSWORD)
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_not_per_address(world):
    client = Client()
    for _ in range(5):
        _login(client, "township", "wrong-password")
    # Another member of staff behind the same office NAT still gets in.
    response = _login(client, "county", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.user("county").pk)


def test_success_before_the_limit_resets_the_count(world):
    client = Client()
    for _ in range(4):
        _login(client, "township", "wrong-password")
    assert _login(client, "township", PASSWORD).status_code == 302
    other = Client()
    for _ in range(4):
        _login(other, "township", "wrong-password")
    assert _login(other, "township", PASSWORD).status_code == 302


def test_authenticate_with_a_request_is_guarded_too(world):
    factory = RequestFactory()
    for _ in range(5):
        assert authenticate(factory.post("/accounts/login/"), username="mediator", password="nope") is None
    request = factory.post("/accounts/login/")
    assert authenticate(request, username="mediator", password=PASSWORD) is None
    assert request.axes_locked_out is True
    fresh = factory.post("/accounts/login/")
    assert authenticate(fresh, username="leader", password=PASSWORD) == world.user("leader")
