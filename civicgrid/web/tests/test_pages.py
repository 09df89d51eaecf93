"""Sign-in, sign-out, password change, lockout, language switch and the home page."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.web.templatetags.civicgrid_web import minutes
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_in_chinese():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "市域社会治理平台" in html
    assert "用户名" in html and "密码" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_with_the_form_goes_home(world):
    client = Client()
    response = login(client, "township", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    html = home.content.decode()
    assert "您好，李综治" in html
    assert "乡镇（街道）综治工作人员" in html and "东湖街道" in html


def test_bad_password_shows_chinese_error(world):
    client = Client()
    response = login(client, "township", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确，请重新输入。注意密码区分大小写。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_fields_are_named():
    html = Client().post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "请填写用户名。" in html and "请填写密码。" in html


def test_lockout_after_repeated_failures(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "township", "wrong-password")
    response = login(client, "township", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    html = response.content.decode()
    assert "账号已暂时锁定" in html
    assert f"密码连续输错 {settings.AXES_FAILURE_LIMIT} 次" in html
    assert "请在 30 分钟后再试。" in html
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(world):
    client = Client()
    client.force_login(world.user("township"))
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_password_change(world):
    client = Client()
    client.force_login(world.user("township"))
    bad = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": "Another-Pass-2027", "new_password2": "Another-Pass-2027"},
    )
    assert bad.status_code == 200
    assert "原密码不正确，请重新输入。" in bad.content.decode()
    good = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-Pass-2027",
            "new_password2": "Another-Pass-2027",
        },
    )
    assert good.status_code == 302
    assert good["Location"] == "/accounts/password/done/"
    world.user("township").refresh_from_db()
    assert world.user("township").check_password("Another-Pass-2027")


def test_language_switch_to_english_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("township"))
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403
    page = client.get("/")
    token = page.context["csrf_token"]
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert '<option value="en" selected>' in html


def test_home_requires_login():
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_grid_worker_home_lists_own_grid(world):
    client = Client()
    client.force_login(world.user("gridworker"))
    html = client.get("/").content.decode()
    assert "我负责的网格" in html
    assert "/grids/338001001001001/" in html
    assert "/grids/338001001001002/" not in html


def test_user_without_roles_is_told(world):
    client = Client()
    client.force_login(world.user("nobody"))
    assert "您尚未被授予任何角色" in client.get("/").content.decode()


def test_minutes_filter():
    from datetime import timedelta

    assert minutes(timedelta(minutes=30)) == 30
    assert minutes(timedelta(seconds=61)) == 2
    assert minutes(0.5) == 30
    assert minutes("x") == 0


@pytest.mark.django_db
def test_home_shows_built_in_role_names_in_the_chosen_language(world, client, settings):
    client.force_login(world.user("township"))
    assert "乡镇（街道）综治工作人员" in client.get("/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/").content.decode()
    assert "乡镇（街道）综治工作人员" not in page
