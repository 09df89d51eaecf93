"""create_api_token / revoke_api_token management commands."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from civicgrid.accounts.models import ApiToken
from civicgrid.audit.models import ObjectChange

pytestmark = pytest.mark.django_db


def test_create_use_and_revoke(world):
    out = io.StringIO()
    call_command(
        "create_api_token", "admin", "--name", "12345 热线", "--days", "30", stdout=out, stderr=io.StringIO()
    )
    raw = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert raw.startswith(f"cg_{token.prefix}_") and token.expires_at is not None
    assert APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    change = ObjectChange.objects.get()
    assert (change.actor_username, change.object_type) == ("system", "accounts.apitoken")
    assert change.request_id != ""
    call_command("revoke_api_token", token.prefix, stdout=io.StringIO())
    assert APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    with pytest.raises(CommandError, match="没有前缀"):
        call_command("revoke_api_token", token.prefix)


def test_unknown_user_and_bad_days(world):
    with pytest.raises(CommandError, match="用户“ghost”不存在。"):
        call_command("create_api_token", "ghost", "--name", "x")
    with pytest.raises(CommandError, match="有效天数必须大于 0。"):
        call_command("create_api_token", "admin", "--name", "x", "--days", "0")
    assert ApiToken.objects.count() == 0
