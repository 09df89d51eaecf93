"""Pages are Chinese unless the user chose English; API clients may ask with Accept-Language."""

import pytest

pytestmark = pytest.mark.django_db


def test_english_browser_still_gets_chinese_pages(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans"' in response.content.decode()


def test_chosen_language_cookie_wins(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"


def test_unknown_language_cookie_falls_back_to_default(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


def test_api_follows_accept_language(client):
    response = client.get("/api/v1/areas/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (401, 403)
    assert response["Content-Language"] == "en"
    assert client.get("/api/v1/areas/")["Content-Language"] == "zh-hans"
