"""The admin browses but never writes around the services, and shows personal data masked."""

import pytest
from django.test import Client

from civicgrid.accounts.models import User
from civicgrid.audit.models import ObjectChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(world):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="Root-Pass-2026!"))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "accounts/user",
        "accounts/unit",
        "accounts/role",
        "accounts/roleassignment",
        "accounts/apitoken",
        "areas/area",
        "areas/grid",
        "areas/gridlayer",
        "areas/layercell",
        "audit/objectchange",
        "audit/accesslog",
    ],
)
def test_admin_lists_load_and_writes_are_disabled(root_client, model):
    assert root_client.get(f"/admin/{model}/").status_code == 200
    assert root_client.get(f"/admin/{model}/add/").status_code == 403


def test_user_admin_masks_personal_data_and_refuses_edits(world, root_client):
    target = world.user("gridworker")
    page = root_client.get(f"/admin/accounts/user/{target.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "138****1111" in text and "330101********123X" in text
    assert "13800001111" not in text and "33010119900101123X" not in text
    response = root_client.post(f"/admin/accounts/user/{target.pk}/change/", {"username": "hacked"})
    assert response.status_code == 403
    assert User.objects.get(pk=target.pk).username == "gridworker"
    assert root_client.post(f"/admin/accounts/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ObjectChange.objects.count() == 0
