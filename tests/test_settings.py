"""Production settings: the properties a security review checks (tests run with a fast hasher)."""

import importlib

import pytest


@pytest.fixture(scope="module")
def prod_settings():
    return importlib.import_module("config.settings")


def test_passwords_are_hashed_with_argon2(prod_settings):
    assert prod_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_default_language_is_simplified_chinese_with_english_available(prod_settings):
    assert prod_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in prod_settings.LANGUAGES] == ["zh-hans", "en"]
    assert prod_settings.TIME_ZONE == "Asia/Shanghai"
    assert prod_settings.USE_TZ is True


def test_sessions_and_cookies_are_hardened(prod_settings):
    assert prod_settings.SESSION_COOKIE_HTTPONLY is True
    assert prod_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert prod_settings.X_FRAME_OPTIONS == "DENY"
    assert "django.middleware.csrf.CsrfViewMiddleware" in prod_settings.MIDDLEWARE
    assert prod_settings.AXES_FAILURE_LIMIT == 5


def test_sqlite_runs_in_wal_mode(db, settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        mode = cur.fetchone()[0]
    # The in-memory test database cannot use WAL; the file database configured by settings does.
    assert "PRAGMA journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]
    assert mode in ("wal", "memory")


def test_no_tile_server_by_default(prod_settings):
    assert prod_settings.CIVICGRID["MAP_TILE_URL"] == ""
